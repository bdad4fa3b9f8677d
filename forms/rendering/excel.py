"""The Excel template of a form version: the official form as a protected workbook.

The first sheet prints like the annex of the regulation: the header block, the column
headers, one sheet row per form row and the signature block. Input cells are unlocked
and shaded; computed cells hold real Excel formulas, so the sheet totals itself; the
rest is locked. Every address comes from ``SheetLayout``, the map the upload parser
reads too.

A very hidden sheet (``excel_metadata``) names the version, unit and period and lists
every cell, so an uploaded copy maps back to the form without guessing.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from forms.definition.grid import CellKey, CellSpec, cell_grid
from forms.definition.layout import SheetLayout, column_letter
from forms.definition.model import CellState, ColumnDef, DataType, RowDef
from forms.definition.periods import Period
from forms.rendering.excel_formula import excel_formula
from forms.rendering.excel_metadata import METADATA_SHEET, write_metadata_sheet
from forms.rendering.form_texts import (
    deadline_line,
    form_code_line,
    legal_basis_line,
    period_line,
    place_and_date_line,
    receiving_unit_line,
    reporting_unit_line,
    unit_of_measure_line,
)

if TYPE_CHECKING:
    from forms.models import FormVersion
    from orgunits.models import OrgUnit

# Sheet protection only stops accidental typing over labels and totals; anyone may
# lift it, so the password is not a secret.
DEFAULT_SHEET_PASSWORD = "ebaocao"  # noqa: S105

FONT_NAME = "Times New Roman"
FONT_SIZE = 12
LINE_HEIGHT = 16.0  # points per line of 12-point text
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
COMPUTED_FILL = PatternFill("solid", fgColor="DDEBF7")
DISABLED_FILL = PatternFill("solid", fgColor="BFBFBF")
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)

LABEL_WIDTH = 50.0
CODE_WIDTH = 9.0
UNIT_WIDTH = 13.0
TEXT_VALUE_WIDTH = 30.0
RIGHT_BLOCK_WIDTH = 36.0  # room for "Đơn vị nhận báo cáo: <a unit's name>"
LANDSCAPE_AFTER = 6  # value columns a portrait A4 page still holds

# Excel holds 15 significant digits; a larger figure would silently lose some.
NUMBER_LIMIT = 10**15


def template_xlsx(
    version: FormVersion,
    *,
    unit: OrgUnit | None = None,
    period: Period | None = None,
    values: Mapping[CellKey, Decimal | str] | None = None,
) -> bytes:
    """Return the Excel template of ``version``, for ``unit`` and ``period`` if given.

    ``values`` pre-fills input cells, keyed by (row code, column number). The form is
    a legal document, so it is always written in Vietnamese, whatever the reader's
    language.
    """
    workbook = Workbook()
    writer = _FormSheetWriter(workbook.active, version, unit, period)
    with translation.override("vi"):
        writer.write(values or {})
    write_metadata_sheet(
        workbook.create_sheet(METADATA_SHEET),
        version=version,
        layout=writer.layout,
        cells=writer.grid.values(),
        form_sheet=writer.sheet.title,
        unit=unit,
        period=period,
        password=_sheet_password(),
    )
    workbook.security = WorkbookProtection(
        workbookPassword=_sheet_password(), lockStructure=True
    )
    workbook.properties.title = f"{writer.definition.code} – {writer.definition.title}"
    workbook.properties.creator = "ebaocao"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_filename(
    version: FormVersion, unit: OrgUnit | None = None, period: Period | None = None
) -> str:
    """Return an ASCII file name such as ``0603.N-BNV-TDKT_v1_2026.xlsx``."""
    parts = [_ascii_slug(version.form_definition.code), f"v{version.number}"]
    if unit is not None:
        parts.append(_ascii_slug(unit.code))
    if period is not None:
        parts.append(_ascii_slug(period.id))
    return "_".join(parts) + ".xlsx"


def sheet_title(code: str) -> str:
    """Return ``code`` as a valid sheet title (31 characters, no ``[]:*?/\\``)."""
    title = SHEET_TITLE_FORBIDDEN.sub("-", code).strip().strip("'")[:31]
    return title or "Form"


class _FormSheetWriter:
    """Write the form sheet; holds what every part of it needs."""

    def __init__(self, sheet: Worksheet, version, unit, period):
        self.sheet = sheet
        self.version = version
        self.unit = unit
        self.period = period
        self.definition = version.form_definition
        self.layout = SheetLayout.for_definition(self.definition)
        self.grid = cell_grid(self.definition)
        self.widths = self._column_widths()
        self.right_block = self._right_block_start()

    # --- the sheet -----------------------------------------------------------------

    def write(self, values: Mapping[CellKey, Decimal | str]) -> None:
        self.sheet.title = sheet_title(self.definition.code)
        self.sheet.sheet_view.showGridLines = False
        for index, width in self.widths.items():
            self.sheet.column_dimensions[column_letter(index)].width = width
        self._header_block()
        self._column_headers()
        self._data_rows(values)
        last_row = self._signature_block()
        self._print_setup(last_row)
        self.sheet.protection.sheet = True
        self.sheet.protection.formatColumns = False
        self.sheet.protection.formatRows = False
        self.sheet.protection.password = _sheet_password()

    def _column_widths(self) -> dict[int, float]:
        layout, columns = self.layout, self.definition.columns
        value_width = 16.0 if len(columns) > LANDSCAPE_AFTER else 18.0
        widths = {layout.label_column: LABEL_WIDTH, layout.code_column: CODE_WIDTH}
        if layout.unit_column:
            widths[layout.unit_column] = UNIT_WIDTH
        for column in columns:
            widths[layout.value_column(column.number)] = (
                TEXT_VALUE_WIDTH if column.data_type is DataType.TEXT else value_width
            )
        return widths

    def _right_block_start(self) -> int:
        """Return the first column of the right-hand header block (units, place)."""
        start = self.layout.last_column
        width = self.widths[start]
        while start > 2 and width < RIGHT_BLOCK_WIDTH:
            start -= 1
            width += self.widths[start]
        return start

    def _width(self, first: int, last: int) -> float:
        return sum(self.widths[index] for index in range(first, last + 1))

    def _put(
        self,
        row: int,
        first: int,
        last: int,
        value,
        *,
        bold: bool = False,
        italic: bool = False,
        size: int = FONT_SIZE,
        horizontal: str = "left",
        vertical: str = "center",
        indent: int = 0,
        border: bool = False,
        last_row: int | None = None,
    ):
        """Write ``value`` over columns ``first``..``last`` (merged); return the cell."""
        cell = self.sheet.cell(row=row, column=first, value=value)
        cell.font = Font(name=FONT_NAME, size=size, bold=bold, italic=italic)
        cell.alignment = Alignment(
            horizontal=horizontal, vertical=vertical, wrap_text=True, indent=indent
        )
        cell.protection = LOCKED
        end_row = last_row or row
        if border:
            for row_index in range(row, end_row + 1):
                for column_index in range(first, last + 1):
                    self.sheet.cell(row=row_index, column=column_index).border = BOX
        if last > first or end_row > row:
            self.sheet.merge_cells(
                start_row=row, start_column=first, end_row=end_row, end_column=last
            )
        return cell

    def _fit_height(self, row: int, *needs: float) -> None:
        """Make ``row`` tall enough for the tallest of ``needs`` (in points)."""
        height = max([LINE_HEIGHT + 2, *needs])
        current = self.sheet.row_dimensions[row].height or 0
        self.sheet.row_dimensions[row].height = max(current, height)

    # --- rows 1-7: the header block --------------------------------------------------

    def _header_block(self) -> None:
        definition, last = self.definition, self.layout.last_column
        left_end, right = self.right_block - 1, self.right_block
        left_width, right_width = self._width(1, left_end), self._width(right, last)
        left_lines = [
            (form_code_line(definition.code), True, False),
            (legal_basis_line(self.version), False, True),
            (deadline_line(self.version, self.period), False, False),
        ]
        right_lines = [
            reporting_unit_line(self.unit),
            receiving_unit_line(self.version, self.unit),
            None,
        ]
        for row, ((text, bold, italic), right_text) in enumerate(
            zip(left_lines, right_lines, strict=True), start=1
        ):
            self._put(row, 1, left_end, text, bold=bold, italic=italic)
            self._put(row, right, last, right_text, bold=row == 1)
            self._fit_height(
                row,
                _text_height(text, left_width, bold=bold),
                _text_height(right_text, right_width, bold=row == 1),
            )
        self._put(4, 1, last, definition.title, bold=True, size=14, horizontal="center")
        self._fit_height(
            4, _text_height(definition.title, self._width(1, last), size=14, bold=True)
        )
        period = period_line(self.version, self.period)
        self._put(5, 1, last, period, bold=True, horizontal="center")
        unit_of_measure = unit_of_measure_line(self.version)
        if unit_of_measure:
            self._put(6, right, last, unit_of_measure, italic=True, horizontal="right")

    # --- column headers and the numbering row ----------------------------------------

    def _column_headers(self) -> None:
        layout = self.layout
        first, last = layout.header_rows[0], layout.header_rows[-1]
        one_row: list[float] = [LINE_HEIGHT]
        two_rows: list[float] = [LINE_HEIGHT]
        last_row: list[float] = [LINE_HEIGHT]
        text_headers = [
            (layout.label_column, _("Indicator")),
            (layout.code_column, _("Code number")),
        ]
        if layout.unit_column:
            text_headers.append((layout.unit_column, _("Unit of measure")))
        for column, text in text_headers:
            self._header_cell(first, column, column, text, last_row=last)
            two_rows.append(_text_height(text, self.widths[column], bold=True))
        for group, columns in _column_runs(self.definition.columns):
            start = layout.value_column(columns[0].number)
            end = layout.value_column(columns[-1].number)
            if group and last > first:
                self._header_cell(first, start, end, group)
                one_row.append(_text_height(group, self._width(start, end), bold=True))
                for column in columns:
                    index = layout.value_column(column.number)
                    text = self._column_label(column)
                    self._header_cell(last, index, index, text)
                    last_row.append(_text_height(text, self.widths[index], bold=True))
                continue
            for column in columns:
                index = layout.value_column(column.number)
                text = self._column_label(column)
                self._header_cell(first, index, index, text, last_row=last)
                two_rows.append(_text_height(text, self.widths[index], bold=True))
        if last > first:
            self._fit_height(first, *one_row)
            self._fit_height(last, *last_row, max(two_rows) - max(one_row))
        else:
            self._fit_height(first, *two_rows)
        text_columns = [layout.label_column, layout.code_column, layout.unit_column]
        numbering = list(zip(text_columns, layout.text_column_letters(), strict=False))
        numbering += [
            (layout.value_column(column.number), column.number)
            for column in self.definition.columns
        ]
        for index, mark in numbering:
            self._put(
                layout.numbering_row,
                index,
                index,
                mark,
                italic=True,
                horizontal="center",
                border=True,
            )

    def _header_cell(self, row, first, last, text, *, last_row=None):
        self._put(
            row,
            first,
            last,
            text,
            bold=True,
            horizontal="center",
            border=True,
            last_row=last_row,
        )

    def _column_label(self, column: ColumnDef) -> str:
        """Return the printed header; a form without a unit column names the unit."""
        unit = column.unit
        if (
            self.layout.unit_column
            or not unit
            or unit in column.label
            or unit in column.group
        ):
            return column.label
        return f"{column.label} ({unit})"

    # --- one sheet row per form row --------------------------------------------------

    def _data_rows(self, values: Mapping[CellKey, Decimal | str]) -> None:
        layout = self.layout
        validations = {
            data_type: _validation(data_type)
            for data_type in {column.data_type for column in self.definition.columns}
        }
        for offset, row in enumerate(self.definition.rows):
            sheet_row = layout.first_data_row + offset
            self._row_heading(sheet_row, row)
            for column in self.definition.columns:
                cell = self.sheet.cell(
                    row=sheet_row, column=layout.value_column(column.number)
                )
                cell.border = BOX
                cell.protection = LOCKED
                cell.font = Font(name=FONT_NAME, size=FONT_SIZE, bold=row.bold)
                if row.is_header:
                    continue
                spec = self.grid[(row.code, column.number)]
                self._value_cell(
                    cell, spec, column, values.get((spec.row, spec.column))
                )
                validation = validations[column.data_type]
                if spec.state is CellState.INPUT and validation is not None:
                    validation.add(cell.coordinate)
        for validation in validations.values():
            if validation is not None and validation.sqref:
                self.sheet.add_data_validation(validation)

    def _row_heading(self, sheet_row: int, row: RowDef) -> None:
        """Write the label, code and unit of a form row."""
        layout = self.layout
        self._put(
            sheet_row,
            layout.label_column,
            layout.label_column,
            row.label,
            bold=row.bold,
            italic=row.is_header or row.of_which,
            indent=row.indent,
            border=True,
        )
        self._fit_height(
            sheet_row,
            _text_height(row.label, LABEL_WIDTH - 1.5 * row.indent, bold=row.bold),
        )
        code = self._put(
            sheet_row,
            layout.code_column,
            layout.code_column,
            row.code,
            horizontal="center",
            border=True,
        )
        code.number_format = "@"
        if layout.unit_column:
            self._put(
                sheet_row,
                layout.unit_column,
                layout.unit_column,
                row.unit or None,
                horizontal="center",
                border=True,
            )

    def _value_cell(self, cell, spec: CellSpec, column: ColumnDef, value) -> None:
        """Style one cell of the grid by its state: input, computed or disabled."""
        text = column.data_type is DataType.TEXT
        cell.number_format = _number_format(column)
        cell.alignment = Alignment(
            horizontal="left" if text else "right", vertical="center", wrap_text=text
        )
        if spec.state is CellState.INPUT:
            cell.protection = UNLOCKED
            cell.fill = INPUT_FILL
            if value is not None:
                cell.value = _cell_value(value, column.data_type)
        elif spec.state is CellState.COMPUTED:
            cell.fill = COMPUTED_FILL
            cell.value = excel_formula(self.definition, self.layout, spec)
        else:
            cell.fill = DISABLED_FILL

    # --- after the table --------------------------------------------------------------

    def _signature_block(self) -> int:
        """Write the signatures below the table; return the last row to print."""
        top = self.layout.last_data_row + 2
        right, last = self.right_block, self.layout.last_column
        label = self.layout.label_column
        place = place_and_date_line(self.unit)
        self._put(top, right, last, place, italic=True, horizontal="center")
        self._fit_height(top, _text_height(place, self._width(right, last)))
        self._put(
            top + 1, label, label, _("Prepared by"), bold=True, horizontal="center"
        )
        self._put(
            top + 1, right, last, _("Head of unit"), bold=True, horizontal="center"
        )
        self._put(
            top + 2,
            label,
            label,
            _("(Signature, full name)"),
            italic=True,
            horizontal="center",
        )
        self._put(
            top + 2,
            right,
            last,
            _("(Signature, full name, seal)"),
            italic=True,
            horizontal="center",
        )
        return top + 6  # room to sign

    def _print_setup(self, last_row: int) -> None:
        sheet, layout = self.sheet, self.layout
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.orientation = (
            "landscape"
            if len(self.definition.columns) > LANDSCAPE_AFTER
            else "portrait"
        )
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_options.horizontalCentered = True
        sheet.page_margins.left = sheet.page_margins.right = 0.4
        sheet.page_margins.top = sheet.page_margins.bottom = 0.5
        sheet.print_title_rows = f"{layout.header_rows[0]}:{layout.numbering_row}"
        sheet.print_area = f"A1:{column_letter(layout.last_column)}{last_row}"


def _sheet_password() -> str:
    return getattr(settings, "EXCEL_TEMPLATE_PASSWORD", DEFAULT_SHEET_PASSWORD)


def _column_runs(columns) -> list[tuple[str, list[ColumnDef]]]:
    """Return the value columns in runs of neighbours that share a group."""
    runs: list[tuple[str, list[ColumnDef]]] = []
    for column in columns:
        if runs and column.group and runs[-1][0] == column.group:
            runs[-1][1].append(column)
        else:
            runs.append((column.group, [column]))
    return runs


def _number_format(column: ColumnDef) -> str:
    if column.data_type is DataType.TEXT:
        return "@"
    if column.data_type is DataType.BOOLEAN:
        return "0"
    places = column.decimal_places if column.data_type is not DataType.INTEGER else 0
    return "#,##0" + ("." + "0" * places if places else "")


def _validation(data_type: DataType) -> DataValidation | None:
    """Return the rule that keeps text out of a numeric column, or None for text."""
    if data_type is DataType.TEXT:
        return None
    if data_type is DataType.BOOLEAN:
        kind, low, high = "whole", 0, 1
        message = _("Enter 1 (yes) or 0 (no).")
    elif data_type is DataType.INTEGER:
        kind, low, high = "whole", -NUMBER_LIMIT, NUMBER_LIMIT
        message = _("Enter a whole number.")
    else:
        kind, low, high = "decimal", -NUMBER_LIMIT, NUMBER_LIMIT
        message = _("Enter a number.")
    return DataValidation(
        type=kind,
        operator="between",
        formula1=str(low),
        formula2=str(high),
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle=_("Invalid value"),
        error=message,
    )


def _cell_value(value: Decimal | str, data_type: DataType):
    if data_type is DataType.TEXT:
        return str(value)
    if isinstance(value, bool):
        return int(value)  # the boolean columns take 1 and 0
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def _text_height(
    text: str, width: float, *, bold: bool = False, size: int = FONT_SIZE
) -> float:
    """Estimate the points ``text`` needs when wrapped in a cell ``width`` wide.

    Spreadsheet programs do not grow rows for wrapped text in files they open, so
    the template sets every height itself.
    """
    if not text:
        return LINE_HEIGHT
    # Column width counts characters of the default font; Times New Roman 12 fits
    # about 1.3 of them per unit, a little fewer in bold, fewer again when larger.
    capacity = max(width * (1.2 if bold else 1.3) * FONT_SIZE / size, 1.0)
    lines = sum(
        max(1, math.ceil(len(part) / capacity)) for part in str(text).split("\n")
    )
    return lines * LINE_HEIGHT * size / FONT_SIZE + 2


def _ascii_slug(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-.") or "form"
