"""Compiling ("tổng hợp") the figures of the units below into an upper unit's report.

Pure: the form definition, the upper unit's own values and each source's values in,
the compiled input values out. Every row adds up by its ``aggregation``; computed
cells are left to the form's formulas, evaluated afterwards by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from forms.definition.grid import cell_grid
from forms.definition.model import Aggregation, CellState, DataType, FormDefinition
from reporting.engine.values import MAX_DECIMAL_PLACES, canonical_number


def average_places(definition: FormDefinition) -> dict[int, int]:
    """Decimal places an average is rounded to, per column: whole numbers stay whole."""
    places = {}
    for column in definition.columns:
        if column.data_type is DataType.INTEGER:
            places[column.number] = 0
        else:
            places[column.number] = column.decimal_places or MAX_DECIMAL_PLACES
    return places


def aggregate(how: str, numbers: Sequence[Decimal], places: int) -> Decimal:
    """Return ``numbers`` aggregated exactly (an average rounded half up to
    ``places`` decimal places)."""
    if how == Aggregation.AVERAGE:
        mean = sum(numbers, Decimal(0)) / len(numbers)
        return mean.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if how == Aggregation.MAX:
        return max(numbers)
    if how == Aggregation.MIN:
        return min(numbers)
    return sum(numbers, Decimal(0))


def compiled_values(
    definition: FormDefinition,
    own: dict[str, str],
    sources: Sequence[dict[str, str]],
) -> dict[str, str]:
    """Return the input cells of the upper report compiled from ``sources``.

    Numeric input cells of additive rows take the aggregate of the sources that
    hold a value (a cell none of them filled stays empty); rows aggregated "none"
    and text or yes/no cells keep the upper unit's ``own`` values."""
    grid = cell_grid(definition)
    how_by_row = {row.code: row.aggregation for row in definition.coded_rows}
    places = average_places(definition)
    result: dict[str, str] = {}
    for (row, column), spec in grid.items():
        if spec.state is not CellState.INPUT:
            continue
        key = f"{row}:{column}"
        how = how_by_row.get(row, Aggregation.SUM)
        if how == Aggregation.NONE or not spec.data_type.is_numeric:
            if own.get(key, "") != "":
                result[key] = own[key]
            continue
        numbers = [
            Decimal(values[key]) for values in sources if values.get(key, "") != ""
        ]
        if numbers:
            result[key] = canonical_number(aggregate(how, numbers, places[column]))
    return result
