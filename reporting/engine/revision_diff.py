"""What changed between two revisions of a report, cell by cell.

Values are compared as their canonical text (numbers in plain notation), so a cell
whose figure is the same reads as unchanged however it was typed. Comments are
compared too: an explanation added, edited or removed is a change of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CellChange:
    row: str
    column: int
    old: str
    new: str
    old_comment: str = ""
    new_comment: str = ""

    @property
    def cell(self) -> str:
        return f"{self.row}:{self.column}"

    @property
    def value_changed(self) -> bool:
        return self.old != self.new

    @property
    def comment_changed(self) -> bool:
        return self.old_comment != self.new_comment

    @property
    def kind(self) -> str:
        """Return "added", "removed", "changed" or "comment" (only the comment)."""
        if not self.value_changed:
            return "comment"
        if not self.old:
            return "added"
        if not self.new:
            return "removed"
        return "changed"


def _split(cell: str) -> tuple[str, int]:
    row, _sep, column = cell.rpartition(":")
    try:
        return row, int(column)
    except ValueError:
        return cell, 0


def revision_changes(
    old_values: Mapping[str, str],
    new_values: Mapping[str, str],
    *,
    old_comments: Mapping[str, str] | None = None,
    new_comments: Mapping[str, str] | None = None,
    order: Sequence[str] = (),
) -> list[CellChange]:
    """Return every cell whose value or comment differs, in ``order`` (the cells of
    the form, row by row), then any other cell by row code and column number."""
    old_comments = old_comments or {}
    new_comments = new_comments or {}
    cells = set(old_values) | set(new_values) | set(old_comments) | set(new_comments)
    rank = {cell: index for index, cell in enumerate(order)}
    changes = []
    for cell in cells:
        old, new = old_values.get(cell) or "", new_values.get(cell) or ""
        old_comment = old_comments.get(cell) or ""
        new_comment = new_comments.get(cell) or ""
        if old == new and old_comment == new_comment:
            continue
        row, column = _split(cell)
        changes.append(CellChange(row, column, old, new, old_comment, new_comment))
    changes.sort(
        key=lambda change: (
            rank.get(change.cell, len(rank)),
            change.row,
            change.column,
        )
    )
    return changes
