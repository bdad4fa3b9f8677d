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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter, ne, not_

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
class Lines:
    """Lines of one report, in sheet order, as parallel columns: a whole run of
    the sheet is kept as slices of its columns, not a tuple per line."""

    sheet_rows: Sequence[int]
    row_codes: list[str]
    numbers: list[int]
    values: list


@dataclass
class LongTable:
    sheet: str
    columns: dict[str, int]  # field -> 1-based sheet column
    groups: dict[GroupKey, list[Lines]] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)
    lines: int = 0

    @property
    def has_form_column(self) -> bool:
        return FORM in self.columns

    def lines_of(self, key: GroupKey) -> Iterator[Line]:
        """Yield the lines of report ``key`` one by one, in sheet order."""
        for lines in self.groups.get(key, ()):
            yield from zip(
                lines.sheet_rows,
                lines.row_codes,
                lines.numbers,
                lines.values,
                strict=True,
            )


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
    """Group the lines below the header by report.

    Lines come in runs of one report: the runs are found on the raw (form, unit,
    period) of each line at C speed, each run's key is cleaned once, and a run
    whose lines are all complete is kept as slices of its columns. Only the lines
    of other runs are looked at one by one."""
    positions = {name: column - 1 for name, column in table.columns.items()}
    width = max(positions.values()) + 1
    body = rows[header_row:]
    if min(map(len, body), default=width) < width:
        body = [
            cells if len(cells) >= width else list(cells) + [""] * (width - len(cells))
            for cells in body
        ]
    key_at = [positions[name] for name in (FORM, UNIT, PERIOD) if name in positions]
    raw_keys = list(map(itemgetter(*key_at), body))
    row_codes = _column_texts(body, positions[ROW])
    column_raw = list(map(itemgetter(positions[COLUMN]), body))
    numbers_by_line = _column_numbers(column_raw)
    values = list(map(itemgetter(positions[VALUE]), body))
    # Equal raw keys are one report, except where Python counts values of other
    # types equal (1, 1.0 and TRUE): runs whose key is not all text are split by
    # their cleaned keys below.
    changes = list(
        compress(range(1, len(raw_keys)), map(ne, raw_keys[1:], raw_keys[:-1]))
    )
    periods: dict[str, str | None] = {}
    first_row = header_row + 1
    has_form = FORM in positions
    for start, end in zip([0, *changes], [*changes, len(raw_keys)], strict=True):
        if start >= end:
            continue
        raw_key = raw_keys[start]
        if not all(type(part) is str for part in raw_key):
            _read_mixed_run(
                table,
                start,
                end,
                raw_keys,
                has_form,
                periods,
                first_row,
                row_codes,
                column_raw,
                numbers_by_line,
                values,
            )
            continue
        _read_run(
            table,
            start,
            end,
            _clean_key(raw_key, has_form),
            periods,
            first_row,
            row_codes,
            column_raw,
            numbers_by_line,
            values,
        )


def _clean_key(raw_key, has_form: bool) -> tuple[str, str, str]:
    form, unit, period_text = raw_key if has_form else ("", *raw_key)
    return code_text(form), code_text(unit), code_text(period_text)


def _read_mixed_run(
    table, start, end, raw_keys, has_form, periods, first_row, *columns
) -> None:
    """Read a run whose key holds numbers or truth values, split where the cleaned
    key changes (TRUE reads "True", 1 and 1.0 read "1")."""
    cleaned = [_clean_key(raw_keys[index], has_form) for index in range(start, end)]
    run_start = start
    for index in range(start + 1, end + 1):
        if index == end or cleaned[index - start] != cleaned[run_start - start]:
            _read_run(
                table,
                run_start,
                index,
                cleaned[run_start - start],
                periods,
                first_row,
                *columns,
            )
            run_start = index


def _read_run(
    table,
    start,
    end,
    key,
    periods,
    first_row,
    row_codes,
    column_raw,
    numbers_by_line,
    values,
) -> None:
    """Add the lines ``start:end`` of one report key to the table."""
    form, unit, period_text = key
    period = _period_of(periods, period_text) if unit and period_text else None
    group = (form, unit, period) if period is not None else None
    if (
        group is not None
        and all(row_codes[start:end])
        and None not in numbers_by_line[start:end]
    ):
        table.groups.setdefault(group, []).append(
            Lines(
                range(first_row + start, first_row + end),
                row_codes[start:end],
                numbers_by_line[start:end],
                values[start:end],
            )
        )
        table.lines += end - start
        return
    for index in range(start, end):
        _sort_line(
            table,
            group,
            first_row + index,
            key,
            row_codes[index],
            code_text(column_raw[index]),
            numbers_by_line[index],
            values[index],
        )


def _column_numbers(raw: list) -> list[int | None]:
    """Return the column number of each line (None where it is not a whole
    number), each distinct value read once."""
    numbers: dict = {}
    keyed = raw
    if bool in set(map(type, raw)):  # TRUE is not column 1
        keyed = list(zip(map(type, raw), raw, strict=True))
    try:
        for key in set(keyed):
            numbers[key] = _column_number(key[1] if keyed is not raw else key)
        return list(map(numbers.__getitem__, keyed))
    except TypeError:  # an unhashable value cannot be a column number
        return [_column_number(value) for value in raw]


def _column_number(value) -> int | None:
    text = code_text(value)
    try:
        return int(text) if text.isdigit() else None
    except ValueError:  # a digit Python cannot read as a number ("²")
        return None


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
    chunks = table.groups.setdefault(group, [])
    if chunks and isinstance(chunks[-1].sheet_rows, list):  # lines read one by one
        last = chunks[-1]
        last.sheet_rows.append(sheet_row)
        last.row_codes.append(row_code)
        last.numbers.append(number)
        last.values.append(value)
    else:
        chunks.append(Lines([sheet_row], [row_code], [number], [value]))


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
    letter = column_letter(table.columns[VALUE])
    seen: dict[CellKey, int] = {}
    chunks = table.groups.get(key, ())
    for position, lines in enumerate(chunks):
        # Where each cell was met matters only to lines still to come.
        last = position == len(chunks) - 1
        if _read_in_bulk(
            report, lines, form_cells, table.columns[VALUE], seen, remember=not last
        ):
            continue
        for line in zip(
            lines.sheet_rows, lines.row_codes, lines.numbers, lines.values, strict=True
        ):
            _read_line(report, form_cells, letter, seen, *line)
    return report


def _read_in_bulk(
    report: ReportValues,
    lines: Lines,
    form_cells: FormCells,
    value_column: int,
    seen: dict,
    *,
    remember: bool = True,
) -> bool:
    """Read lines that all give numbers for distinct number input cells of the form,
    the common case, a whole run at a time; return False, having recorded nothing,
    when any line needs looking at on its own (``_read_line``). ``seen`` (where each
    cell was met) is kept up to date if ``remember`` (lines follow).

    What is recorded is what ``_read_line`` records for each line: the whole numbers
    as their digits, the fractions as ``FormCells.convert`` reads them."""
    resolved = form_cells.cells
    keys = list(zip(lines.row_codes, lines.numbers, strict=True))
    found = list(map(resolved.get, keys))
    if None in found:  # lines not met before, or naming no cell of the form
        for line_key, line_found in zip(keys, found, strict=True):
            if line_found is None and line_key not in resolved:
                form_cells.resolve(*line_key)
        found = list(map(resolved.get, keys))
        if None in found:
            return False
    if not all(map(itemgetter(2), found)):  # a cell that is no number input
        return False
    cells = list(map(itemgetter(0), found))
    if len(set(cells)) != len(cells) or not seen.keys().isdisjoint(cells):
        return False  # a cell given twice
    values = lines.values
    kinds = set(map(type, values))
    if kinds == {float}:
        fractions = list(
            compress(range(len(values)), map(not_, map(float.is_integer, values)))
        )
    elif kinds == {int}:
        fractions = []
    else:
        return False
    converted = []
    convert = form_cells.convert
    for index in fractions:  # NaN and infinities too: convert_cell refuses them
        found_value = convert(found[index][1], values[index])
        if found_value.problem is not None or found_value.value is None:
            return False
        converted.append(found_value.value)
    if not (-MAX_WHOLE_FLOAT < min(values) and max(values) < MAX_WHOLE_FLOAT):
        return False
    texts = list(map(str, map(int, values)))
    shown = texts
    if fractions:
        shown = texts.copy()
        for index, text in zip(fractions, converted, strict=True):
            texts[index] = text
            shown[index] = str(values[index])
    rows = lines.sheet_rows
    report.values.update(zip(cells, texts, strict=True))
    report.add_cells(cells, rows, value_column, shown)
    if remember:
        seen.update(zip(cells, rows, strict=True))
    return True


def _read_line(
    report: ReportValues,
    form_cells: FormCells,
    letter: str,
    seen: dict,
    sheet_row: int,
    row_text: str,
    number: int,
    raw,
) -> None:
    """Read one line of a long table into ``report``."""
    found = form_cells.cells.get((row_text, number), _UNSEEN)
    if found is _UNSEEN:
        found = form_cells.resolve(row_text, number)
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
        return
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
        return
    seen[cell] = sheet_row
    if numeric_input:
        kind = type(raw)
        if kind is int or kind is float:
            if (kind is int or raw.is_integer()) and (
                -MAX_WHOLE_FLOAT < raw < MAX_WHOLE_FLOAT
            ):
                # A whole number in a number cell, the common case: what
                # read_cell records for it (convert_cell's own fast path).
                report.values[cell] = text = str(int(raw))
                report.cells[cell] = (where, text)
                return
            if kind is float:
                converted = form_cells.convert(spec, raw)
                if converted.problem is None and converted.value is not None:
                    report.values[cell] = converted.value
                    report.cells[cell] = (where, str(raw))
                    return
    elif spec.state is not CellState.INPUT:
        if raw not in (None, ""):
            not_an_input(report, cell, spec, raw, where)
        return
    read_cell(report, cell, spec, raw, where)
