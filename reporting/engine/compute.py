"""Fill the computed cells of a form from its input cells (exact decimals)."""

from __future__ import annotations

from decimal import Decimal

from forms.definition.formula import Range, Ref, evaluate
from forms.definition.grid import CellSpec, expand_reference
from forms.definition.model import CellState, FormDefinition


def computed_values(
    definition: FormDefinition,
    grid: dict[tuple[str, int], CellSpec],
    values: dict[tuple[str, int], Decimal | str | None],
) -> dict[tuple[str, int], Decimal | None]:
    """Return the value of every computed cell given the input ``values``.

    Computed cells may depend on other computed cells; each is evaluated once, after
    its inputs (the design checks guarantee there is no cycle).
    """
    results: dict[tuple[str, int], Decimal | None] = {}

    def value_of(key):
        spec = grid.get(key)
        if spec is None or spec.state is CellState.DISABLED:
            return None
        if spec.state is CellState.COMPUTED:
            if key not in results:
                results[key] = _evaluate(spec, key)
            return results[key]
        raw = values.get(key)
        return raw if isinstance(raw, Decimal) else None

    def _evaluate(spec: CellSpec, key):
        if spec.formula is None:
            return None

        def lookup(reference: Ref | Range):
            cells = expand_reference(definition, reference, *key)
            if isinstance(reference, Range):
                return [value_of(cell) for cell in cells]
            return value_of(cells[0]) if cells else None

        return evaluate(spec.formula, lookup)

    for key, spec in grid.items():
        if spec.state is CellState.COMPUTED:
            value_of(key)
    return results
