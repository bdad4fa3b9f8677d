"""Background work of the accounts app: thin wrappers around services."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from accounts.services import user_import_job_run


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def run_user_import(job_id: int) -> None:
    """Create the accounts of a stored list (idempotent: a finished job is kept)."""
    user_import_job_run(job_id=job_id)
