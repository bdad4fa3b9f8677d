"""The cells of a form: which take input, which are computed (and how), which are off.

Precedence when several formulas reach one cell: the cell's own formula, then its
column's formula, then its row's formula. The formulas that lose still hold as
validation rules; only one can fill the cell.
"""

from __future__ import annotations

from dataclasses import dataclass

from forms.definition.formula import (
    FormulaError,
    FormulaKind,
    Node,
    Range,
    Ref,
    parse_formula,
)
from forms.definition.model import CellState, DataType, FormDefinition

CellKey = tuple[str, int]


@dataclass(frozen=True)
class CellSpec:
    row: str
    column: int
    state: CellState
    data_type: DataType
    formula: Node | None = None
    formula_kind: FormulaKind | None = None
    formula_text: str = ""


def _parse_or_none(text: str, kind: FormulaKind) -> Node | None:
    if not text.strip():
        return None
    try:
        return parse_formula(text, kind)
    except FormulaError:
        return None


def cell_grid(definition: FormDefinition) -> dict[CellKey, CellSpec]:
    """Return the spec of every cell of the coded rows, keyed by (row code, column)."""
    overrides = {(cell.row, cell.column): cell for cell in definition.cells}
    column_formulas = {
        column.number: _parse_or_none(column.formula, FormulaKind.COLUMN)
        for column in definition.columns
    }
    grid: dict[CellKey, CellSpec] = {}
    for row in definition.coded_rows:
        row_formula = _parse_or_none(row.formula, FormulaKind.ROW)
        for column in definition.columns:
            key = (row.code, column.number)
            override = overrides.get(key)
            base = {
                "row": row.code,
                "column": column.number,
                "data_type": column.data_type,
            }
            if override is not None and override.state is CellState.DISABLED:
                grid[key] = CellSpec(state=CellState.DISABLED, **base)
            elif override is not None and override.formula.strip():
                grid[key] = CellSpec(
                    state=CellState.COMPUTED,
                    formula=_parse_or_none(override.formula, FormulaKind.CELL),
                    formula_kind=FormulaKind.CELL,
                    formula_text=override.formula,
                    **base,
                )
            elif column_formulas.get(column.number) is not None:
                grid[key] = CellSpec(
                    state=CellState.COMPUTED,
                    formula=column_formulas[column.number],
                    formula_kind=FormulaKind.COLUMN,
                    formula_text=column.formula,
                    **base,
                )
            elif row_formula is not None and column.data_type.is_numeric:
                grid[key] = CellSpec(
                    state=CellState.COMPUTED,
                    formula=row_formula,
                    formula_kind=FormulaKind.ROW,
                    formula_text=row.formula,
                    **base,
                )
            else:
                grid[key] = CellSpec(state=CellState.INPUT, **base)
    return grid


def expand_reference(
    definition: FormDefinition, reference: Ref | Range, row: str, column: int
) -> list[CellKey]:
    """Return the cells a reference in the formula of cell (row, column) points at."""
    if isinstance(reference, Ref):
        return [(reference.row or row, reference.column or column)]
    start, end = reference.start, reference.end
    if start.row is not None:
        codes = [r.code for r in definition.coded_rows]
        try:
            first, last = codes.index(start.row), codes.index(end.row)
        except ValueError:
            return []
        return [(code, column) for code in codes[first : last + 1]]
    numbers = [c.number for c in definition.columns]
    try:
        first, last = numbers.index(start.column), numbers.index(end.column)
    except ValueError:
        return []
    return [(row, number) for number in numbers[first : last + 1]]
