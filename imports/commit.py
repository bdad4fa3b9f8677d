"""Committing the ready reports of an upload: each opened and given a revision.

The values a report's revision gets are the stored ones overlaid by the file's,
handed to the bulk save as the web form would send them, the numbers already in
canonical form apart (``handed_on_values``). Each report's outcome is recorded on
its ImportReport row: committed, unchanged, refused or changed meanwhile.
"""

from __future__ import annotations

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.bulk import bulk_update_by_values
from forms.definition.grid import cell_grid
from forms.definition.model import CellState, DataType
from imports.models import ImportReport, ImportReportStatus
from reporting.bulk_services import (
    BulkSaveItem,
    NumberCells,
    submissions_open_bulk,
    submissions_save_bulk,
)
from reporting.models import RevisionSource
from reporting.services import (
    ReportError,
    SubmissionConflict,
    SubmissionValuesInvalid,
    cell_specs,
)

_NUMERIC = frozenset(t for t in DataType if t.is_numeric)


def commit_reports(user, reports: list[ImportReport], *, address=None) -> None:
    """Import ready reports: open them and save one revision each, all in bulk.

    ``address(report, cell)`` names a refused value's place in the file; by
    default the report's stored per-cell summary is asked."""
    if not reports:
        return
    try:
        # Reports not stored yet are stored with their first revision ...
        outcomes = _save_reports(user, reports, create=False)
    except IntegrityError:
        # ... unless one was opened meanwhile: then all are opened first.
        outcomes = _save_reports(user, reports, create=True)
    for report, outcome in outcomes:
        if isinstance(outcome, ReportError):  # not opened
            _mark_refused(
                report, ImportReportStatus.REFUSED, "report_not_editable", str(outcome)
            )
        elif outcome is None or isinstance(outcome.error, SubmissionConflict):
            _mark_changed_meanwhile(report)
        elif isinstance(outcome.error, SubmissionValuesInvalid):
            _mark_values_refused(report, outcome.error, address or _stored_address)
        elif outcome.error is not None:
            _mark_refused(
                report,
                ImportReportStatus.REFUSED,
                "report_not_editable",
                str(outcome.error),
            )
        else:
            report.status = (
                ImportReportStatus.COMMITTED
                if outcome.created
                else ImportReportStatus.UNCHANGED
            )
            report.revision_number = (
                outcome.revision.number if outcome.revision else None
            )
            report.committed_at = timezone.now()
    bulk_update_by_values(
        reports, ["status", "problems", "revision_number", "committed_at"]
    )


def _save_reports(user, reports: list[ImportReport], *, create: bool) -> list[tuple]:
    """Open and save ``reports``; return each with its outcome: the save's result,
    the refusal to open it, or None if it changed since the dry run. Nothing is
    marked on the reports, so that a failed attempt can be made again."""
    opened = submissions_open_bulk(
        acting_user=user,
        keys=[(r.form_version, r.org_unit, r.period) for r in reports],
        create=create,
    )
    grids: dict[int, dict] = {}
    items: list[BulkSaveItem] = []
    saving: list[ImportReport] = []
    outcomes: list[tuple] = []
    for report in reports:
        version = report.form_version
        submission = opened[(version.pk, report.org_unit_id, report.period)]
        if isinstance(submission, ReportError):
            outcomes.append((report, submission))
            continue
        if submission.revision_count != (report.base_revision or 0):
            outcomes.append((report, None))
            continue
        if version.pk not in grids:
            grid = cell_grid(version.form_definition)
            specs = cell_specs(grid)
            grids[version.pk] = (grid, specs, NumberCells.of(specs))
        current = submission.current_revision
        grid, specs, numbers = grids[version.pk]
        canonical, typed = handed_on_values(
            version,
            current.values if current else {},
            report.values,
            grid=grid,
            specs=specs,
            numbers=numbers,
        )
        items.append(
            BulkSaveItem(
                submission=submission,
                raw_values=typed,
                canonical_values=canonical,
                comments=current.comments if current else {},
                base_revision=report.base_revision or 0,
            )
        )
        saving.append(report)
    results = submissions_save_bulk(
        acting_user=user, items=items, source=RevisionSource.EXCEL
    )
    outcomes.extend(zip(saving, results, strict=True))
    return outcomes


def _mark_changed_meanwhile(report: ImportReport) -> None:
    _mark_refused(
        report,
        ImportReportStatus.CONFLICT,
        "changed_meanwhile",
        _(
            "Someone saved the report of %(unit)s for %(period)s after this file was read; nothing was imported for it. Upload the file again to see the changes."
        )
        % {"unit": report.org_unit.name, "period": report.period},
    )


def _stored_address(report: ImportReport, cell: str) -> str:
    return (report.cells.get(cell) or [None] * 4)[3] or ""


def _mark_values_refused(
    report: ImportReport, error: SubmissionValuesInvalid, address
) -> None:
    for found in error.problems:
        row, _sep, column = found.cell.rpartition(":")
        report.problems.append(
            {
                "sheet": report.sheet,
                "cell": address(report, found.cell),
                "unit": report.unit_code,
                "period": report.period,
                "row_code": row,
                "column": int(column) if column.isdigit() else None,
                "value": "",
                "message": found.render(),
                "code": found.code,
                "severity": "error",
                "params": {},
            }
        )
    report.status = ImportReportStatus.REFUSED
    report.committed_at = timezone.now()


def _mark_refused(report: ImportReport, status: str, code: str, message: str) -> None:
    report.problems.append(
        {
            "sheet": report.sheet,
            "cell": "",
            "unit": report.unit_code,
            "period": report.period,
            "row_code": "",
            "column": None,
            "value": "",
            "message": message,
            "code": code,
            "severity": "error",
            "params": {},
        }
    )
    report.status = status
    report.committed_at = timezone.now()


def handed_on_values(
    version,
    current: dict[str, str],
    imported: dict[str, str],
    *,
    grid=None,
    specs: dict | None = None,
    numbers: NumberCells | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Return every input value of the report (the current revision's, overlaid by
    the imported ones) split in two: the numbers already in their canonical form,
    by their usual cell name (stored as they are, see
    ``BulkSaveItem.canonical_values``), and the rest as the web form would send
    them, which the save checks and canonicalises cell by cell. Typed numbers read
    a dot followed by three digits as a thousands separator, so numbers go on with
    a decimal comma. The save stores the same values either way."""
    grid = grid if grid is not None else cell_grid(version.form_definition)
    specs = specs if specs is not None else cell_specs(grid)
    numbers = numbers if numbers is not None else NumberCells.of(specs)
    merged = {**current, **imported}
    if numbers.all_canonical(merged):  # the common case, checked at C speed
        return merged, {}
    numeric, input_state = _NUMERIC, CellState.INPUT
    canonical: dict[str, str] = {}
    typed: dict[str, str] = {}
    for cell, text in merged.items():
        spec = specs.get(cell)
        if spec is None:  # not by its usual name: "01:02" is cell 01:2 too
            row, _sep, column = cell.rpartition(":")
            spec = grid.get((row, int(column))) if column.isdigit() else None
            if spec is None or spec.state is not input_state:
                continue
            # Checked as typed under the name it came with.
            data_type = spec.data_type
            typed[cell] = text.replace(".", ",") if data_type in numeric else text
            continue
        if spec.state is not input_state:
            continue
        if spec.data_type not in numeric:
            typed[cell] = text
        elif numbers.canonical(cell, text):
            canonical[cell] = text
        else:
            typed[cell] = text.replace(".", ",")
    return canonical, typed
