"""A compiled report goes out of date when a report below it is unapproved: it is
flagged, cannot be approved, is compiled again by a task, and its people are told."""

import pytest

from reporting.models import Submission, SubmissionStatus
from tests.workflow.chain_factories import (
    approved_commune,
    make_chain_world,
    sent_and_checked,
)
from tests.workflow.test_full_chain import wait_for
from workflow.consolidation import consolidation_compile, consolidation_recompute_apply
from workflow.effects import transition_effects_apply
from workflow.models import ApprovalEvent, EventAction
from workflow.services import WorkflowRefused, submission_approve, submission_unapprove

FIGURES = {1: {"02:2": "1"}, 2: {"02:2": "2"}, 3: {"02:2": "3"}}


def _compiled_and_submitted(world):
    reports = [approved_commune(world, n, FIGURES[n]) for n in (1, 2, 3)]
    consolidation = consolidation_compile(
        acting_user=world.users["district_reporter"],
        template=world.version.template,
        unit=world.district,
        period=world.period,
    )
    upper = sent_and_checked(consolidation.submission, world.users["district_reporter"])
    assert upper.status == SubmissionStatus.AWAITING_REVIEW
    return reports, consolidation, upper


@pytest.mark.django_db
def test_stale_compiled_report_cannot_be_approved_until_recomputed(
    django_capture_on_commit_callbacks,
):
    # Given the district's compiled report awaiting the province
    world = make_chain_world()
    reports, consolidation, upper = _compiled_and_submitted(world)

    # When the district unapproves a commune report and the event's effects apply
    # (the recomputation they enqueue is held back)
    event = submission_unapprove(
        acting_user=world.users["district_reviewer"],
        submission_id=reports[0].pk,
        reason="Sai số liệu",
    )
    # (even before the effects run, the province cannot approve the compilation)
    with pytest.raises(WorkflowRefused):
        submission_approve(
            acting_user=world.users["province_reviewer"], submission_id=upper.pk
        )
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        transition_effects_apply(event_id=event.pk)
    assert enqueued

    # Then the compiled report is stale, with an event, and cannot be approved
    upper.refresh_from_db()
    assert upper.is_stale
    assert (
        ApprovalEvent.objects.filter(submission=upper, action=EventAction.STALE).count()
        == 1
    )
    with pytest.raises(WorkflowRefused) as refused:
        submission_approve(
            acting_user=world.users["province_reviewer"], submission_id=upper.pk
        )
    assert refused.value.code == "stale"
    # And a second run of the same effects changes nothing
    with django_capture_on_commit_callbacks(execute=False):
        transition_effects_apply(event_id=event.pk)
    assert (
        ApprovalEvent.objects.filter(submission=upper, action=EventAction.STALE).count()
        == 1
    )

    # When the recomputation runs (twice: it is idempotent)
    assert (
        consolidation_recompute_apply(consolidation_id=consolidation.pk) == "recompiled"
    )
    assert consolidation_recompute_apply(consolidation_id=consolidation.pk) == "current"

    # Then it is current again without the unapproved commune, and can be approved
    upper.refresh_from_db()
    assert not upper.is_stale
    assert upper.current_revision.values["02:2"] == "5"
    consolidation.refresh_from_db()
    assert [item["code"] for item in consolidation.missing] == ["T9001"]
    submission_approve(
        acting_user=world.users["province_reviewer"], submission_id=upper.pk
    )


@pytest.mark.django_db
def test_compiled_report_approved_above_stays_stale():
    # Given the compiled report approved by the province (a chain where the
    # district's approval of a commune can still be withdrawn is not possible then),
    # marked stale by a changed source
    world = make_chain_world()
    reports, consolidation, upper = _compiled_and_submitted(world)
    from workflow.services import submission_mark_stale

    submission_approve(
        acting_user=world.users["province_reviewer"], submission_id=upper.pk
    )
    submission_mark_stale(submission_id=upper.pk, reason="test")

    # When the recomputation runs
    outcome = consolidation_recompute_apply(consolidation_id=consolidation.pk)

    # Then the report keeps its approved values, stays stale and reviewers are told
    upper.refresh_from_db()
    assert outcome == "locked"
    assert upper.is_stale
    assert upper.current_revision_id == consolidation.revision_id
    assert (
        world.users["province_reviewer"]
        .notifications.filter(key__startswith="consolidation:locked")
        .exists()
    )


@pytest.mark.django_db(transaction=True)
def test_unapproval_below_is_recomputed_by_the_worker(celery_worker, celery_app):
    # Given the district's compiled report awaiting the province
    world = make_chain_world()
    reports, consolidation, upper = _compiled_and_submitted(world)

    # When the district unapproves a commune report
    submission_unapprove(
        acting_user=world.users["district_reviewer"],
        submission_id=reports[0].pk,
        reason="Sai số liệu",
    )

    # Then the worker marks the compiled report stale, then compiles it again
    def recompiled():
        return ApprovalEvent.objects.filter(
            submission=upper, action=EventAction.RECOMPUTE
        ).exists()

    wait_for(recompiled)
    actions = list(
        ApprovalEvent.objects.filter(submission=upper)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == [EventAction.STALE, EventAction.RECOMPUTE]
    current = Submission.objects.select_related("current_revision").get(pk=upper.pk)
    assert not current.is_stale
    assert current.current_revision.values["02:2"] == "5"
    # And its reviewers and reporters were told
    wait_for(
        lambda: (
            world.users["province_reviewer"]
            .notifications.filter(key__startswith="consolidation:recompiled")
            .exists()
        )
    )
    assert (
        world.users["district_reporter"]
        .notifications.filter(key__startswith="consolidation:stale")
        .exists()
    )
