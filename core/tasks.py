"""Periodic housekeeping run by Celery beat."""

from celery import shared_task
from django.core import management


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3
)
def clear_expired_sessions() -> None:
    """Delete expired sessions (idempotent)."""
    management.call_command("clearsessions")
