"""Background work after approval transitions. Thin: each task calls a service."""

import logging
from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError, SMTPException),
    retry_backoff=True,
    max_retries=5,
)
def transition_effects(event_id: int) -> None:
    """Notify, mark compilations out of date and publish after one approval event.
    Idempotent: a retry repeats nothing already done."""
    from workflow.effects import transition_effects_apply

    transition_effects_apply(event_id=event_id)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError, SMTPException),
    retry_backoff=True,
    max_retries=5,
)
def transition_effects_many(event_ids: list[int]) -> list[int]:
    """The effects of many approval events (a bulk approval's chunk) at once.
    Idempotent per event: a retried or duplicated task repeats nothing. An event
    whose effects fail gets a task of its own; its id is returned. When what the
    events share fails (their reads, the insert of their notifications), every
    event gets a task of its own, so only the faulty one stays undone."""
    from workflow.effects import TRANSIENT_ERRORS, transition_effects_apply_many

    try:
        failed = transition_effects_apply_many(event_ids=event_ids)
    except TRANSIENT_ERRORS:
        raise
    except Exception:
        logger.exception("Effects of approval events %s failed together", event_ids)
        failed = list(event_ids)
    for event_id in failed:
        transition_effects.delay(event_id)
    return failed


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError, SMTPException),
    retry_backoff=True,
    max_retries=5,
)
def submission_submitted(submission_id: int, receipt_id: int) -> None:
    """Everything that follows a submission: the check of the submitted revision
    (errors return the report, otherwise it awaits review), then the receipt
    e-mail. Each step is idempotent."""
    from reporting.models import Receipt
    from reporting.notify import receipt_email_send
    from validation.services import submission_validate_after_submit
    from workflow.services import submission_validation_record

    revision_id = Receipt.objects.values_list("revision_id", flat=True).get(
        pk=receipt_id
    )
    result = submission_validate_after_submit(
        submission_id=submission_id, revision_id=revision_id
    )
    submission_validation_record(
        submission_id=submission_id, revision_id=revision_id, errors=result.errors
    )
    receipt_email_send(receipt_id=receipt_id)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError),
    retry_backoff=True,
    max_retries=5,
)
def bulk_approval_run(job_id: int) -> None:
    """Approve a bulk job's reports chunk by chunk. Idempotent: a retry skips the
    reports already handled; a job that cannot go on is marked failed."""
    from workflow.bulk import bulk_approval_fail, bulk_approval_process

    try:
        bulk_approval_process(job_id=job_id)
    except (OperationalError, InterfaceError, ConnectionError):
        raise
    except Exception:
        bulk_approval_fail(job_id=job_id)
        raise


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError, SMTPException),
    retry_backoff=True,
    max_retries=5,
)
def consolidation_recompute(self, consolidation_id: int) -> str:
    """Compile an out-of-date report again while its values are the machine's.
    Idempotent: a report that is current again is left alone."""
    from workflow.consolidation import RecomputeLater, consolidation_recompute_apply

    try:
        return consolidation_recompute_apply(consolidation_id=consolidation_id)
    except RecomputeLater as later:
        raise self.retry(countdown=5, max_retries=60) from later
