"""Rules a form declares by its own layout: its formulas and its "of which" rows.

A column formula "1 = 2 + 3 + 4" becomes ``[*:1] == [*:2] + [*:3] + [*:4]`` over every
row; a row formula "01 = 02 + 04" becomes ``[01:*] == [02:*] + [04:*]`` over every
number column; a cell formula becomes a rule on its cell; an "of which" row
("Trong đó") must not exceed the row it belongs to (the nearest row above it with a
smaller indent).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from forms.definition.formula import (
    FormulaError,
    FormulaKind,
    Negate,
    Number,
    Range,
    Ref,
    parse_formula,
)
from forms.definition.model import FormDefinition
from validation.engine.rules import Importance, MissingValueStrategy, Rule
from validation.engine.syntax import parse, to_text


def _text(node, kind: FormulaKind) -> str:
    return to_text(parse(_raw_text(node, kind)))


def _raw_text(node, kind: FormulaKind) -> str:
    def ref(reference: Ref) -> tuple[str, str]:
        row = reference.row if reference.row is not None else "*"
        column = str(reference.column) if reference.column is not None else "*"
        return row, column

    if isinstance(node, Number):
        return format(node.value, "f")
    if isinstance(node, Ref):
        row, column = ref(node)
        return f"[{row}:{column}]"
    if isinstance(node, Range):
        (first_row, first_column), (last_row, last_column) = (
            ref(node.start),
            ref(node.end),
        )
        if kind is FormulaKind.ROW:
            return f"[{first_row}..{last_row}:*]"
        return f"[*:{first_column}..{last_column}]"
    if isinstance(node, Negate):
        return f"-({_raw_text(node.operand, kind)})"
    return (
        f"({_raw_text(node.left, kind)} {node.operator} {_raw_text(node.right, kind)})"
    )


def declared_rules(definition: FormDefinition) -> list[Rule]:
    """Return the rules the definition implies, with Vietnamese messages."""
    rules: list[Rule] = []
    # Totals are checked whatever the reporter left blank: a blank part counts as 0,
    # as the template's own formulas count it.
    lenient = {
        "left_strategy": MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING,
        "right_strategy": MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING,
    }
    for column in definition.columns:
        if not column.formula.strip():
            continue
        try:
            node = parse_formula(column.formula, FormulaKind.COLUMN)
        except FormulaError:
            continue
        rules.append(
            Rule(
                code=f"COT{column.number}",
                left=f"[*:{column.number}]",
                operator="==",
                right=_text(node, FormulaKind.COLUMN),
                message=_(
                    "Row {row}: column %(number)d ({left}) must equal %(formula)s ({right})."
                )
                % {"number": column.number, "formula": column.formula},
                **lenient,
            )
        )
    previous_rows = []
    for row in definition.rows:
        if row.code is None:
            continue
        if row.formula.strip():
            try:
                node = parse_formula(row.formula, FormulaKind.ROW)
            except FormulaError:
                node = None
            if node is not None:
                rules.append(
                    Rule(
                        code=f"DONG{row.code}",
                        left=f"[{row.code}:*]",
                        operator="==",
                        right=_text(node, FormulaKind.ROW),
                        message=_(
                            "Column {column}: row %(code)s ({left}) must equal %(formula)s ({right})."
                        )
                        % {"code": row.code, "formula": row.formula},
                        **lenient,
                    )
                )
        if row.of_which:
            parent = next(
                (p for p in reversed(previous_rows) if p.indent < row.indent), None
            )
            if parent is not None:
                rules.append(
                    Rule(
                        code=f"TD{row.code}",
                        left=f"[{row.code}:*]",
                        operator="<=",
                        right=f"[{parent.code}:*]",
                        importance=Importance.ERROR,
                        message=_(
                            "Column {column}: “of which” row %(code)s ({left}) cannot exceed row %(parent)s ({right})."
                        )
                        % {"code": row.code, "parent": parent.code},
                    )
                )
        previous_rows.append(row)
    for cell in definition.cells:
        if not cell.formula.strip():
            continue
        try:
            node = parse_formula(cell.formula, FormulaKind.CELL)
        except FormulaError:
            continue
        rules.append(
            Rule(
                code=f"O{cell.row}_{cell.column}",
                left=f"[{cell.row}:{cell.column}]",
                operator="==",
                right=_text(node, FormulaKind.CELL),
                message=_("Cell %(cell)s ({left}) must equal %(formula)s ({right}).")
                % {"cell": f"{cell.row}/{cell.column}", "formula": cell.formula},
                **lenient,
            )
        )
    return rules
