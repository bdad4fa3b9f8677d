"""The computed cells of a form as plain data, for the entry page's script.

Each formula is sent with its references already resolved to cells ("02:3"), so the
browser only adds, subtracts, multiplies and divides; it never needs to know how a row
or column range expands. The shapes mirror ``forms.definition.formula``:

* ``{"n": "1.5"}`` a constant,
* ``{"ref": "02:3"}`` one cell (empty counts as 0),
* ``{"sum": ["02:3", "03:3"]}`` a range (empty cells skipped),
* ``{"neg": node}`` unary minus,
* ``{"op": "+", "l": node, "r": node}`` arithmetic; a division by zero makes the
  whole formula empty, as the server's exact evaluation does.
"""

from __future__ import annotations

from forms.definition.formula import BinaryOp, Negate, Number, Range, Ref
from forms.definition.grid import CellSpec, expand_reference
from forms.definition.model import CellState, FormDefinition


def _cell_id(key: tuple[str, int]) -> str:
    return f"{key[0]}:{key[1]}"


def formula_as_data(
    definition: FormDefinition, node, row: str, column: int
) -> dict | None:
    """Return ``node`` (the formula of cell ``row``:``column``) as plain data."""

    def walk(item) -> dict:
        if isinstance(item, Number):
            return {"n": format(item.value, "f")}
        if isinstance(item, Range):
            cells = expand_reference(definition, item, row, column)
            return {"sum": [_cell_id(cell) for cell in cells]}
        if isinstance(item, Ref):
            cells = expand_reference(definition, item, row, column)
            return {"ref": _cell_id(cells[0])} if cells else {"n": "0"}
        if isinstance(item, Negate):
            return {"neg": walk(item.operand)}
        if isinstance(item, BinaryOp):
            return {"op": item.operator, "l": walk(item.left), "r": walk(item.right)}
        raise TypeError(f"not a formula node: {item!r}")

    return walk(node) if node is not None else None


def computed_formulas(
    definition: FormDefinition, grid: dict[tuple[str, int], CellSpec]
) -> dict[str, dict | None]:
    """Return {"01:2": formula data} for every computed cell of ``grid``."""
    return {
        _cell_id(key): formula_as_data(definition, spec.formula, *key)
        for key, spec in grid.items()
        if spec.state is CellState.COMPUTED
    }
