"""Compile rule sides to Python closures: the fast path of ``run_rules``.

The closures compute exactly what ``Evaluator`` computes (a property test holds them
equal on generated trees and data); references are resolved to dictionary keys once,
at compile time, so evaluating a rule over thousands of reports costs a few dictionary
lookups and Decimal operations per rule.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from decimal import Decimal

from validation.engine.evaluate import (
    _IRRATIONAL,
    NAN,
    Cell,
    Evaluator,
    FormSchema,
    Instance,
    _number,
    _truthy,
    compare,
    power,
    strategy_references,
)
from validation.engine.syntax import Binary, Boolean, Call, Number, Reference, Unary

ZERO = Decimal(0)
EMPTY: dict = {}
_UNDEFINED = (
    decimal.InvalidOperation,
    decimal.DivisionByZero,
    decimal.Overflow,
    OverflowError,
)
Fn = Callable[[dict], object]


def _resolve(
    reference: Reference, schema: FormSchema, instance: Instance, period="", scope=""
):
    evaluator = Evaluator(schema, {}, instance)
    cells = evaluator.cells(reference, period=period, scope=scope)
    return [
        ((cell.form, cell.period, cell.scope), (cell.row, cell.column))
        for cell in cells
    ]


def _reader(resolved) -> Fn:
    if not resolved:
        return lambda data: None
    if len(resolved) == 1:
        ((source, key),) = resolved

        def read_one(data):
            return data.get(source, EMPTY).get(key)

        return read_one

    def read_sum(data):
        total = None
        for source, key in resolved:
            number = _number(data.get(source, EMPTY).get(key))
            if number is not None:
                total = number if total is None else total + number
        return total

    return read_sum


class Compiler:
    def __init__(self, schema: FormSchema, instance: Instance):
        self.schema = schema
        self.instance = instance

    def compile(self, node, missing_as_zero: bool = True) -> Fn:
        inner = self._node(node, missing_as_zero)

        def top(data):
            # The caller runs inside decimal.localcontext(_CONTEXT) (see run_rules).
            try:
                result = inner(data)
            except _UNDEFINED:
                return NAN
            if result.__class__ is Decimal and not result.is_finite():
                return NAN
            return result

        return top

    def _arith(self, node, mz: bool) -> Fn:
        inner = self._node(node, mz)

        def arith(data):
            value = inner(data)
            if value.__class__ is Decimal:
                return value
            if isinstance(value, bool):
                return Decimal(int(value))
            number = _number(value)
            if number is None:
                return ZERO if mz else None
            return number

        return arith

    def _node(self, node, mz: bool) -> Fn:
        if isinstance(node, Number):
            value = node.value
            return lambda data: value
        if isinstance(node, Boolean):
            flag = node.value
            return lambda data: flag
        if isinstance(node, Reference):
            read = _reader(_resolve(node, self.schema, self.instance))
            if not mz:
                return read

            def reference(data):
                value = read(data)
                return ZERO if value is None else value

            return reference
        if isinstance(node, Unary):
            return self._unary(node, mz)
        if isinstance(node, Binary):
            return self._binary(node, mz)
        return self._call(node, mz)

    def _unary(self, node: Unary, mz: bool) -> Fn:
        if node.operator == "!":
            operand = self._node(node.operand, mz)
            return lambda data: not _truthy(operand(data))
        operand = self._arith(node.operand, mz)
        negate = node.operator == "-"

        def unary(data):
            value = operand(data)
            if value is None:
                return None
            return -value if negate else value

        return unary

    def _binary(self, node: Binary, mz: bool) -> Fn:
        operator = node.operator
        if operator in ("&&", "||"):
            left, right = self._node(node.left, mz), self._node(node.right, mz)
            if operator == "&&":
                return lambda data: _truthy(left(data)) and _truthy(right(data))
            return lambda data: _truthy(left(data)) or _truthy(right(data))
        if operator in ("==", "!=", ">", ">=", "<", "<="):
            left, right = self._node(node.left, mz), self._node(node.right, mz)
            return lambda data: compare(left(data), operator, right(data))
        left, right = self._arith(node.left, mz), self._arith(node.right, mz)
        apply = {
            "+": Decimal.__add__,
            "-": Decimal.__sub__,
            "*": Decimal.__mul__,
            "/": Decimal.__truediv__,
            "%": Decimal.__mod__,
            "^": power,
        }[operator]

        if operator in ("+", "-", "*"):
            # These cannot be undefined for finite operands: no guard needed.
            def binary(data):
                a, b = left(data), right(data)
                if a is None or b is None:
                    return None
                if not (a.is_finite() and b.is_finite()):
                    return NAN
                return apply(a, b)

            return binary

        def guarded_binary(data):
            a, b = left(data), right(data)
            if a is None or b is None:
                return None
            if not (a.is_finite() and b.is_finite()):
                return NAN
            try:
                return apply(a, b)
            except _UNDEFINED:
                return NAN

        return guarded_binary

    def _call(self, node: Call, mz: bool) -> Fn:
        name, arguments = node.name, node.arguments
        if name == "if":
            condition = self._node(arguments[0], mz)
            then, otherwise = self._node(arguments[1], mz), self._node(arguments[2], mz)
            return lambda data: (
                then(data) if _truthy(condition(data)) else otherwise(data)
            )
        if name in ("isNull", "isNotNull"):
            inner = self._node(arguments[0], False)
            want_null = name == "isNull"

            def null_check(data):
                value = inner(data)
                is_null = value is None or (
                    isinstance(value, Decimal) and value.is_nan()
                )
                return is_null if want_null else not is_null

            return null_check
        if name == "firstNonNull":
            inners = [self._node(argument, False) for argument in arguments]

            def first_non_null(data):
                for inner in inners:
                    value = inner(data)
                    if value is not None and not (
                        isinstance(value, Decimal) and value.is_nan()
                    ):
                        return value
                return None

            return first_non_null
        if name in ("previous", "lastYear", "children"):
            read = _reader(
                _resolve(
                    arguments[0],
                    self.schema,
                    self.instance,
                    period={"previous": "previous", "lastYear": "lastYear"}.get(
                        name, ""
                    ),
                    scope="children" if name == "children" else "",
                )
            )
            if not mz:
                return read
            return lambda data: ZERO if (value := read(data)) is None else value
        if name == "removeZeros":
            inner = self._node(arguments[0], False)

            def remove_zeros(data):
                value = inner(data)
                number = _number(value)
                if number is not None and number == 0:
                    return ZERO if mz else None
                return value

            return remove_zeros
        if name in ("greatest", "least"):
            inners = [self._node(argument, False) for argument in arguments]
            pick = max if name == "greatest" else min

            def extreme(data):
                present = [
                    n
                    for n in (_number(inner(data)) for inner in inners)
                    if n is not None
                ]
                if any(n.is_nan() for n in present):
                    return NAN
                if not present:
                    return ZERO if mz else None
                return pick(present)

            return extreme
        first = self._arith(arguments[0], mz)
        second = self._arith(arguments[1], mz) if len(arguments) > 1 else None

        def function(data):
            try:
                return evaluate_function(data)
            except _UNDEFINED:
                return NAN

        def evaluate_function(data):
            value = first(data)
            if value is None:
                return None
            if name == "abs":
                return abs(value)
            if name == "round":
                places = second(data) if second else ZERO
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
            if second is not None:
                base = second(data)
                if base is None:
                    return None
                return _IRRATIONAL.plus(value.ln() / base.ln())
            return _IRRATIONAL.plus(value.ln())

        return function


def compile_items(node, schema: FormSchema, instance: Instance) -> list[tuple]:
    """Resolve the values a side counts for its missing-value strategy — the
    compiled form of ``strategy_items``: a list of (source, key, zero counts as
    missing) for single cells, (reader, None, zero counts as missing) for ranges."""
    items: list[tuple] = []
    for reference, remove_zeros, period, scope in strategy_references(node):
        resolved = _resolve(reference, schema, instance, period, scope)
        if len(resolved) == 1:
            items.append((resolved[0][0], resolved[0][1], remove_zeros))
        else:
            items.append((_reader(resolved), None, remove_zeros))
    return items


def count_missing(items, data) -> tuple[int, int]:
    """Return (items, missing) for compiled strategy items over ``data``."""
    missing = 0
    for source, key, remove_zeros in items:
        value = source(data) if key is None else data.get(source, EMPTY).get(key)
        number = value if value.__class__ is Decimal else _number(value)
        if number is None or (remove_zeros and number == 0):
            missing += 1
    return len(items), missing


def side_cells(node, schema: FormSchema, instance: Instance) -> tuple[Cell, ...]:
    """Return every cell ``node`` refers to at ``instance``, in reading order."""
    cells: list[Cell] = []

    def visit(item, period: str = "", scope: str = ""):
        if isinstance(item, Reference):
            cells.extend(
                Evaluator(schema, {}, instance).cells(item, period=period, scope=scope)
            )
        elif isinstance(item, Unary):
            visit(item.operand)
        elif isinstance(item, Binary):
            visit(item.left)
            visit(item.right)
        elif isinstance(item, Call):
            period = {"previous": "previous", "lastYear": "lastYear"}.get(item.name, "")
            scope = "children" if item.name == "children" else ""
            for argument in item.arguments:
                visit(argument, period, scope)

    visit(node)
    return tuple(dict.fromkeys(cells))


class Missing(Exception):
    """Raised by strict closures when a value the side reads is missing."""


_SIMPLE_CALLS = {"previous", "lastYear", "children", "abs", "round", "log", "log10"}


def is_simple(node) -> bool:
    """A side without branches, null tests or zero removal: every reference in it is
    read exactly once, so "skip if any value is missing" can be decided while
    evaluating instead of in a separate pass."""
    if isinstance(node, Number | Reference):
        return True
    if isinstance(node, Unary):
        return node.operator in ("-", "+") and is_simple(node.operand)
    if isinstance(node, Binary):
        return (
            node.operator in ("+", "-", "*", "/", "%", "^")
            and is_simple(node.left)
            and is_simple(node.right)
        )
    if isinstance(node, Call):
        return node.name in _SIMPLE_CALLS and all(
            is_simple(argument) for argument in node.arguments
        )
    return False


def compile_strict(node, schema: FormSchema, instance: Instance) -> Fn | None:
    """Compile a simple side for "skip if any value is missing": the closure raises
    Missing as soon as a value it reads is missing. None for sides that are not simple."""
    if not is_simple(node):
        return None

    def build(item, period: str = "", scope: str = "") -> Fn:
        if isinstance(item, Number):
            value = item.value
            return lambda data: value
        if isinstance(item, Reference):
            resolved = _resolve(item, schema, instance, period, scope)
            if len(resolved) == 1:
                ((source, key),) = resolved

                def strict_one(data):
                    value = data.get(source, EMPTY).get(key)
                    if value.__class__ is Decimal:
                        return value
                    number = _number(value)
                    if number is None:
                        raise Missing
                    return number

                return strict_one
            read = _reader(resolved)

            def strict_range(data):
                value = read(data)
                if value is None:
                    raise Missing
                return value

            return strict_range
        if isinstance(item, Unary):
            operand = build(item.operand, period, scope)
            if item.operator == "-":
                return lambda data: -operand(data)
            return operand
        if isinstance(item, Binary):
            left, right = (
                build(item.left, period, scope),
                build(item.right, period, scope),
            )
            operator = item.operator
            if operator == "+":
                return lambda data: left(data) + right(data)
            if operator == "-":
                return lambda data: left(data) - right(data)
            if operator == "*":
                return lambda data: left(data) * right(data)
            apply = {"/": Decimal.__truediv__, "%": Decimal.__mod__, "^": power}[
                operator
            ]

            def guarded(data):
                a, b = left(data), right(data)
                if not (a.is_finite() and b.is_finite()):
                    return NAN
                try:
                    return apply(a, b)
                except _UNDEFINED:
                    return NAN

            return guarded
        if item.name in ("previous", "lastYear", "children"):
            return build(
                item.arguments[0],
                {"previous": "previous", "lastYear": "lastYear"}.get(item.name, ""),
                "children" if item.name == "children" else "",
            )
        # abs, round, log, log10: reuse the general closure over strict arguments.
        general = Compiler(schema, instance)._call(item, True)
        arguments = [build(argument, period, scope) for argument in item.arguments]

        def strict_function(data):
            for argument in arguments:
                argument(data)  # raises Missing when a value is missing
            return general(data)

        return strict_function

    inner = build(node)

    def top(data):
        try:
            result = inner(data)
        except _UNDEFINED:
            return NAN
        if not result.is_finite():
            return NAN
        return result

    return top
