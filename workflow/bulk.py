"""Bulk approval as a background job: started by a reviewer, run by a worker in
chunks through ``workflow.services.submissions_approve_bulk``."""

from __future__ import annotations

from dataclasses import asdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_context
from workflow.models import BulkApproval, BulkApprovalStatus

CHUNK_SIZE = 100
MAX_REPORTS = 20000


class BulkApprovalRefused(Exception):
    """The job cannot start; ``str()`` is a message for the user."""


def bulk_approval_start(*, acting_user, submission_ids) -> BulkApproval:
    """Queue the approval of those of ``submission_ids`` that await the acting
    user's approval; the others are left out. The worker starts after the commit."""
    from workflow.selectors import approvable_ids
    from workflow.tasks import bulk_approval_run

    ids = approvable_ids(acting_user, submission_ids)
    if not ids:
        raise BulkApprovalRefused(_("None of the chosen reports awaits your approval."))
    if len(ids) > MAX_REPORTS:
        raise BulkApprovalRefused(
            _("At most %(max)d reports can be approved at once.") % {"max": MAX_REPORTS}
        )
    with (
        transaction.atomic(),
        audit_context(
            acting_user=acting_user, action="bulk_approval_start", reports=len(ids)
        ),
    ):
        job = BulkApproval(created_by=acting_user, submission_ids=ids, total=len(ids))
        job.full_clean()
        job.save()
        bulk_approval_run.delay_on_commit(job.pk)
        return job


def bulk_approval_process(*, job_id: int) -> BulkApproval:
    """Approve the job's reports in chunks, saving the outcomes after each chunk.
    Reports already in the outcomes (a retried run) are skipped."""
    from workflow.services import submissions_approve_bulk

    with transaction.atomic():
        job = BulkApproval.objects.select_for_update().get(pk=job_id)
        if job.status in (BulkApprovalStatus.FINISHED, BulkApprovalStatus.FAILED):
            return job
        job.status = BulkApprovalStatus.RUNNING
        job.save(update_fields=["status"])
    handled = {outcome["submission_id"] for outcome in job.outcomes}
    remaining = [pk for pk in job.submission_ids if pk not in handled]
    remaining = _recover_interrupted_chunk(job, remaining)
    for start in range(0, len(remaining), CHUNK_SIZE):
        chunk = remaining[start : start + CHUNK_SIZE]
        with audit_context(acting_user=job.created_by, action="bulk_approval_run"):
            outcomes = submissions_approve_bulk(
                acting_user=job.created_by, submission_ids=chunk
            )
        job.outcomes = [*job.outcomes, *(asdict(outcome) for outcome in outcomes)]
        job.done = len(job.outcomes)
        job.save(update_fields=["outcomes", "done"])
    job.status = BulkApprovalStatus.FINISHED
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at"])
    return job


def _recover_interrupted_chunk(job: BulkApproval, remaining: list[int]) -> list[int]:
    """Record as approved the reports a stopped run approved after its last saved
    chunk, and enqueue their effects again (idempotent: a chunk whose task did
    go out repeats nothing), since that run may have stopped before enqueuing
    them; return the reports still to approve."""
    from workflow.models import ApprovalEvent, EventAction
    from workflow.services import BulkOutcome, transition_effects_enqueue

    approved = {
        event.submission_id: event
        for event in ApprovalEvent.objects.filter(
            submission_id__in=remaining,
            actor=job.created_by,
            action=EventAction.APPROVE,
            created_at__gte=job.created_at,
        ).order_by("pk")
    }
    if not approved:
        return remaining
    transition_effects_enqueue(event_ids=[e.pk for e in approved.values()])
    job.outcomes = [
        *job.outcomes,
        *(
            asdict(BulkOutcome(pk, True, approved[pk].to_status))
            for pk in remaining
            if pk in approved
        ),
    ]
    job.done = len(job.outcomes)
    job.save(update_fields=["outcomes", "done"])
    return [pk for pk in remaining if pk not in approved]


def bulk_approval_fail(*, job_id: int) -> None:
    """Mark a job that cannot go on as failed, keeping the outcomes so far."""
    BulkApproval.objects.filter(
        pk=job_id,
        status__in=[BulkApprovalStatus.QUEUED, BulkApprovalStatus.RUNNING],
    ).update(status=BulkApprovalStatus.FAILED, finished_at=timezone.now())
