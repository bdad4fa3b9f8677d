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
period); each report is then read against its form like a template sheet
(``long_table_values``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter, ne

from forms.definition.periods import PeriodError, parse_period
from imports.parsers.problems import ImportProblem, gettext_noop, problem
from imports.parsers.report import (
    address,
    code_text,
)

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
    column_raw = list(map(itemgetter(positions[COLUMN]), body))
    columns = _Columns(
        table=table,
        first_row=header_row + 1,
        has_form=FORM in positions,
        raw_keys=list(map(itemgetter(*key_at), body)),
        row_codes=_column_texts(body, positions[ROW]),
        column_raw=column_raw,
        numbers=_column_numbers(column_raw),
        values=list(map(itemgetter(positions[VALUE]), body)),
    )
    # Equal raw keys are one report, except where Python counts values of other
    # types equal (1, 1.0 and TRUE): runs whose key is not all text are split by
    # their cleaned keys.
    raw_keys = columns.raw_keys
    changes = list(
        compress(range(1, len(raw_keys)), map(ne, raw_keys[1:], raw_keys[:-1]))
    )
    for start, end in zip([0, *changes], [*changes, len(raw_keys)], strict=True):
        if start >= end:
            continue
        if all(type(part) is str for part in raw_keys[start]):
            columns.read_run(start, end, columns.clean_key(start))
        else:
            columns.read_mixed_run(start, end)


@dataclass
class _Columns:
    """The lines of a long table as columns, while they are grouped by report."""

    table: LongTable
    first_row: int  # the sheet row of the first line
    has_form: bool
    raw_keys: list[tuple]  # (form,) unit, period as read
    row_codes: list[str]
    column_raw: list
    numbers: list[int | None]  # the column numbers
    values: list
    periods: dict[str, str | None] = field(default_factory=dict)

    def clean_key(self, index: int) -> tuple[str, str, str]:
        raw_key = self.raw_keys[index]
        form, unit, period_text = raw_key if self.has_form else ("", *raw_key)
        return code_text(form), code_text(unit), code_text(period_text)

    def read_mixed_run(self, start: int, end: int) -> None:
        """Read a run whose key holds numbers or truth values, split where the
        cleaned key changes (TRUE reads "True", 1 and 1.0 read "1")."""
        cleaned = [self.clean_key(index) for index in range(start, end)]
        run_start = start
        for index in range(start + 1, end + 1):
            if index == end or cleaned[index - start] != cleaned[run_start - start]:
                self.read_run(run_start, index, cleaned[run_start - start])
                run_start = index

    def read_run(self, start: int, end: int, key: tuple[str, str, str]) -> None:
        """Add the lines ``start:end`` of one report key to the table: a run whose
        lines are all complete as slices of the columns, others line by line."""
        table, first_row = self.table, self.first_row
        form, unit, period_text = key
        period = _period_of(self.periods, period_text) if unit and period_text else None
        group = (form, unit, period) if period is not None else None
        row_codes, numbers, values = self.row_codes, self.numbers, self.values
        if (
            group is not None
            and all(row_codes[start:end])
            and None not in numbers[start:end]
        ):
            table.groups.setdefault(group, []).append(
                Lines(
                    range(first_row + start, first_row + end),
                    row_codes[start:end],
                    numbers[start:end],
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
                code_text(self.column_raw[index]),
                numbers[index],
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
