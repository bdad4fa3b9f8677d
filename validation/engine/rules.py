"""Validation rules: two sides, an operator, a missing-value strategy per side.

``run_rules`` checks many rules over one report and returns every violation; it never
stops at the first and never raises on bad data (undefined results are results).
"""

from __future__ import annotations

import decimal
import enum
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from validation.engine.compiler import (
    Compiler,
    Missing,
    compile_items,
    compile_strict,
    count_missing,
    side_cells,
)
from validation.engine.evaluate import (
    _CONTEXT,
    Cell,
    Evaluator,
    FormSchema,
    Instance,
    ReportData,
    compare,
    strategy_items,
)
from validation.engine.syntax import (
    Binary,
    Call,
    Reference,
    RuleSyntaxError,
    Unary,
    gettext_noop,
    parse,
)


class Operator(enum.StrEnum):
    EQUAL = "=="
    NOT_EQUAL = "!="
    GREATER = ">"
    GREATER_OR_EQUAL = ">="
    LESS = "<"
    LESS_OR_EQUAL = "<="
    COMPULSORY_PAIR = "compulsory_pair"
    EXCLUSIVE_PAIR = "exclusive_pair"


class MissingValueStrategy(enum.StrEnum):
    SKIP_IF_ANY_VALUE_MISSING = "skip_if_any_value_missing"
    SKIP_IF_ALL_VALUES_MISSING = "skip_if_all_values_missing"
    NEVER_SKIP = "never_skip"


class Importance(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Rule:
    """A rule as designers write it; ``compile_rule`` parses it once."""

    code: str
    left: str
    operator: Operator
    right: str
    importance: Importance = Importance.ERROR
    message: str = ""
    left_strategy: MissingValueStrategy = MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING
    right_strategy: MissingValueStrategy = (
        MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING
    )

    def __post_init__(self):
        # Accept plain strings (from JSON, the database or a command line).
        object.__setattr__(self, "operator", Operator(self.operator))
        object.__setattr__(self, "importance", Importance(self.importance))
        object.__setattr__(
            self, "left_strategy", MissingValueStrategy(self.left_strategy)
        )
        object.__setattr__(
            self, "right_strategy", MissingValueStrategy(self.right_strategy)
        )


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    left: object
    right: object
    over_rows: bool
    over_columns: bool
    # Closures per (schema, row, column), built on first use.
    cache: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Violation:
    rule: str
    importance: Importance
    row: str | None
    column: int | None
    left: Decimal | str | None
    right: Decimal | str | None
    operator: Operator
    cells: tuple[Cell, ...]
    message: str


@dataclass(frozen=True)
class RuleProblem:
    """Something wrong with a rule itself, found without data."""

    rule: str
    side: str
    code: str
    message: str
    params: dict = field(default_factory=dict)


def _wildcards(node) -> tuple[bool, bool]:
    rows = columns = False
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Reference):
            rows |= item.rows is None
            columns |= item.columns is None
        elif isinstance(item, Unary):
            stack.append(item.operand)
        elif isinstance(item, Binary):
            stack.extend((item.left, item.right))
        elif isinstance(item, Call):
            stack.extend(item.arguments)
    return rows, columns


def compile_rule(rule: Rule) -> CompiledRule:
    """Parse both sides; raise RuleSyntaxError (with the side in ``params``)."""
    sides = []
    for side, text in (("left", rule.left), ("right", rule.right)):
        try:
            sides.append(parse(text))
        except RuleSyntaxError as error:
            error.params["side"] = side
            raise
    left_rows, left_columns = _wildcards(sides[0])
    right_rows, right_columns = _wildcards(sides[1])
    return CompiledRule(
        rule=rule,
        left=sides[0],
        right=sides[1],
        over_rows=left_rows or right_rows,
        over_columns=left_columns or right_columns,
    )


def _instances(compiled: CompiledRule, schema: FormSchema) -> list[Instance]:
    cached = compiled.cache.get(schema)
    if cached is None:
        cached = compiled.cache[schema] = _all_instances(compiled, schema)
    return cached


def _all_instances(compiled: CompiledRule, schema: FormSchema) -> list[Instance]:
    rows = schema.rows if compiled.over_rows else (None,)
    numeric = [c for c in schema.columns if c not in schema.text_columns]
    columns = numeric if compiled.over_columns else (None,)
    return [Instance(row=row, column=column) for row in rows for column in columns]


_SKIP = object()


@dataclass(frozen=True)
class _FastSide:
    value: object  # compiled closure: data -> value
    items: list
    cells: tuple  # every cell the side refers to at this instance
    strict: object  # closure raising Missing, for simple sides; else None


def _fast_sides(compiled: CompiledRule, schema: FormSchema, instance: Instance):
    key = (schema, instance.row, instance.column)
    cached = compiled.cache.get(key)
    if cached is None:
        compiler = Compiler(schema, instance)
        cached = tuple(
            _FastSide(
                compiler.compile(node),
                compile_items(node, schema, instance),
                side_cells(node, schema, instance),
                compile_strict(node, schema, instance),
            )
            for node in (compiled.left, compiled.right)
        )
        compiled.cache[key] = cached
    return cached


def _fast_value(side: _FastSide, strategy: MissingValueStrategy, data):
    if (
        side.strict is not None
        and strategy is MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING
    ):
        try:
            value = side.strict(data)
        except Missing:
            return _SKIP
        return _SKIP if value.is_nan() else value
    items, missing = count_missing(side.items, data)
    if strategy is MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING and missing:
        return _SKIP
    if (
        strategy is MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING
        and items
        and missing == items
    ):
        return _SKIP
    value = side.value(data)
    if isinstance(value, Decimal) and value.is_nan():
        return Decimal(0) if strategy is MissingValueStrategy.NEVER_SKIP else _SKIP
    return value


def _side(node, strategy: MissingValueStrategy, evaluator: Evaluator):
    items, missing = strategy_items(node, evaluator)
    if strategy is MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING and missing:
        return _SKIP, False
    if (
        strategy is MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING
        and items
        and missing == items
    ):
        return _SKIP, False
    all_missing = items > 0 and missing == items
    value = evaluator.value(node)
    if isinstance(value, Decimal) and value.is_nan():
        if strategy is MissingValueStrategy.NEVER_SKIP:
            return Decimal(0), True
        return _SKIP, False
    return value, all_missing


def _present(node, evaluator: Evaluator) -> bool:
    """For pairs: does this side hold a value at all?"""
    items, missing = strategy_items(node, evaluator)
    if items:
        return missing < items
    value = evaluator.value(node, missing_as_zero=False)
    return value is not None and not (isinstance(value, Decimal) and value.is_nan())


def check_instance(
    compiled: CompiledRule, schema: FormSchema, data: ReportData, instance: Instance
):
    """Check one instance; return a Violation or None (also when skipped)."""
    rule = compiled.rule
    if rule.operator in (Operator.COMPULSORY_PAIR, Operator.EXCLUSIVE_PAIR):
        evaluator = Evaluator(schema, data, instance)
        left_present = _present(compiled.left, evaluator)
        right_present = _present(compiled.right, evaluator)
        broken = (
            left_present != right_present
            if rule.operator is Operator.COMPULSORY_PAIR
            else (left_present and right_present)
        )
        if not broken:
            return None
        left = (
            evaluator.value(compiled.left, missing_as_zero=False)
            if left_present
            else None
        )
        right = (
            evaluator.value(compiled.right, missing_as_zero=False)
            if right_present
            else None
        )
        cells_read = evaluator.cells_read
    else:
        left_side, right_side = _fast_sides(compiled, schema, instance)
        left = _fast_value(left_side, rule.left_strategy, data)
        if left is _SKIP:
            return None
        right = _fast_value(right_side, rule.right_strategy, data)
        if right is _SKIP:
            return None
        if compare(left, rule.operator.value, right):
            return None
        cells_read = left_side.cells + right_side.cells
    cells = tuple(dict.fromkeys(cells_read))
    return Violation(
        rule=rule.code,
        importance=rule.importance,
        row=instance.row,
        column=instance.column,
        left=left,
        right=right,
        operator=rule.operator,
        cells=cells,
        message=fill_message(
            rule.message,
            left=left,
            right=right,
            row=instance.row,
            column=instance.column,
        ),
    )


def _plan(compiled: CompiledRule, schema: FormSchema) -> list:
    """Return [(instance, left side, right side, cells)] for ``schema``, compiled
    once."""
    key = ("plan", schema)
    plan = compiled.cache.get(key)
    if plan is None:
        plan = []
        for instance in _instances(compiled, schema):
            left, right = _fast_sides(compiled, schema, instance)
            cells = tuple(dict.fromkeys(left.cells + right.cells))
            plan.append((instance, left, right, cells))
        compiled.cache[key] = plan
    return plan


_OPERATORS = {
    "==": Decimal.__eq__,
    "!=": Decimal.__ne__,
    ">": Decimal.__gt__,
    ">=": Decimal.__ge__,
    "<": Decimal.__lt__,
    "<=": Decimal.__le__,
}


def run_rules(
    compiled_rules: Iterable[CompiledRule], schema: FormSchema, data: ReportData
) -> list[Violation]:
    """Check every rule at every instance; return every violation."""
    violations = []
    with decimal.localcontext(_CONTEXT):
        for compiled in compiled_rules:
            rule = compiled.rule
            if rule.operator in (Operator.COMPULSORY_PAIR, Operator.EXCLUSIVE_PAIR):
                for instance in _instances(compiled, schema):
                    violation = check_instance(compiled, schema, data, instance)
                    if violation is not None:
                        violations.append(violation)
                continue
            operator = rule.operator.value
            decimal_compare = _OPERATORS[operator]
            left_strategy, right_strategy = rule.left_strategy, rule.right_strategy
            for instance, left_side, right_side, cells in _plan(compiled, schema):
                left = _fast_value(left_side, left_strategy, data)
                if left is _SKIP:
                    continue
                right = _fast_value(right_side, right_strategy, data)
                if right is _SKIP:
                    continue
                if left.__class__ is Decimal and right.__class__ is Decimal:
                    if decimal_compare(left, right):
                        continue
                elif compare(left, operator, right):
                    continue
                violations.append(_violation(rule, instance, left, right, cells))
    return violations


def _violation(rule: Rule, instance: Instance, left, right, cells) -> Violation:
    return Violation(
        rule=rule.code,
        importance=rule.importance,
        row=instance.row,
        column=instance.column,
        left=left,
        right=right,
        operator=rule.operator,
        cells=cells,
        message=fill_message(
            rule.message,
            left=left,
            right=right,
            row=instance.row,
            column=instance.column,
        ),
    )


def format_value(value) -> str:
    if value is None:
        return "∅"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


class _Template(string.Formatter):
    def get_value(self, key, args, kwargs):
        return kwargs.get(key, "{" + str(key) + "}")


def fill_message(template: str, **values) -> str:
    """Fill ``{left}``, ``{right}``, ``{row}`` and ``{column}`` in a message; unknown
    placeholders stay as written, and a malformed template is returned unfilled."""
    if not template:
        return ""
    shown = {
        name: (
            format_value(value)
            if name in ("left", "right")
            else ("" if value is None else str(value))
        )
        for name, value in values.items()
    }
    try:
        return _Template().format(template, **shown)
    except (ValueError, IndexError, AttributeError):
        return template


# --- Checks without data, and explanations ------------------------------------------


def check_rule(
    rule: Rule, schema: FormSchema, known_forms: Iterable[str] = ()
) -> list[RuleProblem]:
    """Return what is wrong with ``rule`` for a form with ``schema``: syntax, unknown
    rows, columns and forms, text columns used as numbers."""
    try:
        compiled = compile_rule(rule)
    except RuleSyntaxError as error:
        return [
            RuleProblem(
                rule.code,
                error.params.get("side", ""),
                "syntax",
                error.message,
                error.params,
            )
        ]
    known = set(known_forms)
    problems = []
    for side, node in (("left", compiled.left), ("right", compiled.right)):
        for reference in _references(node):
            if reference.form is not None:
                if reference.form not in known:
                    problems.append(
                        RuleProblem(
                            rule.code,
                            side,
                            "unknown_form",
                            gettext_noop("There is no form %(form)s."),
                            {"form": reference.form},
                        )
                    )
                continue
            for row in reference.rows or ():
                if row is not None and row not in schema.rows:
                    problems.append(
                        RuleProblem(
                            rule.code,
                            side,
                            "unknown_row",
                            gettext_noop("The form has no row %(row)s."),
                            {"row": row},
                        )
                    )
            for column in reference.columns or ():
                if column is None:
                    continue
                if column not in schema.columns:
                    problems.append(
                        RuleProblem(
                            rule.code,
                            side,
                            "unknown_column",
                            gettext_noop("The form has no column %(column)d."),
                            {"column": column},
                        )
                    )
                elif column in schema.text_columns:
                    problems.append(
                        RuleProblem(
                            rule.code,
                            side,
                            "text_column",
                            gettext_noop("Column %(column)d holds text, not numbers."),
                            {"column": column},
                        )  # fmt: skip
                    )
    return problems


def _references(node) -> list[Reference]:
    found = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Reference):
            found.append(item)
        elif isinstance(item, Unary):
            stack.append(item.operand)
        elif isinstance(item, Binary):
            stack.extend((item.right, item.left))
        elif isinstance(item, Call):
            stack.extend(reversed(item.arguments))
    return found


@dataclass(frozen=True)
class Explanation:
    over_rows: bool
    over_columns: bool
    instances: int
    left_cells: tuple[Cell, ...]
    right_cells: tuple[Cell, ...]
    left_strategy: MissingValueStrategy
    right_strategy: MissingValueStrategy


def explain_rule(rule: Rule, schema: FormSchema) -> Explanation:
    """Say what a rule reads (at its first instance) and how it treats missing values."""
    compiled = compile_rule(rule)
    instances = _instances(compiled, schema)
    first = instances[0] if instances else Instance()
    sides = []
    for node in (compiled.left, compiled.right):
        evaluator = Evaluator(schema, {}, first)
        strategy_items(node, evaluator)
        sides.append(tuple(dict.fromkeys(evaluator.cells_read)))
    return Explanation(
        over_rows=compiled.over_rows,
        over_columns=compiled.over_columns,
        instances=len(instances),
        left_cells=sides[0],
        right_cells=sides[1],
        left_strategy=rule.left_strategy,
        right_strategy=rule.right_strategy,
    )
