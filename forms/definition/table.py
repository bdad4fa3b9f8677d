"""The form as the printed table a reporter sees: column headers with their groups
spanning the columns below, the numbering row (A, B, C, 1, 2, …) and one line per row
with its cells (input, computed with the formula that fills it, or disabled).

The builder's preview, the entry page and the printed form draw the same table.
"""

from __future__ import annotations

from dataclasses import dataclass

from forms.definition.grid import cell_grid
from forms.definition.layout import SheetLayout
from forms.definition.model import CellState, DataType, FormDefinition


@dataclass(frozen=True)
class HeaderCell:
    """A heading cell. ``text_column`` names a lettered column ("label", "code",
    "unit") whose heading the page words; otherwise ``text`` is printed."""

    text: str = ""
    colspan: int = 1
    rowspan: int = 1
    text_column: str = ""
    is_group: bool = False


@dataclass(frozen=True)
class TableCell:
    column: int
    state: CellState
    data_type: DataType
    formula: str = ""
    formula_kind: str = ""


@dataclass(frozen=True)
class TableRow:
    code: str | None
    label: str
    indent: int
    unit: str
    is_header: bool
    of_which: bool
    bold: bool
    guidance: str
    cells: tuple[TableCell, ...]
    aggregation: str = "sum"  # how the row adds up when the units below are compiled


@dataclass(frozen=True)
class FormTable:
    header_rows: tuple[tuple[HeaderCell, ...], ...]
    numbering: tuple[str, ...]
    rows: tuple[TableRow, ...]
    value_columns: int
    has_unit_column: bool

    @property
    def width(self) -> int:
        return len(self.numbering)


def _header_rows(definition: FormDefinition) -> tuple[tuple[HeaderCell, ...], ...]:
    grouped = any(column.group for column in definition.columns)
    depth = 2 if grouped else 1
    text_columns = ["label", "code"] + (["unit"] if definition.has_unit_column else [])
    top = [HeaderCell(rowspan=depth, text_column=name) for name in text_columns]
    bottom: list[HeaderCell] = []
    columns = list(definition.columns)
    index = 0
    while index < len(columns):
        column = columns[index]
        if not column.group:
            top.append(HeaderCell(column.label, rowspan=depth))
            index += 1
            continue
        span = 1
        while (
            index + span < len(columns) and columns[index + span].group == column.group
        ):
            span += 1
        top.append(HeaderCell(column.group, colspan=span, is_group=True))
        bottom += [HeaderCell(c.label) for c in columns[index : index + span]]
        index += span
    return (tuple(top), tuple(bottom)) if grouped else (tuple(top),)


def form_table(definition: FormDefinition) -> FormTable:
    """Return the printed table of ``definition``."""
    grid = cell_grid(definition)
    layout = SheetLayout.for_definition(definition)
    rows = []
    for row in definition.rows:
        cells = ()
        if not row.is_header:
            cells = tuple(
                TableCell(
                    column=column.number,
                    state=grid[(row.code, column.number)].state,
                    data_type=column.data_type,
                    formula=grid[(row.code, column.number)].formula_text,
                    formula_kind=(
                        grid[(row.code, column.number)].formula_kind.value
                        if grid[(row.code, column.number)].formula_kind
                        else ""
                    ),
                )
                for column in definition.columns
            )
        rows.append(
            TableRow(
                code=row.code,
                label=row.label,
                indent=row.indent,
                unit=row.unit,
                is_header=row.is_header,
                of_which=row.of_which,
                bold=row.bold,
                guidance=row.guidance,
                cells=cells,
                aggregation=row.aggregation,
            )
        )
    numbering = tuple(layout.text_column_letters()) + tuple(
        str(column.number) for column in definition.columns
    )
    return FormTable(
        header_rows=_header_rows(definition),
        numbering=numbering,
        rows=tuple(rows),
        value_columns=len(definition.columns),
        has_unit_column=definition.has_unit_column,
    )
