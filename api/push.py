"""Pushed data values into reports: the service behind POST /api/v1/dataValueSets
and /api/v1/adx.

Each data value set names a form (``dataSet``), a unit (``orgUnit``) and a period;
its values are placed by row code and column number, checked as a web save checks
them, and stored through ``reporting.bulk_services.submissions_save_bulk`` as one
revision (source "api") per report, on the form version the unit reports on for the
period. A set with any refused value is not imported (nothing is half-stored);
the others are. The answer is the cell-level import summary of the Excel upload.

Strategies: CREATE_AND_UPDATE merges the pushed values into the stored ones;
REPLACE makes the pushed values the report's only values (stale values removed);
DELETE removes the pushed cells. A dry run does all of it in a transaction that is
rolled back.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from api.auth import ApiPrincipal
from api.parsers import DataValueSet
from core.audit import audit_context
from forms.definition.grid import cell_grid
from forms.definition.model import CellState, DataType
from forms.definition.periods import Period, PeriodError, parse_period
from imports.selectors import form_templates_by_code, units_by_code, valid_during
from orgunits.selectors import user_has_role
from reporting.bulk_selectors import AssignmentFinder
from reporting.bulk_services import (
    BulkSaveItem,
    NumberCells,
    submissions_open_bulk,
    submissions_save_bulk,
)
from reporting.models import RevisionSource
from reporting.services import (
    ReportError,
    SubmissionValuesInvalid,
)
from workflow.services import WorkflowRefused, submission_submit

STRATEGIES = ("CREATE_AND_UPDATE", "REPLACE", "DELETE")
CREATED, UPDATED, UNCHANGED, IGNORED, DELETED = (
    "created",
    "updated",
    "unchanged",
    "ignored",
    "deleted",
)
MAX_CONFLICTS = 10_000
_MACHINE_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_INTEGER, _NUMBER, _OTHER = 1, 2, 3  # input cells: whole numbers, other numbers, text


class _DryRunDone(Exception):
    """Raised to roll a dry run back."""


@dataclass
class _Report:
    """One (form, unit, period) of the push, gathered from one or more sets."""

    source: DataValueSet
    template: object = None
    version: object = None
    unit: object = None
    period: Period | None = None
    grid: dict | None = None
    cells: "_Cells | None" = None
    values: dict[str, str] = field(default_factory=dict)  # cell -> machine text
    cleared: set[str] = field(default_factory=set)
    parts: list["_Report"] = field(default_factory=list)  # the sets gathered here
    refused: bool = False
    pushed: int = 0
    status: str = "refused"
    revision: int | None = None
    submitted: bool = False
    submission: object = None
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            (CREATED, UPDATED, UNCHANGED, IGNORED, DELETED), 0
        )
    )


class _Cells:
    """The cells of one form version, as pushed values name them."""

    def __init__(self, grid: dict) -> None:
        self.by_name = {
            (row, str(column)): spec for (row, column), spec in grid.items()
        }
        self.inputs = {
            f"{row}:{column}"
            for (row, column), spec in grid.items()
            if spec.state is CellState.INPUT
        }
        self.numeric = {
            f"{row}:{column}"
            for (row, column), spec in grid.items()
            if spec.data_type.is_numeric
        }
        # (row code, column as sent) -> (cell, kind) of input cells, one look-up a value.
        self.entry = {
            (row, str(column)): (
                f"{row}:{column}",
                _INTEGER
                if spec.data_type is DataType.INTEGER
                else _NUMBER
                if spec.data_type.is_numeric
                else _OTHER,
            )
            for (row, column), spec in grid.items()
            if spec.state is CellState.INPUT
        }
        # Which values are numbers in their canonical form, stored as they are.
        self.number_cells = NumberCells(
            integers=frozenset(
                c for c, kind in self.entry.values() if kind == _INTEGER
            ),
            numbers=frozenset(c for c, kind in self.entry.values() if kind != _OTHER),
        )


class _Summary:
    def __init__(self) -> None:
        self.conflicts: list[dict] = []

    def add(
        self,
        code: str,
        message: str,
        params: dict | None = None,
        *,
        source: DataValueSet | None = None,
        unit: str = "",
        period: str = "",
        cell: str = "",
        row_code: str = "",
        column=None,
        value: str = "",
        severity: str = "error",
        rendered: str | None = None,
    ) -> None:
        params = params or {}
        if rendered is None:
            text = gettext(message)
            rendered = text % params if params else text
            english = message % params if params else message
        else:
            english = ""
        self.conflicts.append(
            {
                "sheet": f"dataValueSets[{source.position}]" if source else "",
                "cell": cell,
                "unit": unit or (source.org_unit if source else ""),
                "period": period or (source.period if source else ""),
                "row_code": row_code,
                "column": column,
                "value": value,
                "message": rendered,
                "message_en": english,
                "code": code,
                "severity": severity,
                "params": {k: v for k, v in params.items() if _plain(v)},
            }
        )


def _plain(value) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def data_values_push(
    *,
    principal: ApiPrincipal,
    sets: list[DataValueSet],
    strategy: str = "CREATE_AND_UPDATE",
    dry_run: bool = False,
    submit: bool = False,
    today: datetime.date | None = None,
) -> dict:
    """Store pushed data values as report revisions; return the import summary."""
    user = principal.user
    summary = _Summary()
    reports = _gather(principal, sets, summary)
    result: dict = {}
    try:
        with (
            transaction.atomic(),
            audit_context(
                acting_user=user,
                action="api_push",
                token=principal.token.pk if principal.token else None,
                strategy=strategy,
            ),
        ):
            _store(user, reports, summary, strategy=strategy, today=today)
            if submit:
                _submit(user, reports, summary, today=today)
            result = _summary_of(reports, summary, strategy=strategy, dry_run=dry_run)
            if dry_run:
                raise _DryRunDone
    except _DryRunDone:
        pass
    return result


# --- Reading the sets -------------------------------------------------------------------


def _gather(
    principal: ApiPrincipal, sets: list[DataValueSet], summary: _Summary
) -> list[_Report]:
    templates = form_templates_by_code(s.data_set for s in sets)
    units = units_by_code(s.org_unit for s in sets)
    finder = AssignmentFinder()
    grids: dict[int, dict] = {}
    tables: dict[int, _Cells] = {}
    by_key: dict[tuple, _Report] = {}
    reports: list[_Report] = []
    for source in sets:
        report = _Report(source)
        report.pushed = len(source.values)
        reports.append(report)
        if not _resolve(principal, report, templates, units, finder, summary):
            report.refused = True
            report.counts[IGNORED] = report.pushed
            continue
        version = report.version
        if version.pk not in grids:
            grids[version.pk] = cell_grid(version.form_definition)
            tables[version.pk] = _Cells(grids[version.pk])
        report.grid = grids[version.pk]
        report.cells = tables[version.pk]
        key = (report.template.pk, report.unit.pk, report.period.id)
        target = by_key.get(key)
        if target is None:
            by_key[key] = target = report
        target.parts.append(report)
        if (
            target is not report
        ):  # the same report sent twice: one revision, the later values winning
            report.status = "merged"
            target.pushed += report.pushed
            report.pushed = 0
        if not _read_values(report, target, summary):
            target.refused = True
    for report in reports:
        if report.refused and report.status != "merged":
            report.counts[IGNORED] = report.pushed
    return reports


def _resolve(principal, report: _Report, templates, units, finder, summary) -> bool:
    source = report.source
    template = templates.get(source.data_set)
    if template is None:
        summary.add(
            "form_unknown",
            gettext_noop("There is no form with the code %(code)s."),
            {"code": source.data_set},
            source=source,
        )
        return False
    report.template = template
    try:
        report.period = parse_period(source.period)
    except PeriodError:
        summary.add(
            "period_unknown",
            gettext_noop(
                "%(value)s is not a reporting period; write periods as 2026, 2026Q3, 2026M11, 2026S1 or 2026N9 (ADX: 2026-11-01/P1M)."
            ),
            {"value": source.period},
            source=source,
        )
        return False
    candidates = [
        u for u in units.get(source.org_unit, []) if valid_during(u, report.period)
    ]
    if len(candidates) > 1:
        mine = [u for u in candidates if principal.allows_unit(u)]
        candidates = mine or candidates
    if len(candidates) != 1:
        summary.add(
            "unit_unknown" if not candidates else "unit_ambiguous",
            gettext_noop("There is no unit with the code %(code)s.")
            if not candidates
            else gettext_noop(
                "Several units carry the code %(code)s in %(period)s; this token cannot tell which."
            ),
            {"code": source.org_unit, "period": report.period.label},
            source=source,
        )
        return False
    unit = report.unit = candidates[0]
    if not principal.allows_unit(unit) or not user_has_role(
        principal.user, "reporter", unit
    ):
        summary.add(
            "unit_not_permitted",
            gettext_noop(
                "This API token does not report for %(unit)s (%(code)s); its figures were not imported."
            ),
            {"unit": unit.name, "code": unit.code},
            source=source,
        )
        return False
    assignment = finder.covering(template, unit, report.period)
    if assignment is None:
        summary.add(
            "not_assigned",
            gettext_noop(
                "%(unit)s (%(code)s) does not report %(form)s for %(period)s."
            ),
            {
                "unit": unit.name,
                "code": unit.code,
                "form": template.code,
                "period": report.period.label,
            },
            source=source,
        )
        return False
    report.version = assignment.form_version
    return True


def _read_values(report: _Report, target: _Report, summary: _Summary) -> bool:
    """Check each value of ``report`` by the form and gather it into ``target``;
    return whether every value was accepted."""
    source, table = report.source, report.cells
    accepted = True
    values, cleared = target.values, target.cleared
    entry, machine = table.entry, _MACHINE_NUMBER.fullmatch
    for index, (element, column, text, deleted) in enumerate(source.values):
        found = entry.get((element, column))
        if found is None and column[:1] == "0" and column.isdigit():
            found = entry.get((element, str(int(column))))
        if found is not None:
            cell, kind = found
            if not text or deleted:
                cleared.add(cell)
                values.pop(cell, None)
                continue
            if kind == _OTHER or machine(text):
                values[cell] = text
                cleared.discard(cell)
                continue
        accepted = False
        item = source.values[index]
        column = item.column
        if column[:1] == "0" and column.isdigit():
            column = str(int(column))
        _value_refused(
            report, summary, index, item, table.by_name.get((element, column))
        )
    return accepted


def _where(report: _Report, cell: str) -> tuple[str, str]:
    """Return where the value of ``cell`` that counted was pushed ("dataValues[3]")
    and as what; ("", "") for a stored cell the push did not name."""
    entry = report.cells.entry
    for part in reversed(report.parts):
        items = part.source.values
        for index in range(len(items) - 1, -1, -1):
            element, column, text, _deleted = items[index]
            if column[:1] == "0" and column.isdigit():
                column = str(int(column))
            found = entry.get((element, column))
            if found is not None and found[0] == cell:
                return f"dataValues[{index}]", text
    return "", ""


def _value_refused(report: _Report, summary: _Summary, index: int, item, spec) -> None:
    column = int(item.column) if item.column.isdigit() else None
    place = {
        "source": report.source,
        "unit": report.unit.code,
        "period": report.period.id,
        "cell": f"dataValues[{index}]",
        "row_code": item.data_element,
        "column": column if column is not None else item.column,
        "value": item.value[:80],
    }
    if spec is None:
        summary.add(
            "unknown_cell",
            gettext_noop(
                "Form %(form)s has no cell at row code %(row)s, column %(column)s."
            ),
            {
                "form": report.template.code,
                "row": item.data_element,
                "column": item.column,
            },
            **place,
        )
    elif spec.state is not CellState.INPUT:
        summary.add(
            "not_input",
            gettext_noop(
                "Cell %(row)s/%(column)s is computed or closed; it takes no value."
            ),
            {"row": item.data_element, "column": column},
            **place,
        )
    else:
        summary.add(
            "number_format",
            gettext_noop(
                "%(value)s is not a number as the API takes them: digits, an optional minus sign and a decimal point (1234.5), no thousands separators."
            ),
            {"value": item.value[:80]},
            **place,
        )


# --- Storing -----------------------------------------------------------------------------


def _store(user, reports: list[_Report], summary: _Summary, *, strategy, today) -> None:
    ready = [r for r in reports if not r.refused and r.status != "merged"]
    if not ready:
        return
    opened = submissions_open_bulk(
        acting_user=user,
        keys=[(r.version, r.unit, r.period.id) for r in ready],
    )
    items, saving, currents = [], [], []
    for report in ready:
        submission = opened[(report.version.pk, report.unit.pk, report.period.id)]
        if isinstance(submission, ReportError):
            _refuse(report, summary, str(submission), "report_not_editable")
            continue
        current = submission.current_revision
        stored = current.values if current else {}
        wanted = _values_after(report, stored, strategy)
        if submission.form_version_id == report.version.pk:
            canonical, raw = report.cells.number_cells.split(wanted)
        else:  # the report stays on another version: its cells are checked by name
            canonical, raw = {}, wanted
        items.append(
            BulkSaveItem(
                submission=submission,
                raw_values=_typed(report.cells, raw),
                canonical_values=canonical,
                comments=current.comments if current else {},
                base_revision=submission.revision_count,
            )
        )
        saving.append(report)
        currents.append(stored)
    results = submissions_save_bulk(
        acting_user=user, items=items, source=RevisionSource.API, today=today
    )
    for report, stored, result in zip(saving, currents, results, strict=True):
        if isinstance(result.error, SubmissionValuesInvalid):
            for problem in result.error.problems:
                row, _sep, column = problem.cell.rpartition(":")
                where, raw = _where(report, problem.cell)
                summary.add(
                    problem.code,
                    problem.message,
                    problem.params,
                    source=report.source,
                    unit=report.unit.code,
                    period=report.period.id,
                    cell=where,
                    row_code=row,
                    column=int(column) if column.isdigit() else column,
                    value=raw[:80],
                )
            report.refused = True
            report.counts[IGNORED] = report.pushed
            continue
        if result.error is not None:
            _refuse(report, summary, str(result.error), "report_not_editable")
            continue
        report.status = "imported" if result.created else "unchanged"
        report.revision = result.revision.number if result.revision else None
        new = result.revision.values if result.revision else {}
        _count(report, stored, new, strategy)
        report.submission = result.submission


def _values_after(report: _Report, stored: dict, strategy: str) -> dict[str, str]:
    input_cells = report.cells.inputs
    inputs = {cell: text for cell, text in stored.items() if cell in input_cells}
    if strategy == "REPLACE":
        return dict(report.values)
    if strategy == "DELETE":
        pushed = set(report.values) | report.cleared
        return {cell: text for cell, text in inputs.items() if cell not in pushed}
    merged = {**inputs, **report.values}
    for cell in report.cleared:
        merged.pop(cell, None)
    return merged


def _typed(table: _Cells, values: dict[str, str]) -> dict[str, str]:
    """Hand machine numbers on as typed ones: the typed-number rule reads a dot
    followed by three digits as a thousands separator, a decimal comma exactly."""
    numeric = table.numeric
    return {
        cell: text.replace(".", ",") if "." in text and cell in numeric else text
        for cell, text in values.items()
    }


def _is_input(report: _Report, cell: str) -> bool:
    return cell in report.cells.inputs


def _count(report: _Report, stored: dict, new: dict, strategy: str) -> None:
    counts = report.counts
    if strategy == "DELETE":
        for cell in set(report.values) | report.cleared:
            counts[DELETED if stored.get(cell) else IGNORED] += 1
        return
    for cell in report.values:
        old = stored.get(cell)
        counts[
            CREATED if not old else UNCHANGED if old == new.get(cell) else UPDATED
        ] += 1
    for cell in report.cleared:
        counts[DELETED if stored.get(cell) else IGNORED] += 1
    if strategy == "REPLACE":
        counts[DELETED] += sum(
            1
            for cell in stored
            if cell not in new
            and cell not in report.cleared
            and _is_input(report, cell)
        )


def _refuse(report: _Report, summary: _Summary, message: str, code: str) -> None:
    summary.add(
        code,
        message,
        source=report.source,
        unit=report.unit.code,
        period=report.period.id,
        rendered=message,
    )
    report.refused = True
    report.counts[IGNORED] = report.pushed


def _submit(user, reports: list[_Report], summary: _Summary, *, today) -> None:
    """Send each stored report up: it enters validation and approval."""
    for report in reports:
        if report.refused or report.status not in {"imported", "unchanged"}:
            continue
        submission = report.submission
        try:
            submission_submit(
                acting_user=user,
                submission=submission,
                base_revision=submission.revision_count,
                today=today,
            )
        except (ReportError, WorkflowRefused) as error:
            summary.add(
                "submit_refused",
                str(error),
                source=report.source,
                unit=report.unit.code,
                period=report.period.id,
                rendered=str(error),
            )
            continue
        report.submitted = True


# --- The summary ------------------------------------------------------------------------


def _summary_of(
    reports: list[_Report], summary: _Summary, *, strategy: str, dry_run: bool
) -> dict:
    counts = dict.fromkeys((CREATED, UPDATED, UNCHANGED, IGNORED, DELETED), 0)
    lines = []
    for report in reports:
        for name in counts:
            counts[name] += report.counts[name]
        lines.append(
            {
                "dataSet": report.source.data_set,
                "orgUnit": report.source.org_unit,
                "unit_name": report.unit.name if report.unit else "",
                "period": report.period.id if report.period else report.source.period,
                "version": report.version.number if report.version else None,
                "status": "refused" if report.refused else report.status,
                "revision": report.revision,
                "submitted": report.submitted,
                "counts": report.counts,
            }
        )
    conflicts = summary.conflicts
    stored_any = any(
        not r.refused and r.status in {"imported", "unchanged"} for r in reports
    )
    status = "ERROR" if not stored_any else "WARNING" if conflicts else "SUCCESS"
    return {
        "status": status,
        "dry_run": dry_run,
        "import_strategy": strategy,
        "counts": counts,
        "reports": lines,
        "conflicts": conflicts[:MAX_CONFLICTS],
        "conflicts_total": len(conflicts),
    }
