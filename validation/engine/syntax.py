"""The rule language: tokens, syntax tree and a Pratt parser. Never Python's eval.

Grammar (docs/validation-rules.md has it with examples from real forms)::

    expression := or
    or         := and ("||" and)*
    and        := not ("&&" not)*
    not        := "!" not | comparison
    comparison := sum (("==" | "!=" | ">" | ">=" | "<" | "<=") sum)?
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/" | "%") unary)*
    unary      := "-" unary | "+" unary | power     -- unary minus binds looser than ^
    power      := atom ("^" unary)?                 -- right-associative
    atom       := NUMBER | "true" | "false" | reference | NAME "(" arguments ")"
                | "(" expression ")"
    reference  := "[" [FORM "|"] rows ":" columns "]"
    rows       := CODE | CODE ".." CODE | "*"
    columns    := NUMBER | NUMBER ".." NUMBER | "*"

A reference names cells by row code and column number: ``[01:2]``; a range sums:
``[02..05:2]``; ``*`` means "the same row (or column) as the cell being checked", so
``[*:1] == [*:2] + [*:3]`` is one rule over every row. ``[0604.N/BNV-TĐKT|01:1]`` is a
cell of another form of the same unit and period. ``previous(x)``, ``lastYear(x)`` and
``children(x)`` read a reference in the previous period, the same period last year, and
summed over the approved reports of the units directly below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

# --- Syntax tree -------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    value: Decimal


@dataclass(frozen=True)
class Boolean:
    value: bool


@dataclass(frozen=True)
class Reference:
    """Cells of a form: ``rows``/``columns`` are (first, last) with last None for a
    single one, or None for "the row/column being checked" (``*``)."""

    rows: tuple[str, str | None] | None
    columns: tuple[int, int | None] | None
    form: str | None = None


@dataclass(frozen=True)
class Unary:
    operator: str  # "-", "+" or "!"
    operand: object


@dataclass(frozen=True)
class Binary:
    operator: str
    left: object
    right: object


@dataclass(frozen=True)
class Call:
    name: str
    arguments: tuple


Node = Number | Boolean | Reference | Unary | Binary | Call

FUNCTIONS = {
    # name: (minimum arguments, maximum arguments or None)
    "if": (3, 3),
    "isNull": (1, 1),
    "isNotNull": (1, 1),
    "firstNonNull": (1, None),
    "greatest": (1, None),
    "least": (1, None),
    "removeZeros": (1, 1),
    "abs": (1, 1),
    "round": (1, 2),
    "log": (1, 2),
    "log10": (1, 1),
    "previous": (1, 1),
    "lastYear": (1, 1),
    "children": (1, 1),
}
# Functions whose argument must be a reference (they read data, not numbers).
DATA_FUNCTIONS = {"previous", "lastYear", "children"}
COMPARISONS = ("==", "!=", ">=", "<=", ">", "<")


class RuleSyntaxError(ValueError):
    """Text that is not a rule expression; ``position`` is 1-based."""

    def __init__(self, message: str, position: int, **params):
        self.message = message
        self.position = position
        self.params = {"position": position, **params}
        super().__init__(message % self.params)


def gettext_noop(message: str) -> str:
    return message


# --- Tokens ------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<reference>\[[^\[\]]*\])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<operator>&&|\|\||==|!=|>=|<=|[-+*/%^<>!(),])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int


def tokenize(text: str) -> list[Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise RuleSyntaxError(
                gettext_noop("Unexpected character %(char)r at position %(position)d."),
                position + 1,
                char=text[position],
            )
        if match.lastgroup != "space":
            tokens.append(Token(match.lastgroup, match.group(), position + 1))
        position = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


_ROW = r"[0-9A-Za-z][0-9A-Za-z._\-]*?"
_REFERENCE_BODY = re.compile(
    rf"""\s*(?:(?P<form>[^|\[\]]+?)\s*\|\s*)?
    (?P<rows>\*|(?P<row_first>{_ROW})(?:\.\.(?P<row_last>{_ROW}))?)
    \s*:\s*
    (?P<columns>\*|(?P<col_first>\d+)(?:\.\.(?P<col_last>\d+))?)\s*""",
    re.VERBOSE,
)


def parse_reference(token: Token) -> Reference:
    body = token.text[1:-1]
    match = _REFERENCE_BODY.fullmatch(body)
    if match is None:
        raise RuleSyntaxError(
            gettext_noop(
                "%(reference)s is not a cell reference like [01:2], [02..05:2] or [*:1] (position %(position)d)."
            ),
            token.position,
            reference=token.text,
        )
    rows = None if match["rows"] == "*" else (match["row_first"], match["row_last"])
    columns = (
        None
        if match["columns"] == "*"
        else (
            int(match["col_first"]),
            int(match["col_last"]) if match["col_last"] else None,
        )
    )
    form = match["form"].strip() if match["form"] else None
    return Reference(rows=rows, columns=columns, form=form)


# --- Parser ------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.current
        self.index += 1
        return token

    def accept(self, *texts: str) -> Token | None:
        if self.current.kind == "operator" and self.current.text in texts:
            return self.advance()
        return None

    def expect(self, text: str) -> Token:
        token = self.accept(text)
        if token is None:
            raise RuleSyntaxError(
                gettext_noop(
                    "Expected %(expected)r at position %(position)d, found %(found)r."
                ),
                self.current.position,
                expected=text,
                found=self.current.text or "end",
            )
        return token

    def parse(self) -> Node:
        if self.current.kind == "end":
            raise RuleSyntaxError(gettext_noop("The expression is empty."), 1)
        node = self.logical_or()
        if self.current.kind != "end":
            raise RuleSyntaxError(
                gettext_noop("Unexpected %(found)r at position %(position)d."),
                self.current.position,
                found=self.current.text,
            )
        return node

    def logical_or(self) -> Node:
        node = self.logical_and()
        while self.accept("||"):
            node = Binary("||", node, self.logical_and())
        return node

    def logical_and(self) -> Node:
        node = self.logical_not()
        while self.accept("&&"):
            node = Binary("&&", node, self.logical_not())
        return node

    def logical_not(self) -> Node:
        if self.accept("!"):
            return Unary("!", self.logical_not())
        return self.comparison()

    def comparison(self) -> Node:
        node = self.sum()
        token = self.accept(*COMPARISONS)
        if token:
            node = Binary(token.text, node, self.sum())
            if self.current.kind == "operator" and self.current.text in COMPARISONS:
                raise RuleSyntaxError(
                    gettext_noop(
                        "Comparisons cannot be chained (position %(position)d); use && between them."
                    ),
                    self.current.position,
                )
        return node

    def sum(self) -> Node:
        node = self.product()
        while token := self.accept("+", "-"):
            node = Binary(token.text, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while token := self.accept("*", "/", "%"):
            node = Binary(token.text, node, self.unary())
        return node

    def unary(self) -> Node:
        if token := self.accept("-", "+"):
            return Unary(token.text, self.unary())
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.accept("^"):
            return Binary("^", base, self.unary())
        return base

    def atom(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.advance()
            return Number(Decimal(token.text))
        if token.kind == "reference":
            self.advance()
            return parse_reference(token)
        if token.kind == "name":
            self.advance()
            if token.text in ("true", "false"):
                return Boolean(token.text == "true")
            return self.call(token)
        if self.accept("("):
            node = self.logical_or()
            self.expect(")")
            return node
        raise RuleSyntaxError(
            gettext_noop(
                "Expected a number, a cell like [01:2] or a function at position %(position)d, found %(found)r."
            ),
            token.position,
            found=token.text or "end",
        )

    def call(self, name: Token) -> Call:
        if name.text not in FUNCTIONS:
            raise RuleSyntaxError(
                gettext_noop("Unknown function %(name)r at position %(position)d."),
                name.position,
                name=name.text,
            )
        self.expect("(")
        arguments = []
        if not self.accept(")"):
            arguments.append(self.logical_or())
            while self.accept(","):
                arguments.append(self.logical_or())
            self.expect(")")
        low, high = FUNCTIONS[name.text]
        if len(arguments) < low or (high is not None and len(arguments) > high):
            raise RuleSyntaxError(
                gettext_noop(
                    "%(name)s takes %(expected)s arguments, not %(count)d (position %(position)d)."
                ),
                name.position,
                name=name.text,
                expected=str(low) if low == high else f"{low}–{high or '…'}",
                count=len(arguments),
            )
        if name.text in DATA_FUNCTIONS and not isinstance(arguments[0], Reference):
            raise RuleSyntaxError(
                gettext_noop(
                    "%(name)s reads cells: give it a reference like [01:2] (position %(position)d)."
                ),
                name.position,
                name=name.text,
            )
        return Call(name.text, tuple(arguments))


def parse(text: str) -> Node:
    """Parse a rule expression; raise RuleSyntaxError with the position if it is not."""
    return _Parser(text).parse()


# --- Printing ----------------------------------------------------------------------

_BINDING = {"||": 1, "&&": 2, "==": 4, "!=": 4, ">": 4, ">=": 4, "<": 4, "<=": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}  # fmt: skip


def format_reference(reference: Reference) -> str:
    rows = "*" if reference.rows is None else (
        reference.rows[0] if reference.rows[1] is None else f"{reference.rows[0]}..{reference.rows[1]}"
    )  # fmt: skip
    columns = "*" if reference.columns is None else (
        str(reference.columns[0]) if reference.columns[1] is None
        else f"{reference.columns[0]}..{reference.columns[1]}"
    )  # fmt: skip
    prefix = f"{reference.form}|" if reference.form else ""
    return f"[{prefix}{rows}:{columns}]"


def to_text(node: Node) -> str:
    """Print ``node`` canonically; ``parse(to_text(node)) == node``."""
    return _print(node, 0)


def _print(node, context: int) -> str:
    if isinstance(node, Number):
        return format(node.value, "f")
    if isinstance(node, Boolean):
        return "true" if node.value else "false"
    if isinstance(node, Reference):
        return format_reference(node)
    if isinstance(node, Call):
        return f"{node.name}({', '.join(_print(argument, 0) for argument in node.arguments)})"
    if isinstance(node, Unary):
        if node.operator == "!":
            text = "!" + _print(node.operand, 3)
            return f"({text})" if context > 3 else text
        text = node.operator + _print(node.operand, 7)
        return f"({text})" if context > 7 else text
    if node.operator == "^":
        # The base binds tighter than unary minus; the exponent is a unary.
        text = f"{_print(node.left, 9)} ^ {_print(node.right, 7)}"
        return f"({text})" if context > 8 else text
    binding = _BINDING[node.operator]
    if binding == 4:
        text = f"{_print(node.left, 5)} {node.operator} {_print(node.right, 5)}"
    else:
        text = f"{_print(node.left, binding)} {node.operator} {_print(node.right, binding + 1)}"
    return f"({text})" if context > binding else text
