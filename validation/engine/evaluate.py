"""Evaluate rule expressions over one report's data: exact decimals, no exceptions.

Semantics follow DHIS2's validation rules (docs/validation-rules.md):

* a reference's value is a Decimal, a text, or missing (None);
* arithmetic on a missing value uses 0 once the missing-value strategy decided not to
  skip; text counts as missing in arithmetic;
* ``isNull``, ``isNotNull`` and ``firstNonNull`` see the raw value (missing stays
  missing) and their references do not count towards the strategy;
* ``removeZeros(x)`` turns 0 into missing, and a reference inside it that holds 0
  counts as missing for the strategy;
* a division by zero, a logarithm of a non-positive number or any other undefined
  result is NaN, which propagates; a side that ends as NaN counts as missing.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from validation.engine.syntax import Binary, Boolean, Call, Number, Reference, Unary

NAN = Decimal("NaN")
# Logarithms and fractional powers are irrational: round them to 30 significant digits
# so that log(8, 2) == 3 holds, as users expect.
_IRRATIONAL = decimal.Context(prec=30, rounding=decimal.ROUND_HALF_EVEN)
_CONTEXT = decimal.Context(
    prec=40,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

# The data of one report, by source: (form code or None for this form, period
# ("" this period, "previous", "lastYear"), scope ("" this unit, "children")) ->
# {(row code, column number): value}.
SourceKey = tuple[str | None, str, str]
ReportData = Mapping[SourceKey, Mapping[tuple[str, int], object]]


@dataclass(frozen=True)
class FormSchema:
    """What the engine needs to know of a form: its coded rows in printed order and
    its value columns (those holding numbers, and those holding text)."""

    rows: tuple[str, ...]
    columns: tuple[int, ...]
    text_columns: frozenset[int] = frozenset()

    def row_range(self, first: str, last: str | None) -> list[str]:
        if last is None:
            return [first]
        try:
            start, end = self.rows.index(first), self.rows.index(last)
        except ValueError:
            return []
        return list(self.rows[start : end + 1])

    def column_range(self, first: int, last: int | None) -> list[int]:
        if last is None:
            return [first]
        try:
            start, end = self.columns.index(first), self.columns.index(last)
        except ValueError:
            return []
        return list(self.columns[start : end + 1])


@dataclass(frozen=True)
class Cell:
    """One cell a rule read: where, and in which period and scope."""

    form: str | None
    row: str
    column: int
    period: str = ""
    scope: str = ""


@dataclass
class Instance:
    """The cell a row-wise or column-wise rule is being checked at."""

    row: str | None = None
    column: int | None = None


def _number(value) -> Decimal | None:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    return None


def _truthy(value) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    number = _number(value)
    return number is not None and not number.is_nan() and number != 0


class Evaluator:
    """Evaluate nodes for one report and one instance. Cheap to create."""

    def __init__(self, schema: FormSchema, data: ReportData, instance: Instance):
        self.schema = schema
        self.data = data
        self.instance = instance
        self.cells_read: list[Cell] = []

    # -- references --

    def cells(
        self, reference: Reference, *, period: str = "", scope: str = ""
    ) -> list[Cell]:
        if reference.rows is None:
            rows = [self.instance.row] if self.instance.row is not None else []
        else:
            rows = self.schema.row_range(*reference.rows) if reference.form is None else (
                [reference.rows[0]] if reference.rows[1] is None else list(reference.rows)
            )  # fmt: skip
        if reference.columns is None:
            columns = [self.instance.column] if self.instance.column is not None else []
        elif reference.form is None:
            columns = self.schema.column_range(*reference.columns)
        else:
            first, last = reference.columns
            columns = list(range(first, (last or first) + 1))
        return [
            Cell(reference.form, row, column, period, scope)
            for row in rows
            for column in columns
        ]

    def raw(self, reference: Reference, *, period: str = "", scope: str = ""):
        """Return the value of a reference: one cell's value, or the sum of a range's
        present values (missing when none is present)."""
        cells = self.cells(reference, period=period, scope=scope)
        self.cells_read.extend(cells)
        if not cells:
            return None
        if len(cells) == 1:
            cell = cells[0]
            source = self.data.get((cell.form, cell.period, cell.scope), {})
            return source.get((cell.row, cell.column))
        total = None
        for cell in cells:
            number = _number(
                self.data.get((cell.form, cell.period, cell.scope), {}).get(
                    (cell.row, cell.column)
                )
            )
            if number is not None:
                total = number if total is None else total + number
        return total

    # -- evaluation --

    def value(self, node, *, missing_as_zero: bool = True):
        """Return the value of ``node``: Decimal, bool, text, None (missing) or NaN."""
        try:
            with decimal.localcontext(_CONTEXT):
                result = self._value(node, missing_as_zero)
        except (
            decimal.InvalidOperation,
            decimal.DivisionByZero,
            decimal.Overflow,
            OverflowError,
            ValueError,
        ):
            return NAN
        if isinstance(result, Decimal) and not result.is_finite():
            return NAN
        return result

    def _arith(self, node, missing_as_zero):
        value = self._value(node, missing_as_zero)
        if isinstance(value, bool):
            return Decimal(int(value))
        number = _number(value)
        if number is None:
            return Decimal(0) if missing_as_zero else None
        return number

    def _value(self, node, missing_as_zero: bool):
        if isinstance(node, Number):
            return node.value
        if isinstance(node, Boolean):
            return node.value
        if isinstance(node, Reference):
            value = self.raw(node)
            if value is None and missing_as_zero:
                return Decimal(0)
            return value
        if isinstance(node, Unary):
            if node.operator == "!":
                return not _truthy(self._value(node.operand, missing_as_zero))
            operand = self._arith(node.operand, missing_as_zero)
            if operand is None:
                return None
            return -operand if node.operator == "-" else operand
        try:
            if isinstance(node, Binary):
                return self._binary(node, missing_as_zero)
            return self._call(node, missing_as_zero)
        except (
            decimal.InvalidOperation,
            decimal.DivisionByZero,
            decimal.Overflow,
            OverflowError,
        ):
            # Undefined here (1/0, log(0)) is NaN here: it propagates, and isNull()
            # around it still answers.
            return NAN

    def _binary(self, node: Binary, missing_as_zero: bool):
        operator = node.operator
        if operator == "&&":
            return _truthy(self._value(node.left, missing_as_zero)) and _truthy(
                self._value(node.right, missing_as_zero)
            )
        if operator == "||":
            return _truthy(self._value(node.left, missing_as_zero)) or _truthy(
                self._value(node.right, missing_as_zero)
            )
        if operator in ("==", "!=", ">", ">=", "<", "<="):
            return compare(
                self._value(node.left, missing_as_zero),
                operator,
                self._value(node.right, missing_as_zero),
            )
        left = self._arith(node.left, missing_as_zero)
        right = self._arith(node.right, missing_as_zero)
        if left is None or right is None:
            return None
        if not (left.is_finite() and right.is_finite()):
            return NAN
        if operator == "+":
            return left + right
        if operator == "-":
            return left - right
        if operator == "*":
            return left * right
        if operator == "/":
            return left / right
        if operator == "%":
            return left % right
        return power(left, right)

    def _call(self, node: Call, missing_as_zero: bool):
        name, arguments = node.name, node.arguments
        if name == "if":
            condition = self._value(arguments[0], missing_as_zero)
            return self._value(
                arguments[1] if _truthy(condition) else arguments[2], missing_as_zero
            )
        if name in ("isNull", "isNotNull"):
            value = self._value(arguments[0], False)
            is_null = value is None or (isinstance(value, Decimal) and value.is_nan())
            return is_null if name == "isNull" else not is_null
        if name == "firstNonNull":
            for argument in arguments:
                value = self._value(argument, False)
                if value is not None and not (
                    isinstance(value, Decimal) and value.is_nan()
                ):
                    return value
            return None
        if name in ("previous", "lastYear", "children"):
            reference = arguments[0]
            value = self.raw(
                reference,
                period={"previous": "previous", "lastYear": "lastYear"}.get(name, ""),
                scope="children" if name == "children" else "",
            )
            if value is None and missing_as_zero:
                return Decimal(0)
            return value
        if name == "removeZeros":
            value = self._value(arguments[0], False)
            number = _number(value)
            if number is not None and number == 0:
                return None if not missing_as_zero else Decimal(0)
            return value
        if name in ("greatest", "least"):
            numbers = [_number(self._value(argument, False)) for argument in arguments]
            present = [number for number in numbers if number is not None]
            if any(number.is_nan() for number in present):
                return NAN
            if not present:
                return Decimal(0) if missing_as_zero else None
            return max(present) if name == "greatest" else min(present)
        value = self._arith(arguments[0], missing_as_zero)
        if value is None:
            return None
        if name == "abs":
            return abs(value)
        if name == "round":
            places = (
                self._arith(arguments[1], missing_as_zero)
                if len(arguments) > 1
                else Decimal(0)
            )
            if (
                places is None
                or not places.is_finite()
                or places != places.to_integral_value()
            ):
                return NAN
            return value.quantize(
                Decimal(1).scaleb(-int(places)), rounding=decimal.ROUND_HALF_UP
            )
        if name == "log10":
            return _IRRATIONAL.plus(value.log10())
        if len(arguments) > 1:
            base = self._arith(arguments[1], missing_as_zero)
            if base is None:
                return None
            return _IRRATIONAL.plus(value.ln() / base.ln())
        return _IRRATIONAL.plus(value.ln())


def power(base: Decimal, exponent: Decimal) -> Decimal:
    if exponent == exponent.to_integral_value() and abs(exponent) <= 10000:
        # Integer powers stay exact.
        result = base ** int(exponent)
    else:
        result = _IRRATIONAL.plus(base**exponent)
    return +result


def compare(left, operator: str, right) -> bool:
    """Compare two values; numbers exactly, text by equality only."""
    left_number, right_number = _number(left), _number(right)
    if left_number is not None and right_number is not None:
        if left_number.is_nan() or right_number.is_nan():
            return operator == "!="
        left, right = left_number, right_number
    elif operator not in ("==", "!="):
        return False
    if operator == "==":
        return left == right
    if operator == "!=":
        return left != right
    if operator == ">":
        return left > right
    if operator == ">=":
        return left >= right
    if operator == "<":
        return left < right
    return left <= right


DATA_SOURCES = {
    "previous": ("previous", ""),
    "lastYear": ("lastYear", ""),
    "children": ("", "children"),
}


def strategy_references(node):
    """Yield (reference, zero counts as missing, period, scope) for every value a side
    depends on for its missing-value strategy. References inside isNull, isNotNull
    and firstNonNull do not count; inside removeZeros a zero counts as missing."""

    def visit(item, remove_zeros: bool, period: str = "", scope: str = ""):
        if isinstance(item, Reference):
            yield item, remove_zeros, period, scope
        elif isinstance(item, Unary):
            yield from visit(item.operand, remove_zeros)
        elif isinstance(item, Binary):
            yield from visit(item.left, remove_zeros)
            yield from visit(item.right, remove_zeros)
        elif isinstance(item, Call):
            if item.name in ("isNull", "isNotNull", "firstNonNull"):
                return
            if item.name in DATA_SOURCES:
                yield from visit(
                    item.arguments[0], remove_zeros, *DATA_SOURCES[item.name]
                )
                return
            for argument in item.arguments:
                yield from visit(argument, remove_zeros or item.name == "removeZeros")

    yield from visit(node, False)


def strategy_items(node, evaluator: Evaluator) -> tuple[int, int]:
    """Count the values a side depends on for the missing-value strategy: return
    (items, missing) — see ``strategy_references``."""
    items = missing = 0
    for reference, remove_zeros, period, scope in strategy_references(node):
        items += 1
        value = _number(evaluator.raw(reference, period=period, scope=scope))
        if value is None or (remove_zeros and value == 0):
            missing += 1
    return items, missing


Compiled = Callable[[Evaluator], object]
