"""What changed between two versions of a form: metadata, rows, columns and cells.

Coded rows are matched by their code, group headers by their label (in order), columns
by their number and cell overrides by their (row, column). A row kept in both versions
whose place among the kept rows changed is reported as moved.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from forms.definition.model import CellOverride, ColumnDef, FormDefinition, RowDef

ROW_FIELDS = ("label", "indent", "unit", "formula", "of_which", "bold", "guidance")
COLUMN_FIELDS = ("label", "data_type", "decimal_places", "group", "unit", "formula")
METADATA_FIELDS = (
    "code",
    "title",
    "period_type",
    "unit_of_measure",
    "legal_basis",
    "notes",
    "has_unit_column",
    "deadlines",
    "reporters",
)


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class ItemChange:
    """An item present in both versions, with the fields that differ."""

    key: str
    label: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class DefinitionDiff:
    metadata: tuple[FieldChange, ...] = ()
    rows_added: tuple[RowDef, ...] = ()
    rows_removed: tuple[RowDef, ...] = ()
    rows_changed: tuple[ItemChange, ...] = ()
    rows_moved: tuple[str, ...] = ()
    columns_added: tuple[ColumnDef, ...] = ()
    columns_removed: tuple[ColumnDef, ...] = ()
    columns_changed: tuple[ItemChange, ...] = ()
    cells_added: tuple[CellOverride, ...] = ()
    cells_removed: tuple[CellOverride, ...] = ()
    cells_changed: tuple[ItemChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, spec.name) for spec in fields(self))


def _changes(old, new, names) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(name, getattr(old, name), getattr(new, name))
        for name in names
        if getattr(old, name) != getattr(new, name)
    )


def _row_keys(rows) -> list[str]:
    """Key each row: "01" for a coded row, "#<label>#<n>" for the n-th header with
    that label."""
    seen: dict[str, int] = {}
    keys = []
    for row in rows:
        if row.code is not None:
            keys.append(row.code)
            continue
        seen[row.label] = seen.get(row.label, 0) + 1
        keys.append(f"#{row.label}#{seen[row.label]}")
    return keys


def _longest_common_subsequence(first: list[str], second: list[str]) -> set[str]:
    lengths = [[0] * (len(second) + 1) for _ in range(len(first) + 1)]
    for i, a in enumerate(first):
        for j, b in enumerate(second):
            lengths[i + 1][j + 1] = (
                lengths[i][j] + 1
                if a == b
                else max(lengths[i][j + 1], lengths[i + 1][j])
            )
    kept: set[str] = set()
    i, j = len(first), len(second)
    while i and j:
        if first[i - 1] == second[j - 1]:
            kept.add(first[i - 1])
            i, j = i - 1, j - 1
        elif lengths[i - 1][j] >= lengths[i][j - 1]:
            i -= 1
        else:
            j -= 1
    return kept


def diff_definitions(old: FormDefinition, new: FormDefinition) -> DefinitionDiff:
    """Return every difference from ``old`` to ``new``."""
    old_rows = dict(zip(_row_keys(old.rows), old.rows, strict=True))
    new_rows = dict(zip(_row_keys(new.rows), new.rows, strict=True))
    common = [key for key in old_rows if key in new_rows]
    in_order = _longest_common_subsequence(
        common, [key for key in new_rows if key in old_rows]
    )
    rows_changed = []
    for key in new_rows:
        if key in old_rows:
            changes = _changes(old_rows[key], new_rows[key], ROW_FIELDS)
            if changes:
                rows_changed.append(ItemChange(key, new_rows[key].label, changes))

    old_columns = {column.number: column for column in old.columns}
    new_columns = {column.number: column for column in new.columns}
    columns_changed = []
    for number, column in new_columns.items():
        if number in old_columns:
            changes = _changes(old_columns[number], column, COLUMN_FIELDS)
            if changes:
                columns_changed.append(ItemChange(str(number), column.label, changes))

    old_cells = {(cell.row, cell.column): cell for cell in old.cells}
    new_cells = {(cell.row, cell.column): cell for cell in new.cells}
    cells_changed = []
    for key, cell in new_cells.items():
        if key in old_cells:
            changes = _changes(old_cells[key], cell, ("state", "formula"))
            if changes:
                cells_changed.append(ItemChange(f"{key[0]}/{key[1]}", "", changes))

    return DefinitionDiff(
        metadata=_changes(old, new, METADATA_FIELDS),
        rows_added=tuple(row for key, row in new_rows.items() if key not in old_rows),
        rows_removed=tuple(row for key, row in old_rows.items() if key not in new_rows),
        rows_changed=tuple(rows_changed),
        rows_moved=tuple(
            key for key in common if key not in in_order and not key.startswith("#")
        ),
        columns_added=tuple(
            column
            for number, column in new_columns.items()
            if number not in old_columns
        ),
        columns_removed=tuple(
            column
            for number, column in old_columns.items()
            if number not in new_columns
        ),
        columns_changed=tuple(columns_changed),
        cells_added=tuple(
            cell for key, cell in new_cells.items() if key not in old_cells
        ),
        cells_removed=tuple(
            cell for key, cell in old_cells.items() if key not in new_cells
        ),
        cells_changed=tuple(cells_changed),
    )
