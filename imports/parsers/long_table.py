"""The long-table layout of a bulk workbook: one value per line.

A sheet whose header row (within its first 10 rows) names these columns, in any
order, in English or Vietnamese:

| column | header (any of) |
|---|---|
| form code (optional) | form, form code, mã biểu, biểu mẫu |
| unit code | unit code, unit, mã đơn vị, đơn vị |
| period | period, kỳ, kỳ báo cáo |
| row code | row code, row, mã số, mã chỉ tiêu |
| column number | column, column number, cột |
| value | value, giá trị, số liệu |

Periods are canonical ids (2026, 2026Q3, 2026M11, …). Without a form column, the
form is chosen when uploading. Lines are grouped into reports by (form, unit,
period); each report is then read against its form like a template sheet.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from forms.definition.grid import CellSpec
from forms.definition.layout import column_letter
from forms.definition.model import CellState, FormDefinition
from forms.definition.periods import PeriodError, parse_period
from imports.parsers.problems import ImportProblem, Severity, gettext_noop, problem
from imports.parsers.report import (
    CellKey,
    ReportSource,
    ReportValues,
    address,
    code_text,
    match_code,
    not_an_input,
    padded_codes,
    read_cell,
)
from imports.parsers.values import MAX_WHOLE_FLOAT

HEADER_SEARCH_ROWS = 10
FORM, UNIT, PERIOD, ROW, COLUMN, VALUE = (
    "form",
    "unit",
    "period",
    "row",
    "column",
    "value",
)
REQUIRED = (UNIT, PERIOD, ROW, COLUMN, VALUE)
ALIASES = {
    FORM: ("form", "form code", "ma bieu", "bieu mau", "ma bieu mau", "bieu"),
    UNIT: ("unit code", "unit", "ma don vi", "don vi", "ma dv"),
    PERIOD: ("period", "ky", "ky bao cao", "period id"),
    ROW: ("row code", "row", "ma so", "ma chi tieu", "chi tieu"),
    COLUMN: ("column", "column number", "cot", "so cot"),
    VALUE: ("value", "gia tri", "so lieu"),
}
_BY_ALIAS = {alias: name for name, aliases in ALIASES.items() for alias in aliases}

GroupKey = tuple[str, str, str]  # (form code, unit code, period id)
Line = tuple[int, str, int, object]  # (sheet row, row code, column number, value)


@dataclass
class LongTable:
    sheet: str
    columns: dict[str, int]  # field -> 1-based sheet column
    groups: dict[GroupKey, list[Line]] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)
    lines: int = 0

    @property
    def has_form_column(self) -> bool:
        return FORM in self.columns


def fold(text: str) -> str:
    """Return ``text`` lower-cased without diacritics or punctuation: "Mã số" -> "ma so"."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = bare.replace("đ", "d").replace("Đ", "D").casefold()
    return " ".join(re.sub(r"[\W_]+", " ", bare).split())


def find_long_table(sheet: str, rows: list[list]) -> LongTable | None:
    """Return the long table of a sheet, its lines grouped by report, or None."""
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for column, value in enumerate(cells, start=1):
            name = _BY_ALIAS.get(fold(code_text(value)))
            if name and name not in columns:
                columns[name] = column
        if all(name in columns for name in REQUIRED):
            table = LongTable(sheet, columns)
            _read_lines(table, rows, index + 1)
            return table
    return None


def _read_lines(table: LongTable, rows: list[list], header_row: int) -> None:
    positions = {name: column - 1 for name, column in table.columns.items()}
    width = max(positions.values()) + 1
    form_at = positions.get(FORM)
    unit_at, period_at = positions[UNIT], positions[PERIOD]
    row_at, column_at, value_at = positions[ROW], positions[COLUMN], positions[VALUE]
    periods: dict[str, str | None] = {}
    texts: dict[tuple[type, object], str] = {}

    def text(value) -> str:
        # Codes repeat on every line: each distinct one is cleaned once. The type
        # is part of the key, since True == 1 == 1.0 in Python.
        key = (type(value), value)
        try:
            return texts[key]
        except KeyError:
            texts[key] = found = code_text(value)
            return found
        except TypeError:  # an unhashable value cannot be a code
            return code_text(value)

    groups = table.groups
    for index in range(header_row, len(rows)):
        cells = rows[index]
        if len(cells) < width:
            cells = list(cells) + [""] * (width - len(cells))
        form = text(cells[form_at]) if form_at is not None else ""
        unit = text(cells[unit_at])
        period_text = text(cells[period_at])
        row_code = text(cells[row_at])
        column_text = text(cells[column_at])
        value = cells[value_at]
        if not (form or unit or period_text or row_code or column_text) and value in (
            None,
            "",
        ):
            continue
        sheet_row = index + 1
        table.lines += 1
        if not (unit and period_text and row_code and column_text):
            table.problems.append(
                _line_problem(
                    table,
                    sheet_row,
                    problem(
                        "line_incomplete",
                        gettext_noop(
                            "The line lacks its unit code, period, row code or column number; it was not imported."
                        ),
                        cell_value=value,
                    ),
                    unit,
                    period_text,
                )
            )
            continue
        if not column_text.isdigit():
            table.problems.append(
                _line_problem(
                    table,
                    sheet_row,
                    problem(
                        "column_not_a_number",
                        gettext_noop(
                            "The column number %(value)s is not a whole number; the line was not imported."
                        ),
                        value=column_text,
                    ),
                    unit,
                    period_text,
                    column=COLUMN,
                )
            )
            continue
        period = periods.get(period_text, "")
        if period == "":
            try:
                period = periods[period_text] = parse_period(period_text).id
            except PeriodError:
                period = periods[period_text] = None
        if period is None:
            table.problems.append(
                _line_problem(
                    table,
                    sheet_row,
                    problem(
                        "period_unknown",
                        gettext_noop(
                            "%(value)s is not a reporting period; write periods as 2026, 2026Q3, 2026M11, 2026S1 or 2026N9."
                        ),
                        value=period_text,
                    ),
                    unit,
                    period_text,
                    column=PERIOD,
                )
            )
            continue
        key = (form, unit, period)
        lines = groups.get(key)
        if lines is None:
            lines = groups[key] = []
        lines.append((sheet_row, row_code, int(column_text), value))


def _line_problem(table, sheet_row, found, unit, period, column=VALUE):
    return found.at(
        sheet=table.sheet,
        cell=address(sheet_row, table.columns[column]),
        unit=unit,
        period=period,
    )


def read_long_table_values(
    table: LongTable,
    key: GroupKey,
    definition: FormDefinition,
    grid: dict[CellKey, CellSpec],
    source: ReportSource | None = None,
) -> ReportValues:
    """Return the values of one report of a long table, read against its form."""
    form, unit, period = key
    report = ReportValues(
        source
        or ReportSource(
            sheet=table.sheet,
            layout="long_table",
            form_code=form or definition.code,
            unit_code=unit,
            period=period,
        )
    )
    codes = {row.code for row in definition.coded_rows}
    padded = padded_codes(codes)
    letter = column_letter(table.columns[VALUE])
    seen: dict[CellKey, int] = {}
    values, cells = report.values, report.cells
    for sheet_row, row_text, number, raw in table.groups.get(key, []):
        where = f"{letter}{sheet_row}"
        code = row_text if row_text in codes else match_code(row_text, codes, padded)
        spec = grid.get((code, number)) if code else None
        if spec is None:
            report.ignored += 1
            report.add(
                problem(
                    "cell_unknown",
                    gettext_noop(
                        "The form has no cell at row %(row)s, column %(column)d; the line was not imported."
                    ),
                    severity=Severity.WARNING,
                    cell_value=raw,
                    row=row_text,
                    column=number,
                ),
                cell=where,
                row_code=row_text,
                column=number,
            )
            continue
        cell = (code, number)
        if cell in seen:
            report.values.pop(cell, None)
            report.ignored += 1
            report.add(
                problem(
                    "cell_repeated",
                    gettext_noop(
                        "Cell %(row)s/%(column)d is given on two lines (sheet rows %(first)d and %(second)d); neither was imported."
                    ),
                    cell_value=raw,
                    row=code,
                    column=number,
                    first=seen[cell],
                    second=sheet_row,
                ),
                cell=where,
                row_code=code,
                column=number,
            )
            continue
        seen[cell] = sheet_row
        if spec.state is not CellState.INPUT:
            if raw not in (None, ""):
                not_an_input(report, cell, spec, raw, where)
            continue
        kind = type(raw)
        if (
            (kind is int or (kind is float and raw.is_integer()))
            and -MAX_WHOLE_FLOAT < raw < MAX_WHOLE_FLOAT
            and spec.data_type.is_numeric
        ):
            # A whole number in a number cell, the common case: what read_cell
            # records for it (convert_cell's own fast path), without its calls.
            values[cell] = text = str(int(raw))
            cells[cell] = (where, text)
            continue
        read_cell(report, cell, spec, raw, where)
    return report
