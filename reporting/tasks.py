"""Background work after a report changes hands. Thin: each task calls a service."""

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError),
    retry_backoff=True,
    max_retries=5,
)
def submission_submitted(submission_id: int, receipt_id: int) -> None:
    """Everything that follows a submission: the receipt e-mail now; validation and
    approval (later issues) plug in here."""
    from reporting.notify import receipt_email_send

    receipt_email_send(receipt_id=receipt_id)
