"""Background validation work. Thin: each task calls a service."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

RETRIED = (OperationalError, InterfaceError, ConnectionError)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=RETRIED,
    retry_backoff=True,
    max_retries=5,
)
def validation_batch_run_task(self, batch_id: int) -> dict:
    """Run a national validation batch (idempotent)."""
    from validation.batch import validation_batch_fail, validation_batch_run

    try:
        batch = validation_batch_run(batch_id=batch_id)
    except Exception as error:
        if not isinstance(error, RETRIED) or self.request.retries >= self.max_retries:
            validation_batch_fail(batch_id=batch_id, reason=repr(error)[:1000])
        raise
    return {"batch": batch.pk, "status": batch.status, "done": batch.progress_done}
