"""Background work after a report changes hands. Thin: each task calls a service."""

import datetime
from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError, SMTPException),
    retry_backoff=True,
    max_retries=5,
)
def reminders_send_due(day: str | None = None) -> dict:
    """Send today's reminder digests (``day`` as YYYY-MM-DD to run another day).
    Idempotent: a retry or a second run on the same day sends nothing twice."""
    from reporting.reminders import reminders_send

    run = reminders_send(today=datetime.date.fromisoformat(day) if day else None)
    return {
        "day": run.day.isoformat(),
        "notified": run.notified,
        "emailed": run.emailed,
    }
