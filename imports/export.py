"""Reports as Excel: the form's own template, filled with a report's current values.

Every text value that a spreadsheet could take for a formula (starting with
``= + - @``, a tab, a carriage return or NUL) is written with a leading apostrophe,
so an exported text never turns into a formula; the upload parser removes that
apostrophe again, so an exported report uploads back unchanged. Characters XML
cannot hold (NUL and the other control characters) are dropped.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from forms.definition.grid import cell_grid
from forms.definition.model import CellState, DataType
from forms.definition.periods import Period
from forms.rendering.excel import template_filename, template_xlsx
from imports.parsers.values import FORMULA_TRIGGERS

_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def escape_text(text: str) -> str:
    """Return ``text`` safe to write in a spreadsheet cell as text."""
    escaped = "'" + text if text.startswith(FORMULA_TRIGGERS) else text
    return _XML_ILLEGAL.sub("", escaped)


def report_values(version, values: dict[str, str]) -> dict[tuple[str, int], object]:
    """Return stored values ({"01:2": "12"}) as template values of the input cells:
    numbers as Decimal, text escaped."""
    grid = cell_grid(version.form_definition)
    found: dict[tuple[str, int], object] = {}
    for cell, text in values.items():
        row, _sep, column = cell.rpartition(":")
        spec = grid.get((row, int(column))) if column.isdigit() else None
        if spec is None or spec.state is not CellState.INPUT or text in (None, ""):
            continue
        if spec.data_type is DataType.TEXT:
            found[(row, spec.column)] = escape_text(str(text))
            continue
        try:
            found[(row, spec.column)] = Decimal(text)
        except InvalidOperation:
            found[(row, spec.column)] = escape_text(str(text))
    return found


def report_workbook(version, unit, period: Period, values: dict[str, str]) -> bytes:
    """Return the template of ``version`` for ``unit`` and ``period``, filled."""
    return template_xlsx(
        version, unit=unit, period=period, values=report_values(version, values)
    )


def report_filename(version, unit, period: Period) -> str:
    return template_filename(version, unit, period)


def bulk_workbook(version, reports: list[tuple]) -> bytes:
    """Return one workbook with a template sheet per (unit, period, values) of
    ``reports``, each named by its own hidden metadata sheet (``_metadata``,
    ``_metadata_2``, …), for a department that reports many units or periods."""
    import copy
    import io

    from django.conf import settings
    from django.utils import translation
    from openpyxl import load_workbook

    from forms.definition.layout import SheetLayout
    from forms.rendering import form_texts
    from forms.rendering.excel import DEFAULT_SHEET_PASSWORD
    from forms.rendering.excel_metadata import METADATA_SHEET, write_metadata_sheet

    first_unit, first_period, first_values = reports[0]
    workbook = load_workbook(
        io.BytesIO(report_workbook(version, first_unit, first_period, first_values))
    )
    model = workbook.worksheets[0]
    layout = SheetLayout.for_definition(version.form_definition)
    grid = cell_grid(version.form_definition)

    def texts(unit, period) -> list[str]:
        with translation.override("vi"):
            return [
                form_texts.reporting_unit_line(unit),
                form_texts.receiving_unit_line(version, unit),
                form_texts.deadline_line(version, period),
                form_texts.period_line(version, period),
                form_texts.place_and_date_line(unit),
            ]

    first_texts = texts(first_unit, first_period)
    blank = {
        (r, c): None for (r, c), spec in grid.items() if spec.state is CellState.INPUT
    }
    model.title = _bulk_title(first_unit, first_period, set())
    workbook[METADATA_SHEET]["B4"] = model.title
    titles = {model.title}
    for index, (unit, period, values) in enumerate(reports[1:], start=2):
        sheet = workbook.copy_worksheet(model)
        sheet.title = _bulk_title(unit, period, titles)
        titles.add(sheet.title)
        replacements = dict(zip(first_texts, texts(unit, period), strict=True))
        for row in sheet.iter_rows(max_row=layout.first_data_row - 1):
            for cell in row:
                if cell.value in replacements:
                    cell.value = replacements[cell.value]
        filled = {**blank, **report_values(version, values)}
        for (row_code, column), value in filled.items():
            cell = sheet[layout.address(row_code, column)]
            cell.value = (
                int(value)
                if isinstance(value, Decimal) and value == value.to_integral_value()
                else value
            )
        for row in sheet.iter_rows(min_row=layout.last_data_row + 1):
            for cell in row:
                if cell.value in replacements:
                    cell.value = replacements[cell.value]
        for validation in model.data_validations.dataValidation:
            sheet.add_data_validation(copy.copy(validation))
        sheet.protection = copy.copy(model.protection)
        write_metadata_sheet(
            workbook.create_sheet(f"{METADATA_SHEET}_{index}"),
            version=version,
            layout=layout,
            cells=grid.values(),
            form_sheet=sheet.title,
            unit=unit,
            period=period,
            password=getattr(
                settings, "EXCEL_TEMPLATE_PASSWORD", DEFAULT_SHEET_PASSWORD
            ),
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _bulk_title(unit, period: Period, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "-", f"{unit.code} {period.id}")[:28]
    title, number = base, 2
    while title in taken or title.casefold().startswith("_metadata"):
        title = f"{base} ({number})"
        number += 1
    return title
