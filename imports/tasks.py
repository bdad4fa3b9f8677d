"""Background work of Excel uploads: thin, idempotent wrappers around services."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from imports.services import import_job_commit, import_job_parse

# A 20 MB workbook of a thousand reports is read in well under a minute and
# committed in a few; past these limits the job is marked failed, nothing half-done.
PARSE_SOFT_LIMIT = 10 * 60
COMMIT_SOFT_LIMIT = 30 * 60


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=PARSE_SOFT_LIMIT,
    time_limit=PARSE_SOFT_LIMIT + 60,
)
def import_job_parse_task(job_id: int) -> None:
    """Read a stored upload and record its dry run (a job already read is kept)."""
    import_job_parse(job_id=job_id)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=COMMIT_SOFT_LIMIT,
    time_limit=COMMIT_SOFT_LIMIT + 60,
)
def import_job_commit_task(job_id: int) -> None:
    """Import the reports of a confirmed upload (each report at most once)."""
    import_job_commit(job_id=job_id)
