"""A direct import: read, map, type-check and store an upload in one pass.

The web flow reads an upload into a preview (every cell's old and new value, the
validation rules' verdict), waits for the uploader's confirmation and then commits.
Operators and scripts (``manage.py import_workbook`` without ``--dry-run``, or
``import_workbook_direct`` called by an API) import at once: the same reading and
checks as the dry run, but only counts and problems are kept, and each ready report
gets its revision in the same pass, through the same bulk save (the rules of a single
save; a report changed since it was read is refused as "changed meanwhile").

The job ends with the summary the two-step flow gives after its commit: the same
status, counts, reports and conflicts. What the direct import leaves out is the
interactive preview only: no per-cell rows, and no validation preview (the rules are
checked when the report is submitted).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.audit import audit_context
from core.bulk import bulk_create_by_copy
from imports.commit import commit_reports
from imports.dry_run import CheckedReport, DryRun
from imports.models import ImportJob, ImportJobStatus, ImportReport, ImportReportStatus
from imports.parsers.workbook import read_workbook
from imports.services import (
    COMMIT_CHUNK,
    MAX_SUMMARY_CONFLICTS,
    _conflict,
    _report_row,
    any_importable,
    import_job_create,
    import_job_read_with,
    import_summary,
    stored_upload,
)


def import_workbook_direct(
    *, acting_user, uploaded_file, form=None, language: str = "vi"
) -> ImportJob:
    """Store an upload and import it at once (no preview, no confirmation).

    Raise what ``import_job_create`` raises (PermissionDenied, ValidationError);
    everything else about the file ends in the job's summary.
    """
    job = import_job_create(
        acting_user=acting_user,
        uploaded_file=uploaded_file,
        form=form,
        language=language,
        enqueue=False,
    )
    return import_job_run(job_id=job.pk)


def import_job_run(*, job_id: int) -> ImportJob:
    """Read a stored upload and import its reports; a job already read is kept."""
    return import_job_read_with(job_id, _run, failure="Importing upload %s failed")


def _run(job: ImportJob) -> ImportJob:
    user = job.created_by
    content = read_workbook(stored_upload(job), job.original_name)
    checked: list[CheckedReport] = []
    if not content.refused:
        checked = DryRun(user, form=job.form, preview=False).reports(content)
    del content.templates[:], content.long_tables[:]  # the values are in ``checked``
    with (
        transaction.atomic(),
        audit_context(acting_user=user, action="import_job_run", job=job.pk),
    ):
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportJobStatus.PARSING:
            return job  # cancelled meanwhile
        job.reports.all().delete()
        rows = [
            _report_row(job, position, report)
            for position, report in enumerate(checked)
        ]
        # The values are handed to the save from memory, not stored twice.
        values = [row.values for row in rows]
        for row in rows:
            row.values = {}
        bulk_create_by_copy(rows)
        for row, row_values in zip(rows, values, strict=True):
            row.values = row_values
        importable = any_importable(rows)
        now = timezone.now()
        job.parsed_at = now
        if not importable:
            job.status = ImportJobStatus.REFUSED
            job.summary = import_summary(
                job, rows, file_problems=content.problems, dry_run=True
            )
            job.finished_at = now
            job.progress_done = job.progress_total = len(rows)
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
        # The conflicts of the file as a whole, as the two-step flow keeps them from
        # its dry run into the summary of its commit.
        read_conflicts = [_conflict(p) for p in content.problems]
        read_conflicts += [c for row in rows for c in row.problems]
        file_conflicts = [
            c
            for c in read_conflicts[:MAX_SUMMARY_CONFLICTS]
            if not c.get("unit") and not c.get("cell")
        ]
        ready = [row for row in rows if row.status == ImportReportStatus.READY]
        job.status = ImportJobStatus.COMMITTING
        job.confirmed_at = now
        job.progress_done, job.progress_total = 0, len(ready)
        job.save(
            update_fields=[
                "status",
                "parsed_at",
                "confirmed_at",
                "progress_done",
                "progress_total",
            ]
        )
    # Where a value the save refuses came from (asked for those only).
    reads = {
        row.pk: report.read
        for row, report in zip(rows, checked, strict=True)
        if report.read is not None
    }

    def address(report: ImportReport, cell: str) -> str:
        row, _sep, column = cell.rpartition(":")
        key = (row, int(column)) if column.isdigit() else None
        read = reads.get(report.pk)
        return ((read.cells.get(key) if read else None) or ("",))[0]

    for start in range(0, len(ready), COMMIT_CHUNK):
        chunk = ready[start : start + COMMIT_CHUNK]
        with (
            transaction.atomic(),
            audit_context(acting_user=user, action="import_job_commit", job=job.pk),
        ):
            commit_reports(user, chunk, address=address)
        ImportJob.objects.filter(pk=job.pk).update(progress_done=start + len(chunk))
    with (
        transaction.atomic(),
        audit_context(acting_user=user, action="import_job_commit", job=job.pk),
    ):
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        summary = import_summary(job, rows, dry_run=False)
        summary["conflicts"] = (file_conflicts + summary["conflicts"])[
            :MAX_SUMMARY_CONFLICTS
        ]
        job.summary = summary
        job.status = ImportJobStatus.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["summary", "status", "finished_at"])
    return job
