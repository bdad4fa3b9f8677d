"""The small formula language of form definitions.

Formulas are written the way the official annexes print them:

* column formula (applies to every coded row):   ``2 + 3 + 4``   (column numbers)
* row formula (applies to every numeric column): ``02 + 04 + 05`` (row codes)
* cell formula:                                   ``[02:3] + [04:3] * 2``

A range ``02..05`` (rows) or ``2..4`` (columns) means the sum of the rows or columns
from the first to the last in the order the form prints them. Arithmetic is ``+ - * /``
with parentheses and unary minus; in a cell formula plain numbers are constants. The
rule engine (validation/engine) adopts the same reference syntax.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation

from forms.definition.problems import Problem, gettext_noop


class FormulaKind(enum.StrEnum):
    COLUMN = "column"
    ROW = "row"
    CELL = "cell"


class FormulaError(ValueError):
    """A formula that cannot be parsed; ``problem`` says where and why."""

    def __init__(self, message: str, params: dict):
        super().__init__(message % params)
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Number:
    value: Decimal


@dataclass(frozen=True)
class Ref:
    """A reference; ``row`` None means "this row", ``column`` None "this column"."""

    row: str | None
    column: int | None


@dataclass(frozen=True)
class Range:
    """The sum of the rows (or columns) from ``start`` to ``end`` inclusive."""

    start: Ref
    end: Ref


@dataclass(frozen=True)
class Negate:
    operand: object


@dataclass(frozen=True)
class BinaryOp:
    operator: str
    left: object
    right: object


Node = Number | Ref | Range | Negate | BinaryOp

ROW_CODE = r"[0-9A-Za-z][0-9A-Za-z._\-]*?"
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<cell>\[\s*(?P<cell_row>[^\]:\s]+)\s*:\s*(?P<cell_col>\d+)\s*\])
      | (?P<range>(?P<range_start>[0-9A-Za-z][0-9A-Za-z._\-]*?)\.\.(?P<range_end>[0-9A-Za-z][0-9A-Za-z._\-]*))
      | (?P<word>[0-9A-Za-z][0-9A-Za-z._\-]*)
      | (?P<op>[-+*/()])
    )""",
    re.VERBOSE,
)
_CONSTANT = re.compile(r"\d+(\.\d+)?")


def _tokenize(text: str) -> list[tuple[str, object]]:
    tokens: list[tuple[str, object]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise FormulaError(
                gettext_noop("Unexpected character %(char)r at position %(position)d."),
                {"char": text[position], "position": position + 1},
            )
        position = match.end()
        if match.group("cell"):
            tokens.append(
                ("cell", (match.group("cell_row"), int(match.group("cell_col"))))
            )
        elif match.group("range"):
            tokens.append(
                ("range", (match.group("range_start"), match.group("range_end")))
            )
        elif match.group("word"):
            tokens.append(("word", match.group("word")))
        else:
            tokens.append(("op", match.group("op")))
    return tokens


class _Parser:
    def __init__(self, text: str, kind: FormulaKind):
        self.kind = kind
        self.tokens = _tokenize(text)
        self.index = 0
        if not self.tokens:
            raise FormulaError(gettext_noop("The formula is empty."), {})

    def peek(self):
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self):
        token = self.peek()
        self.index += 1
        return token

    def parse(self) -> Node:
        node = self.expression()
        if self.peek() is not None:
            raise FormulaError(
                gettext_noop("Unexpected %(token)r after the end of the formula."),
                {"token": _token_text(self.peek())},
            )
        return node

    def expression(self) -> Node:
        node = self.term()
        while self.peek() in (("op", "+"), ("op", "-")):
            operator = self.take()[1]
            node = BinaryOp(operator, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek() in (("op", "*"), ("op", "/")):
            operator = self.take()[1]
            node = BinaryOp(operator, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() == ("op", "-"):
            self.take()
            return Negate(self.unary())
        if self.peek() == ("op", "+"):
            self.take()
            return self.unary()
        return self.atom()

    def atom(self) -> Node:
        token = self.take()
        if token is None:
            raise FormulaError(gettext_noop("The formula ends too early."), {})
        kind, value = token
        if token == ("op", "("):
            node = self.expression()
            if self.take() != ("op", ")"):
                raise FormulaError(
                    gettext_noop("A closing parenthesis is missing."), {}
                )
            return node
        if kind == "op":
            raise FormulaError(gettext_noop("Unexpected %(token)r."), {"token": value})
        if kind == "cell":
            if self.kind is not FormulaKind.CELL:
                raise FormulaError(
                    gettext_noop(
                        "Cell references like %(token)s belong in cell formulas."
                    ),
                    {"token": _token_text(token)},
                )
            return Ref(row=value[0], column=value[1])
        if kind == "range":
            return Range(self.reference(value[0]), self.reference(value[1]))
        if self.kind is FormulaKind.CELL:
            if _CONSTANT.fullmatch(value):
                return Number(Decimal(value))
            raise FormulaError(
                gettext_noop("%(token)r is neither a number nor a cell like [01:2]."),
                {"token": value},
            )
        return self.reference(value)

    def reference(self, word: str) -> Ref:
        if self.kind is FormulaKind.COLUMN:
            if not word.isdigit():
                raise FormulaError(
                    gettext_noop("%(token)r is not a column number."), {"token": word}
                )
            return Ref(row=None, column=int(word))
        if self.kind is FormulaKind.ROW:
            return Ref(row=word, column=None)
        raise FormulaError(
            gettext_noop("Ranges are written with row codes or column numbers."), {}
        )


def _token_text(token) -> str:
    kind, value = token
    if kind == "cell":
        return f"[{value[0]}:{value[1]}]"
    if kind == "range":
        return f"{value[0]}..{value[1]}"
    return str(value)


def parse_formula(text: str, kind: FormulaKind) -> Node:
    """Parse ``text`` as a formula of ``kind``; raise FormulaError if it is not one."""
    return _Parser(text, kind).parse()


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def format_formula(node: Node, kind: FormulaKind) -> str:
    """Print ``node`` in the canonical notation of ``kind`` (parses back to ``node``)."""

    def ref_text(ref: Ref) -> str:
        if kind is FormulaKind.CELL:
            return f"[{ref.row}:{ref.column}]"
        return str(ref.column) if kind is FormulaKind.COLUMN else str(ref.row)

    def walk(item, parent_precedence=0, right_side=False) -> str:
        if isinstance(item, Number):
            return format(item.value, "f")
        if isinstance(item, Ref):
            return ref_text(item)
        if isinstance(item, Range):
            return f"{ref_text(item.start)}..{ref_text(item.end)}"
        if isinstance(item, Negate):
            return "-" + walk(item.operand, 3)
        precedence = _PRECEDENCE[item.operator]
        text = (
            f"{walk(item.left, precedence)} {item.operator} "
            f"{walk(item.right, precedence, right_side=True)}"
        )
        needs_parens = precedence < parent_precedence or (
            right_side and precedence == parent_precedence
        )
        return f"({text})" if needs_parens else text

    return walk(node)


def references(node: Node) -> list[Ref | Range]:
    """Return every reference and range in ``node``, left to right."""
    found: list[Ref | Range] = []

    def walk(item):
        if isinstance(item, Ref | Range):
            found.append(item)
        elif isinstance(item, Negate):
            walk(item.operand)
        elif isinstance(item, BinaryOp):
            walk(item.left)
            walk(item.right)

    walk(node)
    return found


def evaluate(node: Node, lookup) -> Decimal | None:
    """Evaluate ``node``; ``lookup(ref)`` returns a cell's value, a Range's list of
    values, or None when empty. Empty cells count as 0 (a total of blank parts is 0);
    a division by zero gives None."""

    def walk(item) -> Decimal:
        if isinstance(item, Number):
            return item.value
        if isinstance(item, Ref):
            value = lookup(item)
            return Decimal(0) if value is None else Decimal(value)
        if isinstance(item, Range):
            return sum((Decimal(v) for v in lookup(item) if v is not None), Decimal(0))
        if isinstance(item, Negate):
            return -walk(item.operand)
        left, right = walk(item.left), walk(item.right)
        if item.operator == "+":
            return left + right
        if item.operator == "-":
            return left - right
        if item.operator == "*":
            return left * right
        return left / right

    try:
        return walk(node)
    except (DivisionByZero, InvalidOperation, ZeroDivisionError):
        return None


def formula_problem(error: FormulaError, location: str) -> Problem:
    return Problem("formula_syntax", location, error.message, error.params)
