"""Publishing with a real Celery worker on the real Redis broker: a report's final
approval puts its mapped figures in the store with lineage, an unapproval withdraws
them, a new approval supersedes them; retries and crashes publish exactly once.
"""

import datetime
import json
import time

import pytest
from django.db import OperationalError

from forms.services import form_import
from indicators import publishing
from indicators.models import Observation
from indicators.publishing import observations_publish
from indicators.selectors import observation_history, observations_query
from indicators.services import cell_mapping_set
from reporting.models import Submission, SubmissionStatus
from reporting.services import submission_open, submission_save_draft
from tests.factories import make_user
from tests.indicators.factories import make_catalogue, map_version
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import CATALOG, assign, catalog_version
from workflow.chains import approval_chain_create
from workflow.models import ApprovalEvent
from workflow.services import (
    submission_approve,
    submission_return,
    submission_submit,
    submission_unapprove,
)

DAY = datetime.date(2026, 3, 1)
CLEAN = {"02:2": "120", "03:2": "15", "04:2": "30", "11:2": "150"}
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def report():
    tree = make_small_tree()
    version = catalog_version()
    approval_chain_create(
        acting_user=None,
        regime=version.template.regime,
        valid_from=datetime.date(2020, 1, 1),
        levels=["district"],
    )
    make_catalogue()
    map_version(version)
    assign(version, tree.province, first_period="2025")
    reporter = make_user(role="reporter", unit=tree.commune)
    reviewer = make_user(role="reviewer", unit=tree.district)
    submission = submission_open(
        acting_user=reporter, form_version=version, unit=tree.commune, period="2025"
    )
    return tree, reporter, reviewer, submission


def wait_until(check, *, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"{what} not reached after {timeout} s")


def send(reporter, submission, values):
    base = Submission.objects.get(pk=submission.pk).revision_count
    revision = submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values=values,
        base_revision=base,
        today=DAY,
    ).revision
    submission_submit(
        acting_user=reporter, submission=submission, base_revision=base + 1, today=DAY
    )
    wait_until(
        lambda: (
            Submission.objects.get(pk=submission.pk).status
            == SubmissionStatus.AWAITING_REVIEW
        ),
        what="the check",
    )
    return revision


def current(submission):
    return {
        (o.indicator.code, o.dim_key): o
        for o in Observation.objects.select_related("indicator").filter(
            submission=submission, is_current=True
        )
    }


def test_publish_unapprove_and_reapprove_cycle(celery_worker, report):
    tree, reporter, reviewer, submission = report

    # given a checked report, when the district reviewer (its chain's only level)
    # approves it
    first_revision = send(reporter, submission, CLEAN)
    approval = submission_approve(acting_user=reviewer, submission_id=submission.pk)
    assert approval.to_status == SubmissionStatus.ACCEPTED

    # then its mapped figures appear in the store with their lineage
    found = wait_until(lambda: len(current(submission)) == 3 and current(submission))
    total = found["0603.01", "SEX=T"]
    assert total.value == 120
    assert found["0603.01", "SEX=F"].value == 15
    assert found["0101", ""].value == 150
    assert total.revision_id == first_revision.pk
    assert total.approval_event_id == approval.pk
    assert ApprovalEvent.objects.get(pk=total.approval_event_id).actor == reviewer
    assert total.org_unit == tree.commune and total.period == "2025"

    # when the reviewer withdraws the approval
    submission_unapprove(
        acting_user=reviewer, submission_id=submission.pk, reason="Sai số liệu"
    )

    # then the figures are withdrawn but kept as history
    wait_until(lambda: not current(submission), what="the withdrawal")
    withdrawn = Observation.objects.get(pk=total.pk)
    assert withdrawn.withdrawn_at is not None and not withdrawn.is_current
    assert observations_query(unit_paths=None, indicators=["0603.01"]) == []

    # when the report is returned, corrected, sent again and approved again
    submission_return(
        acting_user=reviewer, submission_id=submission.pk, reason="Sửa dòng 02"
    )
    second_revision = send(reporter, submission, {**CLEAN, "02:2": "125"})
    reapproval = submission_approve(acting_user=reviewer, submission_id=submission.pk)

    # then new current figures come from the new revision and event
    found = wait_until(
        lambda: len(current(submission)) == 3 and current(submission),
        what="the republication",
    )
    assert found["0603.01", "SEX=T"].value == 125
    assert found["0603.01", "SEX=T"].revision_id == second_revision.pk
    assert found["0603.01", "SEX=T"].approval_event_id == reapproval.pk
    # and the history shows both versions, each traceable to its revision
    history = observation_history(
        unit_paths=[tree.province.path],
        indicator="0603.01",
        unit_code=tree.commune.code,
        period="2025",
        dim_key="SEX=T",
    )
    assert [(h.value, h.is_current, h.revision_id) for h in history] == [
        (120, False, first_revision.pk),
        (125, True, second_revision.pk),
    ]
    assert history[0].withdrawn_at is not None
    assert history[1].approved_by == reviewer.username


def test_a_later_final_approval_supersedes_and_a_retry_changes_nothing(
    celery_worker, report
):
    # given a report published once
    tree, reporter, reviewer, submission = report
    send(reporter, submission, CLEAN)
    event = submission_approve(acting_user=reviewer, submission_id=submission.pk)
    wait_until(lambda: len(current(submission)) == 3)
    old = current(submission)["0603.01", "SEX=T"]

    # when the same event is published again (a retried task)
    inserted = observations_publish(submission_id=submission.pk, event_id=event.pk)

    # then nothing changes
    assert inserted == 0
    assert Observation.objects.filter(submission=submission).count() == 3
    assert Observation.objects.get(pk=old.pk).is_current

    # when another form of the same unit and period, mapped to the same key, is
    # finally approved
    document = json.loads((CATALOG / "0603.N_BNV-TDKT.form.json").read_text())
    document.update(code="0603.N/THU-NGHIEM", title="Biểu thử nghiệm")
    other_version, _created = form_import(
        acting_user=None, text=json.dumps(document).encode()
    )
    cell_mapping_set(
        acting_user=None,
        form_version=other_version,
        mappings=[
            {"row": "02", "column": 2, "indicator": "0603.01", "dims": {"SEX": "T"}}
        ],
    )
    assign(other_version, tree.province, first_period="2025")
    other = submission_open(
        acting_user=reporter,
        form_version=other_version,
        unit=tree.commune,
        period="2025",
    )
    send(reporter, other, {**CLEAN, "02:2": "130"})
    later = submission_approve(acting_user=reviewer, submission_id=other.pk)

    # then the old figure is superseded by the new one, and kept
    newer = wait_until(lambda: current(other).get(("0603.01", "SEX=T")))
    assert newer.value == 130 and newer.approval_event_id == later.pk
    old.refresh_from_db()
    assert not old.is_current and old.superseded_by_id == newer.pk
    assert old.withdrawn_at is None
    assert (
        Observation.objects.filter(
            indicator__code="0603.01", dim_key="SEX=T", is_current=True
        ).count()
        == 1
    )


def test_a_crash_mid_way_leaves_nothing_and_the_retry_publishes_once(
    celery_worker, report, monkeypatch
):
    # given an approved report whose first publication crashes after inserting
    tree, reporter, reviewer, submission = report
    real_link = publishing._link_superseded
    calls = {"n": 0}

    def crash_once(ids, event_id):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("connection lost mid-way")
        return real_link(ids, event_id)

    monkeypatch.setattr(publishing, "_link_superseded", crash_once)
    send(reporter, submission, CLEAN)
    event = submission_approve(acting_user=reviewer, submission_id=submission.pk)

    # when the worker's task fails once and Celery retries it
    wait_until(lambda: len(current(submission)) == 3, what="the retried publication")

    # then each natural key has exactly one observation, from that event
    assert calls["n"] >= 2
    rows = Observation.objects.filter(submission=submission)
    assert rows.count() == 3
    assert set(rows.values_list("approval_event_id", flat=True)) == {event.pk}

    # when the event is published twice more
    observations_publish(submission_id=submission.pk, event_id=event.pk)
    observations_publish(submission_id=submission.pk, event_id=event.pk)

    # then there are still no duplicates
    assert Observation.objects.filter(submission=submission).count() == 3
