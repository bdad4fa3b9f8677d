"""Form formulas as Excel formulas, over the addresses ``SheetLayout`` gives.

A column formula ``2 + 3`` in sheet row 11 becomes ``=E11+F11``; a row formula
``02 + 04`` in column D becomes ``=D13+D15``; a range becomes ``SUM(D13:D16)`` when its
cells are neighbours on the sheet and ``SUM(D13,D15,D16)`` when a header row or a
skipped column lies between them; a cell formula ``[02:3] * 2`` becomes ``=F13*2``.
"""

from __future__ import annotations

from dataclasses import dataclass

from forms.definition.formula import BinaryOp, Negate, Node, Number, Range, Ref
from forms.definition.grid import CellSpec, expand_reference
from forms.definition.layout import SheetLayout, column_letter
from forms.definition.model import FormDefinition


def excel_formula(
    definition: FormDefinition, layout: SheetLayout, spec: CellSpec
) -> str | None:
    """Return the Excel formula of a computed cell ("=E11+F11"), or None."""
    if spec.formula is None:
        return None
    text = _ExcelExpression(definition, layout, spec).text(spec.formula)
    if _divides(spec.formula):
        # A division by zero leaves the cell blank, as the form engine's evaluate does.
        text = f'IFERROR({text},"")'
    return "=" + text


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


@dataclass
class _ExcelExpression:
    definition: FormDefinition
    layout: SheetLayout
    spec: CellSpec

    def text(self, node: Node, parent_precedence: int = 0, right: bool = False) -> str:
        if isinstance(node, Number):
            return format(node.value, "f")
        if isinstance(node, Ref | Range):
            return self.reference(node)
        if isinstance(node, Negate):
            return "-" + self.text(node.operand, 3)
        precedence = _PRECEDENCE[node.operator]
        text = (
            f"{self.text(node.left, precedence)}{node.operator}"
            f"{self.text(node.right, precedence, right=True)}"
        )
        if precedence < parent_precedence or (
            right and precedence == parent_precedence
        ):
            return f"({text})"
        return text

    def reference(self, node: Ref | Range) -> str:
        cells = [
            (self.layout.sheet_row(row), self.layout.value_column(column))
            for row, column in expand_reference(
                self.definition, node, self.spec.row, self.spec.column
            )
            if self.definition.row(row) and self.definition.column(column)
        ]
        addresses = [f"{column_letter(column)}{row}" for row, column in cells]
        if not cells:
            return "0"
        if isinstance(node, Ref) or len(cells) == 1:
            return addresses[0]
        rows = [row for row, _column in cells]
        columns = [column for _row, column in cells]
        down = len(set(columns)) == 1 and rows == list(range(rows[0], rows[-1] + 1))
        across = len(set(rows)) == 1 and columns == list(
            range(columns[0], columns[-1] + 1)
        )
        if down or across:
            return f"SUM({addresses[0]}:{addresses[-1]})"
        return f"SUM({','.join(addresses)})"


def _divides(node: Node) -> bool:
    if isinstance(node, BinaryOp):
        return node.operator == "/" or _divides(node.left) or _divides(node.right)
    if isinstance(node, Negate):
        return _divides(node.operand)
    return False
