"""The workflow services on the real database: chains, transitions, events, locks.

The worker's check is stood in for by ``submission_validation_record``, the service
the worker calls; tests with a real worker live in test_full_chain.py.
"""

import datetime

import pytest

from orgunits.models import OrgUnit
from orgunits.services import REFORM_DATE
from reporting.models import Submission, SubmissionStatus
from reporting.services import (
    SubmissionNotEditable,
    submission_open,
    submission_save_draft,
)
from tests.factories import make_user
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import assign, monthly_version
from validation.models import ValidationResult
from workflow.chains import approval_chain_create, chain_for
from workflow.decisions import possible_actions
from workflow.models import ApprovalChain, ApprovalEvent, CellComment
from workflow.services import (
    WorkflowRefused,
    submission_accept,
    submission_approve,
    submission_return,
    submission_submit,
    submission_unapprove,
    submission_validation_record,
    submissions_approve_bulk,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 2, 5)
VALUES = {"02:2": "120", "03:2": "15", "04:2": "30", "11:2": "150"}


@pytest.fixture
def tree():
    return make_small_tree()


@pytest.fixture
def version(tree):
    version = monthly_version()
    assign(version, tree.province, first_period="2026M1")
    return version


def chain(version, levels, **options):
    return approval_chain_create(
        acting_user=None,
        regime=version.template.regime,
        valid_from=datetime.date(2020, 1, 1),
        levels=levels,
        **options,
    )


@pytest.fixture
def people(tree):
    return {
        "reporter": make_user(role="reporter", unit=tree.commune),
        "district": make_user(role="reviewer", unit=tree.district),
        "other_district": make_user(role="reviewer", unit=tree.other_district),
        "province": make_user(role="reviewer", unit=tree.province),
        "national": make_user(role="reviewer", unit=tree.national),
    }


def sent(version, unit, reporter, *, errors=0, values=VALUES) -> Submission:
    """Open, save, submit and check a report; return it as the check left it."""
    submission = submission_open(
        acting_user=reporter, form_version=version, unit=unit, period="2026M1"
    )
    result = submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values=values,
        base_revision=submission.revision_count,
        today=TODAY,
    )
    submission_submit(
        acting_user=reporter,
        submission=submission,
        base_revision=result.revision.number,
        today=TODAY,
    )
    ValidationResult.objects.create(
        revision=result.revision, errors=errors, warnings=0, violations=[]
    )
    submission_validation_record(
        submission_id=submission.pk, revision_id=result.revision.pk, errors=errors
    )
    return Submission.objects.get(pk=submission.pk)


def test_a_consolidating_chain_gives_each_report_the_nearest_level_above(
    tree, version, people
):
    # given a chain district -> province -> national, each level compiling below
    chain(version, ["district", "province", "national"], top_accepts=True)

    # then a commune's report goes to its district only, a district's to the
    # province, and the province's to the national office, which also accepts
    def levels_of(unit):
        submission = Submission(
            template=version.template,
            form_version=version,
            org_unit=unit,
            period="2026M1",
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 1, 31),
        )
        return chain_for(submission)

    assert levels_of(tree.commune) == (("district",), False)
    assert levels_of(tree.district) == (("province",), False)
    assert levels_of(tree.province) == (("national",), True)
    assert levels_of(tree.national) == ((), False)


def test_after_the_reform_a_commune_skips_the_district_it_no_longer_has(version):
    # given the same chain and a real commune of the post-2025 tree
    chain(version, ["district", "province", "national"])
    commune = OrgUnit.objects.get(
        level__code="commune", code="00004", valid_from=REFORM_DATE
    )
    submission = Submission(
        template=version.template,
        form_version=version,
        org_unit=commune,
        period="2026M1",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
    )

    # then its report goes straight to its province
    assert chain_for(submission) == (("province",), False)


def test_a_new_chain_version_reaches_only_reports_submitted_after_it(
    tree, version, people
):
    # given a report submitted under a chain that approves at the district only
    chain(version, ["district"])
    submission = sent(version, tree.commune, people["reporter"])
    assert submission.chain_levels == ["district"]

    # when administrators put a longer chain in force for the same periods
    ApprovalChain.objects.update(valid_from=datetime.date(2019, 1, 1))
    chain(version, ["district", "province"], consolidates=False)

    # then the report in flight keeps its chain
    submission.refresh_from_db()
    assert submission.chain_levels == ["district"]


def test_a_report_climbs_every_level_in_order_and_is_accepted_at_the_top(
    tree, version, people
):
    # given a chain where every level approves the commune's report itself
    chain(
        version,
        ["district", "province", "national"],
        consolidates=False,
        top_accepts=True,
    )
    submission = sent(version, tree.commune, people["reporter"])
    assert submission.status == SubmissionStatus.AWAITING_REVIEW
    assert submission.chain_levels == ["district", "province", "national"]

    # when the province tries before the district
    with pytest.raises(WorkflowRefused) as refused:
        submission_approve(acting_user=people["province"], submission_id=submission.pk)

    # then it is told the district must approve first
    assert refused.value.code == "not_your_turn"
    assert "Huyện" in str(refused.value) or "huyện" in str(refused.value).lower()

    # when each level approves in turn and the national office accepts
    for who in ("district", "province", "national"):
        submission_approve(acting_user=people[who], submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.APPROVED
    assert possible_actions(people["national"], submission).accept == "national"
    submission_accept(acting_user=people["national"], submission_id=submission.pk)

    # then every step is one event, in order, and the approvals are locked
    events = ApprovalEvent.objects.filter(submission=submission).order_by("id")
    assert [(e.action, e.level, e.to_status) for e in events] == [
        ("submit", "", "submitted"),
        ("validation_passed", "", "awaiting_review"),
        ("approve", "district", "awaiting_review"),
        ("approve", "province", "awaiting_review"),
        ("approve", "national", "approved"),
        ("accept", "national", "accepted"),
    ]
    with pytest.raises(WorkflowRefused) as refused:
        submission_unapprove(
            acting_user=people["national"], submission_id=submission.pk, reason="x"
        )
    assert refused.value.code == "accepted_is_locked"


def test_unapproval_is_refused_below_a_later_approval_and_needs_a_reason(
    tree, version, people
):
    # given a report approved by the district and then the province
    chain(version, ["district", "province", "national"], consolidates=False)
    submission = sent(version, tree.commune, people["reporter"])
    submission_approve(acting_user=people["district"], submission_id=submission.pk)
    submission_approve(acting_user=people["province"], submission_id=submission.pk)

    # when the district tries to withdraw its approval
    with pytest.raises(WorkflowRefused) as refused:
        submission_unapprove(
            acting_user=people["district"],
            submission_id=submission.pk,
            reason="Sai số liệu",
        )

    # then it is refused, naming the level that approved since
    assert refused.value.code == "only_from_above"
    assert "Tỉnh" in str(refused.value) or "tỉnh" in str(refused.value).lower()

    # and the province must give a reason to withdraw its own
    with pytest.raises(WorkflowRefused) as refused:
        submission_unapprove(
            acting_user=people["province"], submission_id=submission.pk, reason="  "
        )
    assert refused.value.code == "reason_required"
    submission_unapprove(
        acting_user=people["province"],
        submission_id=submission.pk,
        reason="Cần đối chiếu lại",
    )
    submission.refresh_from_db()
    assert (submission.status, submission.approved_levels) == (
        SubmissionStatus.AWAITING_REVIEW,
        ["district"],
    )
    event = ApprovalEvent.objects.filter(submission=submission).latest("id")
    assert (event.action, event.actor, event.reason) == (
        "unapprove",
        people["province"],
        "Cần đối chiếu lại",
    )


def test_a_reviewer_of_another_subtree_cannot_act(tree, version, people):
    chain(version, ["district"])
    submission = sent(version, tree.commune, people["reporter"])

    with pytest.raises(WorkflowRefused) as refused:
        submission_approve(
            acting_user=people["other_district"], submission_id=submission.pk
        )

    assert refused.value.code == "not_reviewer_at_level"
    assert not ApprovalEvent.objects.filter(action="approve").exists()


def test_return_stores_cell_comments_and_reopens_entry(tree, version, people):
    # given a report awaiting the district
    chain(version, ["district"])
    submission = sent(version, tree.commune, people["reporter"])

    # when the district comments on a cell the form does not have
    with pytest.raises(WorkflowRefused) as refused:
        submission_return(
            acting_user=people["district"],
            submission_id=submission.pk,
            reason="Kiểm tra lại",
            cell_comments={"99:9": "?"},
        )

    # then nothing changes and the message names the cell
    assert "99:9" in str(refused.value)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.AWAITING_REVIEW

    # when it returns the report with a reason and a comment on row 03, column 2
    event = submission_return(
        acting_user=people["district"],
        submission_id=submission.pk,
        reason="Số khen thưởng đột xuất chưa khớp",
        cell_comments={"03:2": "Đề nghị kiểm tra lại số này", "04:2": ""},
    )

    # then the report is returned, the comment is attached to the event, and the
    # reporter can change and submit it again
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.RETURNED
    assert [(c.cell, c.text, c.event_id) for c in CellComment.objects.all()] == [
        ("03:2", "Đề nghị kiểm tra lại số này", event.pk)
    ]
    submission_save_draft(
        acting_user=people["reporter"],
        submission=submission,
        raw_values={**VALUES, "03:2": "12"},
        base_revision=submission.revision_count,
        today=TODAY,
    )


def test_a_return_needs_a_reason(tree, version, people):
    chain(version, ["district"])
    submission = sent(version, tree.commune, people["reporter"])

    with pytest.raises(WorkflowRefused) as refused:
        submission_return(
            acting_user=people["district"], submission_id=submission.pk, reason=""
        )

    assert refused.value.code == "reason_required"


def test_an_approved_report_is_locked_against_edits(tree, version, people):
    chain(version, ["district"])
    submission = sent(version, tree.commune, people["reporter"])
    submission_approve(acting_user=people["district"], submission_id=submission.pk)
    submission.refresh_from_db()

    with pytest.raises(SubmissionNotEditable):
        submission_save_draft(
            acting_user=people["reporter"],
            submission=submission,
            raw_values=VALUES,
            base_revision=submission.revision_count,
            today=TODAY,
        )


def test_a_stale_compiled_report_cannot_be_approved(tree, version, people):
    chain(version, ["district"])
    submission = sent(version, tree.commune, people["reporter"])
    Submission.objects.filter(pk=submission.pk).update(is_stale=True)

    with pytest.raises(WorkflowRefused) as refused:
        submission_approve(acting_user=people["district"], submission_id=submission.pk)

    assert refused.value.code == "stale"


def test_errors_return_the_report_without_a_reviewer(tree, version, people):
    chain(version, ["district"])

    submission = sent(version, tree.commune, people["reporter"], errors=2)

    assert submission.status == SubmissionStatus.RETURNED
    event = ApprovalEvent.objects.filter(submission=submission).latest("id")
    assert (event.action, event.actor) == ("validation_failed", None)


def test_bulk_approval_says_what_became_of_each_report(tree, version, people):
    # given two clean reports of the district's communes, one the district already
    # approved, and one of the other district
    chain(version, ["district"])
    reporter_2 = make_user(role="reporter", unit=tree.sibling_commune)
    reporter_3 = make_user(role="reporter", unit=tree.other_commune)
    first = sent(version, tree.commune, people["reporter"])
    second = sent(version, tree.sibling_commune, reporter_2)
    foreign = sent(version, tree.other_commune, reporter_3)
    submission_approve(acting_user=people["district"], submission_id=second.pk)

    # when the district approves all three at once
    outcomes = submissions_approve_bulk(
        acting_user=people["district"],
        submission_ids=[first.pk, second.pk, foreign.pk],
    )

    # then only the first is approved now; the others say why not
    assert [(o.submission_id, o.approved, o.status) for o in outcomes] == [
        (first.pk, True, "accepted"),
        (second.pk, False, "accepted"),
        (foreign.pk, False, "awaiting_review"),
    ]
    assert outcomes[2].message


def test_a_chain_lists_known_levels_from_the_lowest(version):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as wrong_order:
        chain(version, ["province", "district"])
    with pytest.raises(ValidationError) as unknown:
        chain(version, ["district", "ministry"])

    assert "levels" in wrong_order.value.message_dict
    assert "ministry" in str(unknown.value)
