"""The conformance tables of docs/validation-rules.md, checked case by case.

The documentation is the specification: this test reads its tables, so an example
there that the engine does not honour fails here.
"""

import re
from decimal import Decimal
from pathlib import Path

import pytest

from validation.engine.evaluate import Evaluator, FormSchema, Instance
from validation.engine.rules import Rule, compile_rule, format_value, run_rules
from validation.engine.syntax import parse

DOC = Path(__file__).resolve().parents[2] / "docs" / "validation-rules.md"
SCHEMA = FormSchema(rows=("01", "02", "03"), columns=(1, 2, 3))
SOURCES = {
    "previous": (None, "previous", ""),
    "lastYear": (None, "lastYear", ""),
    "children": (None, "", "children"),
}


def table(heading: str) -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"### {heading}\n", 1)[1].split("\n### ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        rows.append([cell.replace("\\|", "|").strip("`") for cell in cells])
    return rows[1:]  # without the header row


def data_of(cells: str) -> dict:
    data: dict = {}
    if cells == "-":
        return data
    for item in cells.split(";"):
        words = item.strip().split()
        source = (None, "", "")
        if len(words) == 2:
            source = SOURCES.get(words[0], (words[0], "", ""))
        address, value = words[-1].split("=")
        row, column = address.split(":")
        data.setdefault(source, {})[(row, int(column))] = (
            None if value == "∅" else Decimal(value)
        )
    return data


EXPRESSIONS = table("Expressions")
RULES = table("Rules")


def test_the_tables_hold_at_least_sixty_cases():
    assert len(EXPRESSIONS) + len(RULES) >= 60


@pytest.mark.parametrize(
    ("expression", "cells", "expected"),
    EXPRESSIONS,
    ids=[row[0] for row in EXPRESSIONS],
)
def test_expression(expression, cells, expected):
    value = Evaluator(SCHEMA, data_of(cells), Instance()).value(parse(expression))
    if expected == "NaN":
        assert isinstance(value, Decimal) and value.is_nan()
    elif expected in ("true", "false"):
        assert value is (expected == "true")
    else:
        assert isinstance(value, Decimal) and value == Decimal(expected), value


def _strategies(text: str) -> dict:
    if text == "-":
        return {}
    return {
        f"{side}_strategy": value
        for side, value in (item.split("=") for item in text.split(","))
    }


@pytest.mark.parametrize(
    ("left", "operator", "right", "strategies", "cells", "outcome"), RULES
)
def test_rule(left, operator, right, strategies, cells, outcome):
    rule = Rule(
        "T",
        left,
        operator,
        right,
        message="{left} {operator} {right}",
        **_strategies(strategies),
    )
    violations = run_rules([compile_rule(rule)], SCHEMA, data_of(cells))
    if outcome in ("pass", "skip"):
        assert violations == []
        return
    kind, left_value, right_value = outcome.split()
    assert len(violations) == 1, violations
    violation = violations[0]
    if "@" in kind:
        where = kind.split("@")[1]
        assert where in (violation.row, str(violation.column))
    assert (format_value(violation.left), format_value(violation.right)) == (
        left_value,
        right_value,
    )
