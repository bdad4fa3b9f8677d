"""What an upload would change, report by report: each value compared with the
report's current revision (created, updated, unchanged, rejected or ignored), the
totals the file shows checked against what the form will compute, and, for the
preview, the validation rules' verdict on the values the import would store.
Nothing is written here; ``dry_run.DryRun`` calls these once it has found and
checked the reports.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from forms.definition.model import CellState
from imports.parsers.problems import ImportProblem, Severity, gettext_noop, problem
from imports.parsers.report import values_by_name
from reporting.models import Submission
from reporting.services import with_computed_cells
from validation.services import values_check_bulk

CREATED, UPDATED, UNCHANGED, REJECTED, IGNORED = (
    "created",
    "updated",
    "unchanged",
    "rejected",
    "ignored",
)
MAX_PROBLEMS_PER_REPORT = 5000
# The validation preview costs a few queries per report; a larger upload is checked
# on submit instead.
MAX_VALIDATED_REPORTS = 500


def compare(reports: list, *, preview: bool, grid_of) -> None:
    """Compare each report's values with its current revision: counts, and with
    ``preview`` every cell's state; warn where a total shown will not come out."""
    for report in reports:
        read = report.read
        counts = dict.fromkeys((CREATED, UPDATED, UNCHANGED, IGNORED), 0)
        report.counts = counts
        if read is None:
            continue
        report.problems = read.problems + report.problems
        submission = report.submission
        current = (
            submission.current_revision.values
            if submission is not None and submission.current_revision
            else {}
        )
        rejected = {
            (p.row_code, p.column): p for p in read.problems if p.is_error and p.cell
        }
        counts[IGNORED] = read.ignored
        refused = report.refused
        if not preview:
            _count(counts, read, current, rejected, refused)
        for key, (where, shown) in read.cells.items() if preview else ():
            cell = f"{key[0]}:{key[1]}"
            old = current.get(cell, "")
            if key in rejected:
                report.cells[cell] = [REJECTED, shown, old, where]
                continue
            new = read.values.get(key)
            if new is None:
                report.cells[cell] = [IGNORED, shown, old, where]
                continue
            state = CREATED if not old else UNCHANGED if old == new else UPDATED
            if refused:
                counts[IGNORED] += 1
                report.cells[cell] = [IGNORED, new, old, where]
            else:
                counts[state] += 1
                report.cells[cell] = [state, new, old, where]
        if not refused and not read.has_errors and read.file_computed:
            _check_totals(report, current, grid_of)
        del report.problems[MAX_PROBLEMS_PER_REPORT:]


def _check_totals(report, current: dict, grid_of) -> None:
    """Warn where the file shows a total the stored figures will not give."""
    merged = _stored_with_file(report, current, grid_of(report.version))
    computed = with_computed_cells(report.version, merged)
    for (row, column), (where, raw) in report.read.file_computed.items():
        expected = computed.get(f"{row}:{column}")
        if not _differs(raw, expected):
            continue
        report.problems.append(
            problem(
                "total_differs",
                gettext_noop(
                    "Cell %(row)s/%(column)d is computed by the form: the file shows %(shown)s, the figures that will be stored give %(computed)s."
                ),
                severity=Severity.WARNING,
                cell_value=raw,
                row=row,
                column=column,
                shown=_text(raw),
                computed=expected or "–",
            ).at(
                sheet=report.source.sheet,
                cell=where,
                unit=report.source.unit_code,
                period=report.source.period,
                row_code=row,
                column=column,
            )
        )


def validate(reports: list, *, grid_of) -> None:
    """Add, as warnings, the violations of the validation rules by the values the
    import would store (the stored values with the file's merged in). They do
    not keep a report out: a draft may break rules, a submission may not."""
    ready = [
        r
        for r in reports
        if r.read is not None
        and not r.refused
        and not r.read.has_errors
        and (r.counts.get(CREATED) or r.counts.get(UPDATED))
    ]
    checking = ready[:MAX_VALIDATED_REPORTS]
    items = []
    for report in checking:
        submission = report.submission or Submission(
            template=report.template,
            form_version=report.version,
            org_unit=report.unit,
            period=report.period.id,
            period_start=report.period.start,
            period_end=report.period.end,
        )
        current = (
            submission.current_revision.values if submission.current_revision_id else {}
        )
        merged = _stored_with_file(report, current, grid_of(report.version))
        items.append((submission, merged))
    found = values_check_bulk(items=items)
    for report, violations in zip(checking, found, strict=True):
        for violation in violations:
            report.problems.append(_violation_problem(report, violation))


def _violation_problem(report, violation: dict) -> ImportProblem:
    row, column = violation["row"], violation["column"]
    own_cells = [
        cell
        for cell in violation["cells"]
        if cell["form"] is None and not cell["period"] and not cell["scope"]
    ]
    if (row is None or column is None) and own_cells:
        row, column = own_cells[0]["row"], own_cells[0]["column"]
    where = ""
    if row is not None and column is not None:
        where = (report.read.cells.get((row, column)) or ("", None))[0]
    if violation["importance"] == "error":
        message = gettext_noop(
            "Rule %(rule)s: %(text)s (an error: the report cannot be submitted like this)"
        )
    else:
        message = gettext_noop("Rule %(rule)s: %(text)s")
    found = problem(
        f"validation_{violation['importance']}",
        message,
        severity=Severity.WARNING,
        cell_value=violation["left"] if violation["left"] is not None else "",
        rule=violation["rule"],
        text=violation["message"],
    )
    return found.at(
        sheet=report.source.sheet,
        cell=where or "",
        unit=report.source.unit_code,
        period=report.source.period,
        row_code=row or "",
        column=column,
    )


def _count(counts: dict, read, current: dict, rejected, refused) -> None:
    """Count what ``_compare`` would list cell by cell, without the list: each value
    to import (those of ``read.cells`` that have one, the refused ones aside)."""
    values = read.values
    if rejected:
        values = {key: new for key, new in values.items() if key not in rejected}
    if refused:
        counts[IGNORED] += len(values)
        return
    if not current:
        counts[CREATED] += len(values)
        return
    for (row, column), new in values.items():
        old = current.get(f"{row}:{column}", "")
        counts[CREATED if not old else UNCHANGED if old == new else UPDATED] += 1


def _stored_with_file(report, current: dict, grid: dict) -> dict[str, str]:
    """The values the import would store: the stored input values with the file's
    laid over them, by cell name."""
    merged = {
        cell: text
        for cell, text in current.items()
        if _spec_state(grid, cell) is CellState.INPUT
    }
    merged.update(values_by_name(report.read.values))
    return merged


def _spec_state(grid: dict, cell: str):
    row, _sep, column = cell.rpartition(":")
    spec = grid.get((row, int(column))) if column.isdigit() else None
    return spec.state if spec is not None else None


def _text(raw) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _differs(raw, expected: str | None) -> bool:
    if raw in (None, ""):
        return False
    if not isinstance(raw, int | float) or isinstance(raw, bool):
        return True
    if expected in (None, ""):
        return raw != 0
    try:
        wanted = Decimal(expected)
        shown = Decimal(format(raw, ".15g"))
    except InvalidOperation:
        return True
    return abs(wanted - shown) > Decimal("1e-9") * max(Decimal(1), abs(wanted))
