"""The hidden ``_metadata`` sheet that lets an uploaded template map back to its form.

Columns A:B hold ``key | value`` rows under a ``key | value`` header:

| key | value |
|---|---|
| format | ``ebaocao.template`` |
| format_version | 1 |
| sheet | title of the form sheet |
| form_code | the form's official code |
| form_version | the version number |
| version_id | the FormVersion id |
| definition_sha256 | SHA-256 of the canonical definition JSON |
| unit_code, unit_id, unit_valid_from | the reporting unit (ISO date), when known |
| period_id | the canonical period id (2026, 2026Q3, …), when known |

Unknown values are left empty. Columns D:H list every cell of the coded rows in
printed order under ``row_code | column | address | state | data_type``; states and
data types are the values of ``CellState`` and ``DataType``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from openpyxl.worksheet.worksheet import Worksheet

from forms.definition.grid import CellSpec
from forms.definition.layout import SheetLayout
from forms.definition.model import FormDefinition
from forms.definition.periods import Period
from forms.definition.serialize import definition_to_json

if TYPE_CHECKING:
    from forms.models import FormVersion
    from orgunits.models import OrgUnit

METADATA_SHEET = "_metadata"
METADATA_FORMAT = "ebaocao.template"
METADATA_FORMAT_VERSION = 1
CELL_TABLE_COLUMN = 4  # column D
CELL_TABLE_HEADER = ("row_code", "column", "address", "state", "data_type")


def definition_digest(definition: FormDefinition) -> str:
    """Return the SHA-256 of the canonical JSON of ``definition``."""
    return hashlib.sha256(definition_to_json(definition).encode("utf-8")).hexdigest()


def write_metadata_sheet(
    sheet: Worksheet,
    *,
    version: FormVersion,
    layout: SheetLayout,
    cells: Iterable[CellSpec],
    form_sheet: str,
    unit: OrgUnit | None,
    period: Period | None,
    password: str,
) -> None:
    """Fill ``sheet`` with the metadata, then protect and hide it."""
    definition = layout.definition
    valid_from = unit.valid_from if unit is not None else None
    rows = [
        ("key", "value"),
        ("format", METADATA_FORMAT),
        ("format_version", METADATA_FORMAT_VERSION),
        ("sheet", form_sheet),
        ("form_code", definition.code),
        ("form_version", version.number),
        ("version_id", version.pk),
        ("definition_sha256", definition_digest(definition)),
        ("unit_code", unit.code if unit is not None else None),
        ("unit_id", unit.pk if unit is not None else None),
        ("unit_valid_from", valid_from.isoformat() if valid_from else None),
        ("period_id", period.id if period is not None else None),
    ]
    for row_index, values in enumerate(rows, start=1):
        _write_row(sheet, row_index, 1, values)
    _write_row(sheet, 1, CELL_TABLE_COLUMN, CELL_TABLE_HEADER)
    for row_index, spec in enumerate(cells, start=2):
        values = (
            spec.row,
            spec.column,
            layout.address(spec.row, spec.column),
            spec.state.value,
            spec.data_type.value,
        )
        _write_row(sheet, row_index, CELL_TABLE_COLUMN, values)
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 66
    sheet.protection.sheet = True
    sheet.protection.password = password
    sheet.sheet_state = "veryHidden"


def _write_row(sheet: Worksheet, row: int, first_column: int, values) -> None:
    for offset, value in enumerate(values):
        cell = sheet.cell(row=row, column=first_column + offset, value=value)
        # Row codes and period ids such as "01" or "2026" must stay text.
        cell.number_format = "@" if isinstance(value, str) else "0"
