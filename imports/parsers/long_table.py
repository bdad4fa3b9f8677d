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
from itertools import compress, repeat
from operator import itemgetter, ne

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
from imports.parsers.values import MAX_WHOLE_FLOAT, convert_cell

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
    """Group the lines below the header by report, column by column: each distinct
    code is cleaned once, and the loop over lines only sorts them."""
    positions = {name: column - 1 for name, column in table.columns.items()}
    width = max(positions.values()) + 1
    body = rows[header_row:]
    if min(map(len, body), default=width) < width:
        body = [
            cells if len(cells) >= width else list(cells) + [""] * (width - len(cells))
            for cells in body
        ]
    form_at = positions.get(FORM)
    forms = (
        _column_texts(body, form_at) if form_at is not None else repeat("", len(body))
    )
    units = _column_texts(body, positions[UNIT])
    period_texts = _column_texts(body, positions[PERIOD])
    row_codes = _column_texts(body, positions[ROW])
    column_texts = _column_texts(body, positions[COLUMN])
    values = list(map(itemgetter(positions[VALUE]), body))
    numbers: dict[str, int | None] = {}
    for text in set(column_texts):
        try:
            numbers[text] = int(text) if text.isdigit() else None
        except ValueError:  # a digit Python cannot read as a number ("²")
            numbers[text] = None
    keys = list(zip(forms, units, period_texts, strict=True))
    numbers_by_line = list(map(numbers.__getitem__, column_texts))
    # Lines come in runs of one report: find where the report changes at C speed,
    # then take a whole run at once when every line of it is complete.
    changes = list(compress(range(1, len(keys)), map(ne, keys[1:], keys[:-1])))
    periods: dict[str, str | None] = {}
    first_row = header_row + 1
    for start, end in zip([0, *changes], [*changes, len(keys)], strict=True):
        if start >= end:
            continue
        form, unit, period_text = keys[start]
        period = _period_of(periods, period_text) if unit and period_text else None
        group = (form, unit, period) if period is not None else None
        if (
            group is not None
            and all(row_codes[start:end])
            and all(column_texts[start:end])
            and None not in numbers_by_line[start:end]
        ):
            table.groups.setdefault(group, []).extend(
                zip(
                    range(first_row + start, first_row + end),
                    row_codes[start:end],
                    numbers_by_line[start:end],
                    values[start:end],
                    strict=True,
                )
            )
            table.lines += end - start
            continue
        for index in range(start, end):
            _sort_line(
                table,
                group,
                first_row + index,
                (form, unit, period_text),
                row_codes[index],
                column_texts[index],
                numbers_by_line[index],
                values[index],
            )


def _sort_line(table, group, sheet_row, key, row_code, column_text, number, value):
    """Add one line of a run that is not all complete, or report why it is not."""
    form, unit, period_text = key
    if not (unit and period_text and row_code and column_text):
        if not (form or unit or period_text or row_code or column_text) and (
            value in (None, "")
        ):
            return
        table.lines += 1
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
        return
    table.lines += 1
    if number is None:
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
        return
    if group is None:
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
        return
    table.groups.setdefault(group, []).append((sheet_row, row_code, number, value))


def _column_texts(body: list[list], at: int) -> list[str]:
    """Return the code text of column ``at`` on every line, each distinct value
    cleaned once. TRUE stays "True" and 1 "1" (Python counts them equal), so a
    column holding truth values is keyed by type too."""
    raw = list(map(itemgetter(at), body))
    kinds = set(map(type, raw))
    try:
        if bool in kinds:
            keys = list(zip(map(type, raw), raw, strict=True))
            cleaned = {key: code_text(key[1]) for key in set(keys)}
            return list(map(cleaned.__getitem__, keys))
        # Without booleans, values equal across types (1 and 1.0) read the same.
        cleaned = {value: code_text(value) for value in set(raw)}
        return list(map(cleaned.__getitem__, raw))
    except TypeError:  # an unhashable value cannot be a code
        return list(map(code_text, raw))


def _period_of(periods: dict, text: str) -> str | None:
    """Return the id of period ``text`` (None if it is not one), parsed once; lines
    of one period written two ways go to one report."""
    try:
        return periods[text]
    except KeyError:
        pass
    try:
        periods[text] = found = parse_period(text).id
    except PeriodError:
        periods[text] = found = None
    return found


def _line_problem(table, sheet_row, found, unit, period, column=VALUE):
    return found.at(
        sheet=table.sheet,
        cell=address(sheet_row, table.columns[column]),
        unit=unit,
        period=period,
    )


class FormCells:
    """What a long table's lines resolve to on one form version, kept across its
    reports: (row text, column number) -> (cell, spec, whether a number input), and
    the conversions of the fractional numbers met so far."""

    MAX_REMEMBERED = 200_000

    def __init__(self, definition: FormDefinition, grid: dict[CellKey, CellSpec]):
        self.definition = definition
        self.grid = grid
        self.codes = {row.code for row in definition.coded_rows}
        self.padded = padded_codes(self.codes)
        self.cells: dict[tuple[str, int], tuple | None] = {}
        self.converted: dict[tuple, object] = {}

    def resolve(self, row_text: str, number: int):
        codes = self.codes
        code = (
            row_text if row_text in codes else match_code(row_text, codes, self.padded)
        )
        spec = self.grid.get((code, number)) if code else None
        found = None
        if spec is not None:
            numeric_input = spec.state is CellState.INPUT and spec.data_type.is_numeric
            found = ((code, number), spec, numeric_input)
        if len(self.cells) < self.MAX_REMEMBERED:
            self.cells[(row_text, number)] = found
        return found

    def convert(self, spec: CellSpec, raw: float):
        """Return convert_cell's verdict on a fractional number (remembered)."""
        key = (spec.data_type, raw)
        try:
            return self.converted[key]
        except KeyError:
            pass
        found = convert_cell(raw, spec.data_type.value)
        if len(self.converted) >= self.MAX_REMEMBERED:
            self.converted.clear()
        self.converted[key] = found
        return found


_UNSEEN = object()


def read_long_table_values(
    table: LongTable,
    key: GroupKey,
    definition: FormDefinition,
    grid: dict[CellKey, CellSpec],
    source: ReportSource | None = None,
    form_cells: FormCells | None = None,
) -> ReportValues:
    """Return the values of one report of a long table, read against its form.

    ``form_cells`` (one per form version) keeps what the lines resolve to across
    the reports of a table."""
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
    if form_cells is None or form_cells.definition is not definition:
        form_cells = FormCells(definition, grid)
    resolved = form_cells.cells
    resolve = form_cells.resolve
    letter = column_letter(table.columns[VALUE])
    seen: dict[CellKey, int] = {}
    values, cells = report.values, report.cells
    for sheet_row, row_text, number, raw in table.groups.get(key, []):
        found = resolved.get((row_text, number), _UNSEEN)
        if found is _UNSEEN:
            found = resolve(row_text, number)
        where = f"{letter}{sheet_row}"
        if found is None:
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
        cell, spec, numeric_input = found
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
                    row=cell[0],
                    column=number,
                    first=seen[cell],
                    second=sheet_row,
                ),
                cell=where,
                row_code=cell[0],
                column=number,
            )
            continue
        seen[cell] = sheet_row
        if numeric_input:
            kind = type(raw)
            if kind is int or kind is float:
                if (kind is int or raw.is_integer()) and (
                    -MAX_WHOLE_FLOAT < raw < MAX_WHOLE_FLOAT
                ):
                    # A whole number in a number cell, the common case: what
                    # read_cell records for it (convert_cell's own fast path).
                    values[cell] = text = str(int(raw))
                    cells[cell] = (where, text)
                    continue
                if kind is float:
                    converted = form_cells.convert(spec, raw)
                    if converted.problem is None and converted.value is not None:
                        values[cell] = converted.value
                        cells[cell] = (where, str(raw))
                        continue
        elif spec.state is not CellState.INPUT:
            if raw not in (None, ""):
                not_an_input(report, cell, spec, raw, where)
            continue
        read_cell(report, cell, spec, raw, where)
    return report
