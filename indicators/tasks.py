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


@shared_task(**_RETRY)
def observations_publish_many_task(events: list[list[int]]) -> int:
    """Publish the figures of many finally approved reports, given as
    [submission id, event id] pairs (exactly once each). A report whose figures
    fail gets a task of its own."""
    from indicators.publishing import observations_publish_many

    inserted, failed = observations_publish_many(events=events)
    for submission_id, event_id in failed:
        observations_publish_task.delay(submission_id, event_id)
    return inserted
