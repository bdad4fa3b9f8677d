"""Reading one report's lines of a long table against its form.

The lines of a report (``long_table.LongTable.groups``) are mapped by row code and
column number to the form's cells and converted by each cell's declared type, as a
template sheet's cells are (``imports.parsers.report``). Runs of lines that are all
numbers for distinct number cells, the common case, are read a run at a time.
"""

from __future__ import annotations

from itertools import compress
from operator import itemgetter, not_

from forms.definition.grid import CellSpec
from forms.definition.layout import column_letter
from forms.definition.model import CellState, FormDefinition
from imports.parsers.long_table import VALUE, GroupKey, Lines, LongTable
from imports.parsers.problems import Severity, gettext_noop, problem
from imports.parsers.report import (
    CellKey,
    ReportSource,
    ReportValues,
    match_code,
    not_an_input,
    padded_codes,
    read_cell,
)
from imports.parsers.values import MAX_WHOLE_FLOAT, convert_cell


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
