"""Publishing in the background. Thin: each task calls one idempotent service."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

_RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError, InterfaceError, ConnectionError),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(**_RETRY)
def observations_publish_task(submission_id: int, event_id: int) -> int:
    """Publish the figures of a finally approved report (exactly once)."""
    from indicators.publishing import observations_publish

    return observations_publish(submission_id=submission_id, event_id=event_id)


@shared_task(**_RETRY)
def observations_withdraw_task(submission_id: int, event_id: int) -> int:
    """Withdraw the figures of a report whose final approval was withdrawn."""
    from indicators.publishing import observations_withdraw

    return observations_withdraw(submission_id=submission_id, event_id=event_id)
