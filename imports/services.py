"""Writes of Excel uploads: store a file, read it (the dry run), commit or cancel it.

The web request only stores the file and queues its reading. A worker reads it
(``import_job_parse``): each report it holds becomes an ImportReport row with its
dry run, and the job a summary modelled on DHIS2's ImportSummary. The uploader then
confirms (``import_job_confirm``) and a worker commits (``import_job_commit``) one
revision with source "excel" per report, through reporting's bulk save (the rules
of a single save, a few hundred reports per transaction), or cancels.
Both tasks are idempotent: a report committed once is never committed again, and
a file whose figures are already stored creates nothing.
"""

from __future__ import annotations

import hashlib
import logging
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import audit_context
from core.bulk import bulk_create_by_copy
from core.collector import collector_paused
from core.text import nfc
from forms.definition.model import DataType
from imports.commit import commit_reports
from imports.dry_run import CheckedReport, DryRun
from imports.dry_run_compare import CREATED, IGNORED, UNCHANGED, UPDATED
from imports.models import (
    ImportJob,
    ImportJobStatus,
    ImportReport,
    ImportReportStatus,
)
from imports.parsers.problems import ImportProblem
from imports.parsers.report import values_by_name
from imports.parsers.workbook import read_workbook
from imports.parsers.xlsx_safety import DEFAULT_LIMITS
from imports.selectors import form_versions_by_id, user_reports_anywhere

logger = logging.getLogger(__name__)

_NUMERIC = frozenset(t for t in DataType if t.is_numeric)

MAX_FILE_BYTES = DEFAULT_LIMITS.max_bytes
MAX_SUMMARY_CONFLICTS = 10_000
PROGRESS_EVERY = 25
COMMIT_CHUNK = 200  # reports committed per transaction
ACCEPTED_SUFFIXES = {"xlsx", "xlsm", "xls", "ods", "csv", "pdf", "txt"}


# --- Uploading -----------------------------------------------------------------------


def import_job_create(
    *,
    acting_user,
    uploaded_file,
    form=None,
    language: str = "vi",
    enqueue: bool = True,
) -> ImportJob:
    """Store an uploaded workbook and queue its reading after the commit.

    Raise PermissionDenied unless ``acting_user`` reports for some unit, and
    ValidationError for an empty or too large file (everything else about the
    file is judged by the worker, which names the problem). ``enqueue=False``
    leaves the reading to the caller (the command line reads in its own process).
    """
    if not user_reports_anywhere(acting_user):
        raise PermissionDenied
    name = nfc(uploaded_file.name or "").strip() or "upload.xlsx"
    if not uploaded_file.size:
        raise ValidationError(_("The file is empty."), code="file_empty")
    if uploaded_file.size > MAX_FILE_BYTES:
        raise ValidationError(
            _("The file is %(size_mb)s MB; at most %(max_mb)s MB can be uploaded.")
            % {
                "size_mb": f"{uploaded_file.size / 2**20:.1f}",
                "max_mb": str(MAX_FILE_BYTES // 2**20),
            },
            code="file_too_large",
        )
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    suffix = name.rsplit(".", 1)[-1].casefold() if "." in name else ""
    stored_suffix = suffix if suffix in ACCEPTED_SUFFIXES else "bin"
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="import_job_create"),
    ):
        job = ImportJob(
            original_name=name[:255],
            size=uploaded_file.size,
            sha256=digest.hexdigest(),
            form=form,
            created_by=acting_user,
            language=(language or "vi")[:8],
        )
        # The stored name is random: the original one stays in original_name.
        job.file.save(f"{uuid.uuid4().hex}.{stored_suffix}", uploaded_file, save=False)
        job.full_clean()
        job.save()
        if enqueue:
            from imports.tasks import import_job_parse_task

            import_job_parse_task.delay_on_commit(job.pk)
    return job


# --- Reading: the dry run --------------------------------------------------------------


def import_job_parse(*, job_id: int) -> ImportJob:
    """Read a stored upload and record its dry run; a job already read is kept."""
    return import_job_read_with(job_id, _parse, failure="Reading upload %s failed")


def import_job_read_with(job_id: int, work, *, failure: str) -> ImportJob:
    """Claim a queued upload for reading and run ``work(job)`` in the uploader's
    language; return a job already read as it is. A failure the task will not
    retry marks the job failed (``failure`` is the log line, with the job id)."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update()
            .select_related("created_by")
            .get(pk=job_id)
        )
        if job.status not in {ImportJobStatus.QUEUED, ImportJobStatus.PARSING}:
            return job
        job.status = ImportJobStatus.PARSING
        job.progress_done = job.progress_total = 0
        job.save(update_fields=["status", "progress_done", "progress_total"])
    try:
        with translation.override(job.language), collector_paused():
            return work(job)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        logger.exception(failure, job_id)
        _fail(job_id)
        raise


def stored_upload(job: ImportJob) -> bytes:
    """Return the stored file's bytes (one more than the limit at most, so an
    oversized file is still refused by name); nothing if it cannot be read."""
    try:
        with job.file.open("rb") as stored:
            return stored.read(MAX_FILE_BYTES + 1)
    except OSError:
        return b""


def _parse(job: ImportJob) -> ImportJob:
    content = read_workbook(stored_upload(job), job.original_name)
    total = len(content.templates) + sum(len(t.groups) for t in content.long_tables)
    ImportJob.objects.filter(pk=job.pk).update(progress_total=total)

    def progress(done: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            ImportJob.objects.filter(pk=job.pk).update(progress_done=done)

    checked: list[CheckedReport] = []
    if not content.refused:
        checked = DryRun(job.created_by, form=job.form).reports(content, progress)
    with (
        transaction.atomic(),
        audit_context(
            acting_user=job.created_by, action="import_job_parse", job=job.pk
        ),
    ):
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportJobStatus.PARSING:
            return job  # cancelled meanwhile
        job.reports.all().delete()
        rows = [
            _report_row(job, position, report)
            for position, report in enumerate(checked)
        ]
        bulk_create_by_copy(rows)
        importable = any_importable(rows)
        job.status = ImportJobStatus.PREVIEW if importable else ImportJobStatus.REFUSED
        job.summary = import_summary(
            job, rows, file_problems=content.problems, dry_run=True
        )
        job.parsed_at = timezone.now()
        job.progress_done = job.progress_total = max(total, len(rows))
        if not importable:
            job.finished_at = job.parsed_at
        job.save(
            update_fields=[
                "status",
                "summary",
                "parsed_at",
                "finished_at",
                "progress_done",
                "progress_total",
            ]
        )
    return job


def any_importable(rows: list[ImportReport]) -> bool:
    """Whether any report of the upload can be imported (or is already stored)."""
    return any(
        row.status in {ImportReportStatus.READY, ImportReportStatus.UNCHANGED}
        for row in rows
    )


def _report_row(job: ImportJob, position: int, report: CheckedReport) -> ImportReport:
    source = report.source
    values = values_by_name(report.read.values) if report.read is not None else {}
    return ImportReport(
        job=job,
        position=position,
        sheet=source.sheet[:255],
        layout=source.layout,
        form_code=(report.template.code if report.template else source.form_code)[:64],
        form_version=report.version,
        unit_code=source.unit_code[:32],
        org_unit=report.unit,
        period=(report.period.id if report.period else source.period)[:16],
        status=(
            ImportReportStatus.READY
            if report.importable
            else ImportReportStatus.UNCHANGED
            if report.read is not None and not any(p.is_error for p in report.problems)
            else ImportReportStatus.REFUSED
        ),
        base_revision=report.base_revision,
        values=values if report.importable else {},
        cells=report.cells,
        counts=report.counts,
        problems=[_conflict(p) for p in report.problems],
    )


def _conflict(found: ImportProblem) -> dict:
    """Return a problem as one conflict of the summary, its message translated."""
    return {
        "sheet": found.sheet,
        "cell": found.cell,
        "unit": found.unit,
        "period": found.period,
        "row_code": found.row_code,
        "column": found.column,
        "value": found.value,
        "message": found.render(_),
        "code": found.code,
        "severity": found.severity.value,
        "params": {k: v for k, v in found.params.items() if _plain(v)},
    }


def _plain(value) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _fail(job_id: int) -> None:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.is_finished:
            return
        job.status = ImportJobStatus.FAILED
        job.finished_at = timezone.now()
        job.summary = {
            **(job.summary or {}),
            "status": "ERROR",
            "description": _(
                "The upload could not be processed because of an internal error; nothing was imported."
            ),
        }
        job.save(update_fields=["status", "finished_at", "summary"])


# --- The summary ----------------------------------------------------------------------


def import_summary(
    job: ImportJob,
    reports: list[ImportReport],
    *,
    file_problems: list[ImportProblem] = (),
    dry_run: bool,
) -> dict:
    """Return the ImportSummary of ``job``: status, counts and conflicts."""
    counts = dict.fromkeys((CREATED, UPDATED, UNCHANGED, IGNORED), 0)
    conflicts = [_conflict(p) for p in file_problems]
    report_lines = []
    for report in reports:
        outcome = _report_counts(report, dry_run=dry_run)
        for name in counts:
            counts[name] += outcome[name]
        conflicts.extend(report.problems)
        report_lines.append(
            {
                "sheet": report.sheet,
                "form": report.form_code,
                "version": report.form_version.number if report.form_version else None,
                "unit": report.unit_code,
                "unit_name": report.org_unit.name if report.org_unit else "",
                "period": report.period,
                "status": report.status,
                "revision": report.revision_number,
                "counts": outcome,
            }
        )
    errors = [c for c in conflicts if c["severity"] == "error"]
    refused_everything = not any(
        r.status
        in {
            ImportReportStatus.READY,
            ImportReportStatus.COMMITTED,
            ImportReportStatus.UNCHANGED,
        }
        for r in reports
    )
    status = (
        "ERROR"
        if refused_everything or (file_problems and errors)
        else "WARNING"
        if conflicts
        else "SUCCESS"
    )
    return {
        "status": status,
        "dry_run": dry_run,
        "file": job.original_name,
        "sha256": job.sha256,
        "counts": counts,
        "reports": report_lines,
        "conflicts": conflicts[:MAX_SUMMARY_CONFLICTS],
        "conflicts_total": len(conflicts),
    }


def _report_counts(report: ImportReport, *, dry_run: bool) -> dict[str, int]:
    counts = {
        name: int(report.counts.get(name, 0))
        for name in (CREATED, UPDATED, UNCHANGED, IGNORED)
    }
    if dry_run or report.status == ImportReportStatus.COMMITTED:
        return counts
    if report.status == ImportReportStatus.UNCHANGED:
        counts[UNCHANGED] += counts[CREATED] + counts[UPDATED]
    else:  # refused, or changed by someone meanwhile
        counts[IGNORED] += counts[CREATED] + counts[UPDATED] + counts[UNCHANGED]
        counts[UNCHANGED] = 0
    counts[CREATED] = counts[UPDATED] = 0
    return counts


# --- Confirming, cancelling, committing ------------------------------------------------


class ImportJobError(Exception):
    """A refusal with a message for the user."""


def import_job_confirm(
    *, acting_user, job: ImportJob, enqueue: bool = True
) -> ImportJob:
    """Commit a read upload: queue the import of its reports after the commit."""
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="import_job_confirm", job=job.pk),
    ):
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.created_by_id != acting_user.pk:
            raise PermissionDenied
        if locked.status in {ImportJobStatus.COMMITTING, ImportJobStatus.DONE}:
            return locked
        if locked.status != ImportJobStatus.PREVIEW:
            raise ImportJobError(
                _("This upload cannot be imported (%(status)s).")
                % {"status": locked.get_status_display()}
            )
        locked.status = ImportJobStatus.COMMITTING
        locked.confirmed_at = timezone.now()
        locked.progress_done = 0
        locked.progress_total = locked.reports.filter(
            status=ImportReportStatus.READY
        ).count()
        locked.save(
            update_fields=["status", "confirmed_at", "progress_done", "progress_total"]
        )
        if enqueue:
            from imports.tasks import import_job_commit_task

            import_job_commit_task.delay_on_commit(locked.pk)
        return locked


def import_job_cancel(*, acting_user, job: ImportJob) -> ImportJob:
    """Drop an upload that was not imported; the stored file stays for the audit."""
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="import_job_cancel", job=job.pk),
    ):
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.created_by_id != acting_user.pk:
            raise PermissionDenied
        if locked.status not in {
            ImportJobStatus.QUEUED,
            ImportJobStatus.PARSING,
            ImportJobStatus.PREVIEW,
        }:
            raise ImportJobError(_("This upload can no longer be cancelled."))
        locked.status = ImportJobStatus.CANCELLED
        locked.finished_at = timezone.now()
        locked.summary = {**(locked.summary or {}), "status": "CANCELLED"}
        locked.save(update_fields=["status", "finished_at", "summary"])
        return locked


def import_job_commit(*, job_id: int) -> ImportJob:
    """Import every ready report of a confirmed upload, one revision each."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ImportJobStatus.COMMITTING:
        return job
    try:
        with translation.override(job.language), collector_paused():
            return _commit(job)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        logger.exception("Importing upload %s failed", job_id)
        _fail(job_id)
        raise


def _commit(job: ImportJob) -> ImportJob:
    user = job.created_by
    pending = list(
        job.reports.filter(status=ImportReportStatus.READY)
        .order_by("position")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(pending), COMMIT_CHUNK):
        chunk = pending[start : start + COMMIT_CHUNK]
        with (
            transaction.atomic(),
            audit_context(acting_user=user, action="import_job_commit", job=job.pk),
        ):
            reports = list(
                ImportReport.objects.select_for_update(of=("self",))
                .select_related("org_unit")
                .defer("cells")  # read only for a refused value's address
                .filter(pk__in=chunk, status=ImportReportStatus.READY)
                .order_by("position")
            )
            # One instance per form version: its definition is decoded once.
            versions = form_versions_by_id(r.form_version_id for r in reports)
            for report in reports:
                report.form_version = versions[report.form_version_id]
            commit_reports(user, reports)
        ImportJob.objects.filter(pk=job.pk).update(progress_done=start + len(chunk))
    with (
        transaction.atomic(),
        audit_context(acting_user=user, action="import_job_commit", job=job.pk),
    ):
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        rows = list(
            job.reports.select_related("form_version", "org_unit")
            .defer("values", "cells")  # large, and not part of the summary
            .order_by("position")
        )
        previous = job.summary or {}
        file_conflicts = [
            conflict
            for conflict in previous.get("conflicts", [])
            if not conflict.get("unit") and not conflict.get("cell")
        ]
        summary = import_summary(job, rows, dry_run=False)
        summary["conflicts"] = (file_conflicts + summary["conflicts"])[
            :MAX_SUMMARY_CONFLICTS
        ]
        job.summary = summary
        job.status = ImportJobStatus.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["summary", "status", "finished_at"])
    return job
