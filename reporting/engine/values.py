"""Parse what an officer types into a cell, in Vietnamese or plain notation.

The rule, documented for users (docs/data-entry.md):

* a comma is the decimal separator: ``1.234,5`` and ``1234,5`` are 1234.5;
* without a comma, a dot followed by groups of exactly three digits is a thousands
  separator (``1.234`` and ``1.234.567`` are whole numbers) unless the number starts
  with 0 (``0.250`` is a quarter); any other single dot is a decimal point
  (``1234.5``, ``0.25``);
* when both appear, the one that comes last is the decimal separator (``1,234.5`` is
  1234.5, as spreadsheets in English write it);
* spaces (also non-breaking) between digit groups are ignored, a leading ``-`` or a
  pair of parentheses makes a number negative, a trailing ``%`` is allowed in percent
  columns only;
* integer columns refuse decimals, and nothing may be NaN, infinite or absurdly large.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MAX_ABS_VALUE = Decimal("1e15")
MAX_DECIMAL_PLACES = 6

_SPACES = re.compile(r"[\s\u00a0\u202f]")
# A leading group never starts with 0: "0.250" is a quarter, not 250.
_GROUPED_DOTS = re.compile(r"[1-9]\d{0,2}(\.\d{3})+")
_GROUPED_COMMAS = re.compile(r"[1-9]\d{0,2}(,\d{3})+")
_PLAIN = re.compile(r"\d+(\.\d+)?|\.\d+")
# Numbers in their canonical (stored) form, as ``canonical_number`` writes them: a
# whole number below 1e15 without leading zeros; a decimal with a point and at most
# MAX_DECIMAL_PLACES places, the last one not zero.
CANONICAL_INTEGER = re.compile(r"-?[1-9][0-9]{0,14}|0")
CANONICAL_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]{0,14})\.[0-9]{0,5}[1-9]")


def gettext_noop(message: str) -> str:
    return message


class CellValueError(ValueError):
    def __init__(self, code: str, message: str, **params):
        super().__init__(message % params if params else message)
        self.code = code
        self.message = message
        self.params = params


def _to_plain(text: str) -> str:
    """Return ``text`` with ``.`` as the decimal point and no grouping."""
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        group_mark = "." if decimal_mark == "," else ","
        whole, _, fraction = text.rpartition(decimal_mark)
        if fraction and not fraction.isdigit():
            raise CellValueError(
                "not_a_number", gettext_noop("%(value)r is not a number."), value=text
            )
        grouped = _GROUPED_DOTS if group_mark == "." else _GROUPED_COMMAS
        if not (grouped.fullmatch(whole) or whole.isdigit()):
            raise CellValueError(
                "bad_grouping",
                gettext_noop("%(value)r mixes separators; write 1.234,5 (or 1234,5)."),
                value=text,
            )
        return whole.replace(group_mark, "") + "." + fraction
    if "," in text:
        if text.count(",") > 1:
            if _GROUPED_COMMAS.fullmatch(text):
                return text.replace(",", "")
            raise CellValueError(
                "bad_grouping",
                gettext_noop("%(value)r has more than one decimal comma."),
                value=text,
            )
        return text.replace(",", ".")
    if text.count(".") > 1 or _GROUPED_DOTS.fullmatch(text):
        if _GROUPED_DOTS.fullmatch(text):
            return text.replace(".", "")
        raise CellValueError(
            "bad_grouping",
            gettext_noop(
                "%(value)r: group thousands by three digits, as in 1.234.567."
            ),
            value=text,
        )
    return text


def parse_number(raw: str, *, data_type: str = "decimal") -> Decimal | None:
    """Return the number ``raw`` means, None for an empty cell; raise CellValueError."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = _SPACES.sub("", text)
    if not text:
        return None
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.startswith(("-", "−", "+")):
        negative = negative != (text[0] in "-−")
        text = text[1:]
    percent = text.endswith("%")
    if percent:
        if data_type != "percent":
            raise CellValueError(
                "percent_not_allowed",
                gettext_noop("A percent sign is allowed only in percent columns."),
            )
        text = text[:-1]
    if text.lower() in {"nan", "inf", "infinity"}:
        raise CellValueError(
            "not_finite", gettext_noop("%(value)r is not a number."), value=raw.strip()
        )
    plain = _to_plain(text)
    if not _PLAIN.fullmatch(plain):
        raise CellValueError(
            "not_a_number",
            gettext_noop("%(value)r is not a number."),
            value=raw.strip(),
        )
    try:
        value = Decimal(plain)
    except InvalidOperation:
        raise CellValueError(
            "not_a_number",
            gettext_noop("%(value)r is not a number."),
            value=raw.strip(),
        ) from None
    if negative:
        value = -value
    if abs(value) >= MAX_ABS_VALUE:
        raise CellValueError(
            "too_large",
            gettext_noop("%(value)r is too large for a report figure."),
            value=raw.strip(),
        )
    places = -value.as_tuple().exponent if value.as_tuple().exponent < 0 else 0
    if data_type == "integer" and places and value != value.to_integral_value():
        raise CellValueError(
            "not_whole",
            gettext_noop("This column takes whole numbers; %(value)r has decimals."),
            value=raw.strip(),
        )
    if data_type == "integer":
        return value.to_integral_value()
    if places > MAX_DECIMAL_PLACES:
        raise CellValueError(
            "too_many_places",
            gettext_noop("At most %(places)d decimal places."),
            places=MAX_DECIMAL_PLACES,
        )
    return value


def canonical_number(value: Decimal) -> str:
    """Return the canonical text of a stored number: plain, no exponent, no trailing
    zeros after the point ("1234.5", "-3", "0.25")."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def display_number(value: Decimal | str) -> str:
    """Return a stored number as officers read it: ``1.234,5`` (dot groups thousands,
    comma marks decimals), at most MAX_DECIMAL_PLACES places, rounded half up."""
    number = Decimal(value)
    places = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)
    if number.as_tuple().exponent < -MAX_DECIMAL_PLACES:
        number = number.quantize(places, rounding=ROUND_HALF_UP)
    text = canonical_number(number)
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    groups = []
    while len(whole) > 3:
        whole, group = whole[:-3], whole[-3:]
        groups.insert(0, group)
    grouped = ".".join([whole, *groups])
    return f"{sign}{grouped},{fraction}" if fraction else f"{sign}{grouped}"
