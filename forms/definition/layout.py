"""Where each part of a form sits on its Excel template sheet.

The generated template and the upload parser both derive cell addresses from here, so
every value maps back to its (row code, column number) without guessing.

Sheet rows: the header block (form code, units, legal basis, deadline, title, period,
unit of measure), a blank row, one or two column-header rows (two when columns are
grouped), the numbering row (A, B, C, 1, 2, …), then one sheet row per form row.
Sheet columns: A label, B row code, C unit (when the form has a unit column), then the
numbered value columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from forms.definition.model import FormDefinition

HEADER_BLOCK_ROWS = 7  # rows 1-7: metadata block and a blank separator


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of 1-based column ``index`` (1 -> A, 27 -> AA)."""
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclass(frozen=True)
class SheetLayout:
    definition: FormDefinition
    label_column: int
    code_column: int
    unit_column: int | None
    first_value_column: int
    header_rows: tuple[int, ...]
    numbering_row: int
    first_data_row: int

    @classmethod
    def for_definition(cls, definition: FormDefinition) -> SheetLayout:
        grouped = any(column.group for column in definition.columns)
        first_header = HEADER_BLOCK_ROWS + 1
        header_rows = (first_header, first_header + 1) if grouped else (first_header,)
        numbering_row = header_rows[-1] + 1
        unit_column = 3 if definition.has_unit_column else None
        return cls(
            definition=definition,
            label_column=1,
            code_column=2,
            unit_column=unit_column,
            first_value_column=4 if unit_column else 3,
            header_rows=header_rows,
            numbering_row=numbering_row,
            first_data_row=numbering_row + 1,
        )

    @property
    def last_column(self) -> int:
        return self.first_value_column + len(self.definition.columns) - 1

    @property
    def last_data_row(self) -> int:
        return self.first_data_row + len(self.definition.rows) - 1

    def value_column(self, number: int) -> int:
        """Return the sheet column of value column ``number``."""
        numbers = [column.number for column in self.definition.columns]
        return self.first_value_column + numbers.index(number)

    def sheet_row(self, code: str) -> int:
        """Return the sheet row of the form row with ``code``."""
        codes = [row.code for row in self.definition.rows]
        return self.first_data_row + codes.index(code)

    def address(self, code: str, number: int) -> str:
        """Return the A1 address of cell (row ``code``, column ``number``)."""
        return f"{column_letter(self.value_column(number))}{self.sheet_row(code)}"

    def text_column_letters(self) -> list[str]:
        """Return the printed letters of the text columns: A, B and (if any) C."""
        return ["A", "B", "C"] if self.unit_column else ["A", "B"]
