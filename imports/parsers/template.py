"""Map a filled template sheet to its form's cells by row code and column number.

The sheet is read the way its user sees it, never by the addresses it was generated
with: the numbering row (A, B, C, 1, 2, …) says which sheet column holds which form
column, and the code in column B says which form row a sheet row is. So rows the
user inserted, deleted, moved or sorted still map by their code; a row or column
the form does not have is reported and not imported; a row code or column number
found twice is refused rather than guessed.
"""

from __future__ import annotations

import re

from forms.definition.grid import CellSpec
from forms.definition.layout import column_letter
from forms.definition.model import CellState, FormDefinition
from imports.parsers.problems import Severity, gettext_noop, problem
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
from imports.parsers.workbook import TemplateSheet

NUMBERING_SEARCH_ROWS = 60
_NUMBER = re.compile(r"\(?\s*(\d{1,3})\s*\)?")
_LETTER = re.compile(r"\(?\s*([A-E])\s*\)?")


class Numbering:
    """The numbering row: letters over the text columns, numbers over the values."""

    def __init__(self, row: int, letters: dict[str, int], numbers: dict[int, list]):
        self.row = row
        self.letters = letters
        self.numbers = numbers  # form column number -> sheet columns carrying it

    @property
    def code_column(self) -> int:
        return self.letters["B"]


def find_numbering_row(rows: list[list]) -> Numbering | None:
    """Return the numbering row among the first rows of a sheet, or None."""
    for index, cells in enumerate(rows[:NUMBERING_SEARCH_ROWS]):
        letters: dict[str, int] = {}
        numbers: dict[int, list[int]] = {}
        for column, value in enumerate(cells, start=1):
            text = code_text(value)
            if not text:
                continue
            if (match := _LETTER.fullmatch(text)) and not numbers:
                letters.setdefault(match.group(1), column)
            elif match := _NUMBER.fullmatch(text):
                numbers.setdefault(int(match.group(1)), []).append(column)
            else:
                letters = {}
                break
        if "A" in letters and "B" in letters and numbers:
            return Numbering(index + 1, letters, numbers)
    return None


def read_template_values(
    sheet: TemplateSheet,
    definition: FormDefinition,
    grid: dict[CellKey, CellSpec],
    source: ReportSource | None = None,
) -> ReportValues:
    """Return the values of ``sheet`` for the form ``definition`` (whose cells are
    ``grid``), with every problem at its cell."""
    metadata = sheet.metadata
    report = ReportValues(
        source
        or ReportSource(
            sheet=sheet.name,
            layout="template",
            form_code=metadata.form_code,
            unit_code=metadata.unit_code,
            period=metadata.period,
            version_number=metadata.version_number,
            version_id=metadata.version_id,
            definition_sha256=metadata.definition_sha256,
            unit_id=metadata.unit_id,
        )
    )
    numbering = find_numbering_row(sheet.rows)
    if numbering is None:
        report.add(
            problem(
                "numbering_row_missing",
                gettext_noop(
                    "The numbering row (A, B, C, 1, 2, …) under the column headings is missing, so the columns cannot be told apart. Download the template again."
                ),
            )
        )
        return report
    columns = _value_columns(report, numbering, definition)
    rows = _form_rows(report, sheet, numbering, definition, set(columns.values()))
    for code, sheet_row in rows.items():
        for number, sheet_column in columns.items():
            key = (code, number)
            spec = grid.get(key)
            if spec is None:
                continue
            where = address(sheet_row, sheet_column)
            cell = (sheet_row, sheet_column)
            raw = sheet.value(sheet_row, sheet_column)
            if cell in sheet.part.formulas_without_value:
                if spec.state is CellState.INPUT:
                    report.ignored += 1
                    report.cells[key] = (where, "=?")
                    report.add(
                        problem(
                            "formula_without_value",
                            gettext_noop(
                                "The cell holds a formula saved without its result (the file was written by a program, not by Excel or LibreOffice). Open the file in Excel or LibreOffice, save it, and upload it again."
                            ),
                        ),
                        cell=where,
                        row_code=code,
                        column=number,
                    )
                continue  # a computed cell: the form's own formula computes it
            if spec.state is not CellState.INPUT:
                if raw not in (None, ""):
                    not_an_input(report, key, spec, raw, where)
                continue
            read_cell(
                report,
                key,
                spec,
                raw,
                where,
                percent_format=cell in sheet.part.percent_cells,
            )
    return report


def _value_columns(
    report: ReportValues, numbering: Numbering, definition: FormDefinition
) -> dict[int, int]:
    """Return form column number -> sheet column, reporting what does not fit."""
    columns: dict[int, int] = {}
    for column in definition.columns:
        found = numbering.numbers.get(column.number, [])
        if len(found) == 1:
            columns[column.number] = found[0]
        elif len(found) > 1:
            report.add(
                problem(
                    "column_repeated",
                    gettext_noop(
                        "Column %(column)d appears more than once in the numbering row (sheet columns %(letters)s); its values were not imported. Keep one column numbered %(column)d."
                    ),
                    column=column.number,
                    letters=", ".join(column_letter(c) for c in found),
                ),
                cell=address(numbering.row, found[0]),
                column=column.number,
            )
        else:
            report.add(
                problem(
                    "column_missing",
                    gettext_noop(
                        "Column %(column)d of the form is missing from the numbering row; its values cannot be found. Download the template again."
                    ),
                    column=column.number,
                ),
                cell=address(numbering.row, 1),
                column=column.number,
            )
    return columns


def _form_rows(
    report: ReportValues,
    sheet: TemplateSheet,
    numbering: Numbering,
    definition: FormDefinition,
    value_columns: set[int],
) -> dict[str, int]:
    """Return form row code -> sheet row, reporting unknown, repeated and missing
    rows, and values in columns the form does not have."""
    codes = {row.code for row in definition.coded_rows}
    padded = padded_codes(codes)
    known_numbers = {column.number for column in definition.columns}
    extra_columns = sorted(
        column
        for number, found in numbering.numbers.items()
        for column in found
        if number not in known_numbers
    )
    last_column = max((len(cells) for cells in sheet.rows), default=0)
    unnumbered = [
        column
        for column in range(numbering.code_column + 1, last_column + 1)
        if column not in value_columns
        and column not in extra_columns
        and column not in numbering.letters.values()
        and not any(column in found for found in numbering.numbers.values())
    ]
    found_rows: dict[str, list[int]] = {}
    for sheet_row in range(numbering.row + 1, len(sheet.rows) + 1):
        text = code_text(sheet.value(sheet_row, numbering.code_column))
        code = match_code(text, codes, padded) if text else None
        numbers_in_row = [
            column
            for column in sorted(value_columns)
            if _is_number(sheet.value(sheet_row, column))
        ]
        if code is not None:
            found_rows.setdefault(code, []).append(sheet_row)
            _extra_values(
                report,
                sheet,
                sheet_row,
                numbering.row,
                extra_columns + unnumbered,
                code,
            )
            continue
        if text and _has_values(sheet, sheet_row, value_columns):
            count = sum(
                1
                for column in value_columns
                if sheet.value(sheet_row, column) not in (None, "")
            )
            report.ignored += count
            report.add(
                problem(
                    "row_unknown",
                    gettext_noop(
                        "Row code %(code)s is not on the form; the %(count)d values of this row were not imported."
                    ),
                    severity=Severity.WARNING,
                    code=text,
                    count=count,
                ),
                cell=address(sheet_row, numbering.code_column),
                row_code=text,
            )
        elif not text and numbers_in_row:
            report.ignored += len(numbers_in_row)
            report.add(
                problem(
                    "row_without_code",
                    gettext_noop(
                        "Figures in a row without a code (column B) were not imported: %(count)d values. Give the row the code of the form row it belongs to, or delete it."
                    ),
                    severity=Severity.WARNING,
                    count=len(numbers_in_row),
                ),
                cell=address(sheet_row, numbers_in_row[0]),
            )
    chosen: dict[str, int] = {}
    for code, sheet_rows in found_rows.items():
        filled = [r for r in sheet_rows if _has_values(sheet, r, value_columns)]
        if len(filled) <= 1:
            chosen[code] = (filled or sheet_rows)[0]
            continue
        count = sum(
            1
            for r in filled
            for column in value_columns
            if sheet.value(r, column) not in (None, "")
        )
        report.ignored += count
        report.add(
            problem(
                "row_repeated",
                gettext_noop(
                    "Row code %(code)s appears in several rows with figures (sheet rows %(rows)s); none of them was imported. Keep one row with this code."
                ),
                code=code,
                rows=", ".join(str(r) for r in filled),
            ),
            cell=address(filled[0], numbering.code_column),
            row_code=code,
        )
    missing = [row.code for row in definition.coded_rows if row.code not in found_rows]
    if missing:
        report.add(
            problem(
                "rows_missing",
                gettext_noop(
                    "Rows %(codes)s of the form are not on the sheet; their values were left as they were."
                ),
                severity=Severity.WARNING,
                codes=", ".join(missing[:20]) + (" …" if len(missing) > 20 else ""),
            )
        )
    return chosen


def _extra_values(report, sheet, sheet_row, numbering_row, columns, code) -> None:
    for column in columns:
        raw = sheet.value(sheet_row, column)
        if raw in (None, ""):
            continue
        report.ignored += 1
        heading = code_text(sheet.value(numbering_row, column))
        report.add(
            problem(
                "column_unknown",
                gettext_noop(
                    "Column %(letter)s (numbered “%(number)s”) is not a column of the form; its value was not imported."
                ),
                severity=Severity.WARNING,
                cell_value=raw,
                letter=column_letter(column),
                number=heading or "–",
            ),
            cell=address(sheet_row, column),
            row_code=code,
        )


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _has_values(sheet: TemplateSheet, sheet_row: int, columns: set[int]) -> bool:
    return any(sheet.value(sheet_row, column) not in (None, "") for column in columns)
