"""Completeness and timeliness: who below a unit has reported which periods of a form.

DHIS2's definitions, over the reports the assignments expect:

- reporting rate = actual reports / expected reports, where a report is actual once
  submitted (and while approved); a report returned for correction is not;
- on-time rate = actual reports submitted by the deadline / expected reports.

The matrix has one row per unit just below the chosen one (and one for the chosen
unit's own report when it owes one) and one column per period. A row whose unit
reports alone shows that report's status; a row over a subtree shows its counts and
rates. Everything is counted in one grouped SQL query.
"""

# ruff: noqa: S608 (the SQL is built from fixed fragments; every value is a parameter)

from __future__ import annotations

import datetime
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils.translation import gettext as _

from accounts.roles import Role
from forms.definition.periods import Period
from forms.models import FormTemplate
from orgunits.models import PATH_SEGMENT_WIDTH, OrgUnit
from orgunits.selectors import (
    access_org_unit_by_id,
    ancestors_of,
    top_units_of,
    visible_to,
)
from reporting.inbox import STATUS_LABELS
from reporting.obligations import (
    SENT_STATUSES,
    SHOWN_STATUS_SQL,
    Slot,
    UnitScope,
    assignments_touching,
    expected_sql,
    slot_values_sql,
    slots_of,
)

COMPLETENESS_ROLES = {Role.REVIEWER.value, Role.ANALYST.value}
MATRIX_PERIODS = 12
HUNDRED = Decimal(100)


# --- Who may look, and where -----------------------------------------------------------


def user_reads_completeness(user) -> bool:
    """Reviewers and analysts (and superusers) read completeness."""
    return visible_to(user, roles=COMPLETENESS_ROLES).exists()


def access_completeness_unit(user, unit_id=None) -> OrgUnit:
    """Return the unit to show below: ``unit_id`` if the user reviews or analyses
    it (404 otherwise), else the highest unit of their scope (403 without any)."""
    if unit_id not in (None, ""):
        return access_org_unit_by_id(user, unit_id, roles=COMPLETENESS_ROLES)
    scope = visible_to(user, roles=COMPLETENESS_ROLES)
    if getattr(user, "is_superuser", False) and user.is_active:
        tops = top_units_of(user)
    else:
        tops = list(scope.filter(pk__in=[u.pk for u in top_units_of(user)]))
        if not tops:
            tops = list(scope.order_by("depth", "path")[:1])
    if not tops:
        raise PermissionDenied
    return tops[0]


def breadcrumbs_of(user, unit: OrgUnit) -> list[tuple[OrgUnit, bool]]:
    """Return the ancestors of ``unit`` with whether the user may open each."""
    ancestors = ancestors_of(unit)
    allowed = set(
        visible_to(user, roles=COMPLETENESS_ROLES)
        .filter(pk__in=[a.pk for a in ancestors])
        .values_list("pk", flat=True)
    )
    return [(ancestor, ancestor.pk in allowed) for ancestor in ancestors]


# --- Forms and periods to choose from ----------------------------------------------------


def completeness_templates(unit: OrgUnit) -> list[FormTemplate]:
    """Return the forms that units below ``unit`` are assigned, by code."""
    found = {a.template_id: a.template for a in assignments_touching(paths=[unit.path])}
    return sorted(found.values(), key=lambda template: template.code)


def completeness_slots(
    unit: OrgUnit, template: FormTemplate, *, today: datetime.date
) -> list[Slot]:
    """Return the open slots of ``template`` that may oblige units below ``unit``."""
    assignments = assignments_touching(paths=[unit.path], template_id=template.pk)
    return slots_of(assignments, today=today)


def periods_of(slots: list[Slot]) -> list[Period]:
    """Return the periods of ``slots``, oldest first."""
    return sorted({slot.period for slot in slots}, key=lambda p: (p.start, p.end))


def periods_ending(
    periods: list[Period], end_id: str | None, *, count: int = MATRIX_PERIODS
) -> list[Period]:
    """Return up to ``count`` periods ending with ``end_id`` (the latest by default)."""
    ids = [period.id for period in periods]
    end = ids.index(end_id) + 1 if end_id in ids else len(ids)
    return periods[max(0, end - count) : end]


# --- The matrix --------------------------------------------------------------------------


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (HUNDRED * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Tally:
    """Expected, actual and on-time reports, and how many stand at each status."""

    expected: int = 0
    sent: int = 0
    on_time: int = 0
    statuses: Counter = field(default_factory=Counter)
    own_status: str | None = None
    below: int = 0

    def add(self, other: Tally) -> None:
        self.expected += other.expected
        self.sent += other.sent
        self.on_time += other.on_time
        self.statuses.update(other.statuses)
        self.below += other.below

    @property
    def reporting_rate(self) -> Decimal | None:
        """Actual reports per 100 expected."""
        return _rate(self.sent, self.expected)

    @property
    def on_time_rate(self) -> Decimal | None:
        """Reports sent by the deadline per 100 expected."""
        return _rate(self.on_time, self.expected)

    @property
    def single_status(self) -> str | None:
        """The status of the row unit's own report when it is the only one."""
        if self.expected == 1 and self.below == 0:
            return self.own_status
        return None

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.single_status]) if self.single_status else ""

    @property
    def band(self) -> str:
        """A colour band for an aggregate cell: all sent, most, some, none."""
        rate = self.reporting_rate
        if rate is None:
            return "none"
        if rate >= 100:
            return "full"
        if rate >= 80:
            return "high"
        if rate > 0:
            return "low"
        return "zero"


@dataclass
class MatrixRow:
    unit: OrgUnit
    cells: list[Tally | None]
    total: Tally
    is_self: bool

    @property
    def drillable(self) -> bool:
        return not self.is_self and self.total.below > 0


@dataclass
class CompletenessMatrix:
    unit: OrgUnit
    template: FormTemplate
    periods: list[Period]
    rows: list[MatrixRow]
    level_cells: list[Tally]
    level_total: Tally


def completeness_matrix(
    *, unit: OrgUnit, template: FormTemplate, periods: list[Period], slots: list[Slot]
) -> CompletenessMatrix:
    """Count the expected, actual and on-time reports below ``unit`` by row unit
    (each unit just below, and ``unit`` itself) and period."""
    wanted = {period.id for period in periods}
    slots = [
        slot
        for slot in slots
        if slot.period.id in wanted and slot.template_id == template.pk
    ]
    counts = _counts(unit, slots) if slots else {}
    by_path: dict[str, dict[str, Tally]] = {}
    for (path, period_id), tally in counts.items():
        by_path.setdefault(path, {})[period_id] = tally
    units = {
        u.path: u
        for u in OrgUnit.objects.select_related("level").filter(path__in=by_path)
    }
    rows = []
    for path, tallies in by_path.items():
        total = Tally()
        for tally in tallies.values():
            total.add(tally)
        rows.append(
            MatrixRow(
                unit=units[path],
                cells=[tallies.get(period.id) for period in periods],
                total=total,
                is_self=path == unit.path,
            )
        )
    rows.sort(key=lambda row: (not row.is_self, row.unit.code, row.unit.name))
    level_cells = []
    for index in range(len(periods)):
        tally = Tally()
        for row in rows:
            if row.cells[index] is not None:
                tally.add(row.cells[index])
        level_cells.append(tally)
    level_total = Tally()
    for tally in level_cells:
        level_total.add(tally)
    return CompletenessMatrix(unit, template, periods, rows, level_cells, level_total)


def _counts(unit: OrgUnit, slots: list[Slot]) -> dict[tuple[str, str], Tally]:
    values, params = slot_values_sql(slots)
    expected, more = expected_sql(slots, UnitScope.below([unit.path]))
    row_length = len(unit.path) + PATH_SEGMENT_WIDTH + 1
    sql = f"""
        WITH {values}
        SELECT left(e.unit_path, %s) AS row_path, e.period,
               {SHOWN_STATUS_SQL} AS status,
               count(*),
               count(*) FILTER (WHERE NOT coalesce(s.submitted_late, FALSE)),
               count(*) FILTER (WHERE e.unit_path <> left(e.unit_path, %s))
        FROM ({expected}) e
        LEFT JOIN reporting_submission s
          ON s.template_id = e.template_id AND s.org_unit_id = e.unit_id
         AND s.period = e.period
        GROUP BY 1, 2, 3
    """
    counts: dict[tuple[str, str], Tally] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, row_length, row_length, *more])
        for path, period_id, status, number, not_late, below in cursor.fetchall():
            tally = counts.setdefault((path, period_id), Tally())
            tally.expected += number
            tally.statuses[status] += number
            tally.below += below
            if status in SENT_STATUSES:
                tally.sent += number
                tally.on_time += not_late
            if below < number:
                tally.own_status = status
    return counts


# --- Excel export ------------------------------------------------------------------------

# A spreadsheet reads text starting with these as a formula (or a DDE command).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
_ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def spreadsheet_text(text: str) -> str:
    """Return ``text`` safe to write into a cell: a leading apostrophe when it would
    start a formula, and no control characters (which .xlsx cannot hold)."""
    text = str(text)
    if text.startswith(FORMULA_TRIGGERS):
        text = "'" + text
    return _ILLEGAL_CHARACTERS.sub("", text)


def _rate_cell(rate: Decimal | None):
    return None if rate is None else float(rate / HUNDRED)


def completeness_workbook(matrix: CompletenessMatrix) -> bytes:
    """Write the matrix as an .xlsx workbook: one row per unit, one column per
    period, the rates at the end; statuses and counts as text, rates as percents."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = spreadsheet_text(_("Completeness"))[:31]
    bold = Font(bold=True)

    def put(row: int, column: int, value, *, strong=False, percent=False):
        if isinstance(value, str):
            value = spreadsheet_text(value)
        cell = sheet.cell(row=row, column=column, value=value)
        if strong:
            cell.font = bold
        if percent:
            cell.number_format = "0.0%"
        return cell

    put(1, 1, _("Reporting completeness and timeliness"), strong=True)
    put(2, 1, _("Form"))
    put(2, 2, f"{matrix.template.code} – {matrix.template.title}")
    put(3, 1, _("Unit"))
    put(3, 2, f"{matrix.unit.code} – {matrix.unit.name}")
    header = [
        _("Code"),
        _("Unit"),
        *[period.label for period in matrix.periods],
        _("Reporting rate"),
        _("On-time rate"),
    ]
    for column, text in enumerate(header, start=1):
        put(5, column, text, strong=True).alignment = Alignment(wrap_text=True)

    def cell_text(tally: Tally | None) -> str:
        if tally is None:
            return "—"
        if tally.single_status:
            return tally.status_label
        return f"{tally.sent}/{tally.expected}"

    row_number = 6
    for row in matrix.rows:
        name = row.unit.name
        if row.is_self:
            name = _("%(unit)s (own report)") % {"unit": name}
        put(row_number, 1, row.unit.code)
        put(row_number, 2, name)
        for offset, tally in enumerate(row.cells):
            put(row_number, 3 + offset, cell_text(tally))
        last = 3 + len(matrix.periods)
        put(row_number, last, _rate_cell(row.total.reporting_rate), percent=True)
        put(row_number, last + 1, _rate_cell(row.total.on_time_rate), percent=True)
        row_number += 1
    put(row_number, 2, _("All units"), strong=True)
    for offset, tally in enumerate(matrix.level_cells):
        put(row_number, 3 + offset, cell_text(tally), strong=True)
    last = 3 + len(matrix.periods)
    total = matrix.level_total
    put(row_number, last, _rate_cell(total.reporting_rate), strong=True, percent=True)
    put(row_number, last + 1, _rate_cell(total.on_time_rate), strong=True, percent=True)
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 40
    for column in range(3, last + 2):
        sheet.column_dimensions[get_column_letter(column)].width = 14
    sheet.freeze_panes = "C6"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def completeness_filename(matrix: CompletenessMatrix) -> str:
    code = re.sub(r"[^A-Za-z0-9.-]+", "-", matrix.unit.code).strip("-") or "unit"
    return (
        f"tinh-hinh-nop-{code}-{matrix.periods[-1].id if matrix.periods else ''}.xlsx"
    )
