"""Turn what a spreadsheet cell holds into the canonical text a report stores.

The spreadsheet reader gives numbers as floats, text as str, dates as date or
datetime, TRUE/FALSE as bool. Each is read by the declared type of its form cell:

* numbers typed as numbers are taken as the spreadsheet shows them, to 15
  significant digits (what Excel keeps), so 0.1 + 0.2 is 0.3;
* numbers typed as text follow the rule of web entry (``reporting.engine.values``):
  a comma is the decimal mark, dots group thousands (``1.234,5``); when both marks
  appear the last one is the decimal mark (``1,234.5``); spaces are ignored; a
  trailing ``%`` only in percent columns;
* a number the spreadsheet shows as a percentage (25% is stored as 0.25) counts as
  25 in a percent column and is refused elsewhere, as it would be read 100 times
  too small;
* dates, Excel errors (#DIV/0!), NaN, infinities, and absurdly large figures are
  refused at their cell;
* text is stored in Unicode NFC; text that looks like the legacy TCVN3 (ABC) or VNI
  encodings ("Tæng sè" for "Tổng số") is kept and flagged.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from dataclasses import dataclass

from imports.parsers.problems import ImportProblem, Severity, gettext_noop, problem
from reporting.engine.values import (
    MAX_DECIMAL_PLACES,
    CellValueError,
    canonical_number,
    parse_number,
)

# What reporting.services accepts in one text cell.
MAX_TEXT_LENGTH = 2000
EXCEL_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!"}
)
TRUE_WORDS = frozenset({"có", "co", "x", "1", "yes", "true"})
FALSE_WORDS = frozenset({"không", "khong", "0", "no", "false"})
# The export escapes text that a spreadsheet would take for a formula with a leading
# apostrophe; reading it back removes it again.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\x00")

_MAX_WHOLE_FLOAT = 1e15
_FRACTION_TYPES = frozenset({"decimal", "percent"})
MAX_WHOLE_FLOAT = _MAX_WHOLE_FLOAT  # whole floats below it are read exactly

# Characters the legacy 8-bit Vietnamese fonts use for accented letters and that
# Vietnamese written in Unicode never contains: µ ¸ ¶ · ¹ ¨ » ¾ ¼ ½ Æ Ç Ë ® Ð Î Ï
# Ñ Ö × Ø Ü Þ ß ä å æ ç ¬ ë î ï ñ ö ÷ û ü þ ¡ ¢ £ ¤ ¥ ¦ § © ª « ø (TCVN3, VNI).
_LEGACY_MARKS = frozenset("µ¸¶·¹¨»¾¼½ÆÇËÐÎÏÑÖ×ØÜÞßäåæç¬ëîïñö÷ûüþ¡¢£¤¥¦§©ª«ø®\xad")
_VIETNAMESE_ONLY = re.compile(r"[ăđơưĂĐƠƯ\u1ea0-\u1ef9]")


@dataclass(frozen=True)
class Converted:
    """A cell's canonical value (None for an empty cell) and what was noticed."""

    value: str | None
    problem: ImportProblem | None = None

    @property
    def rejected(self) -> bool:
        return self.problem is not None and self.problem.is_error


EMPTY = Converted(None)


def convert_cell(raw, data_type: str, *, percent_format: bool = False) -> Converted:
    """Return the canonical value of ``raw`` in a cell of ``data_type``."""
    if raw is None or raw == "":
        return EMPTY
    if isinstance(raw, bool):
        return _from_bool(raw, data_type)
    if isinstance(raw, int | float):
        return _from_number(raw, data_type, percent_format=percent_format)
    if isinstance(raw, datetime.date | datetime.time | datetime.timedelta):
        return _from_date(raw, data_type)
    return _from_text(str(raw), data_type)


def _refused(code: str, message: str, raw, **params) -> Converted:
    return Converted(None, problem(code, message, cell_value=raw, **params))


def _from_bool(raw: bool, data_type: str) -> Converted:
    if data_type == "boolean":
        return Converted("1" if raw else "0")
    if data_type == "text":
        return Converted("TRUE" if raw else "FALSE")
    return _refused(
        "not_a_number",
        gettext_noop("%(value)r is not a number."),
        raw,
        value=str(raw).upper(),
    )


def _from_number(raw: float, data_type: str, *, percent_format: bool) -> Converted:
    if isinstance(raw, float) and not math.isfinite(raw):
        return _refused(
            "not_finite",
            gettext_noop("%(value)r is not a number."),
            raw,
            value=str(raw),
        )
    if percent_format:
        if data_type != "percent":
            return _refused(
                "percent_format",
                gettext_noop(
                    "The cell shows a percentage (%(shown)s%%) but the column does not take percentages: type the figure itself, without %%."
                ),
                raw,
                shown=_plain(raw * 100),
            )
        raw = raw * 100
    if data_type == "text":
        return Converted(_plain(raw))
    if data_type == "boolean":
        if raw in (0, 1):
            return Converted(str(int(raw)))
        return _refused(
            "not_yes_no", gettext_noop("Write Có or Không."), raw, value=_plain(raw)
        )
    if (isinstance(raw, int) or raw.is_integer()) and abs(raw) < _MAX_WHOLE_FLOAT:
        return Converted(str(int(raw)))
    if data_type in _FRACTION_TYPES and abs(raw) < _MAX_WHOLE_FLOAT:
        # A fraction in a column that takes them, the common case: the plain text
        # ``_parsed`` would store, without parsing it back (a fraction needs no
        # grouping, and a fraction the spreadsheet shows in scientific notation or
        # with too many places takes the long way to its message).
        text = format(raw, ".15g")  # no trailing zeros
        point = text.find(".")
        if "e" not in text and 0 < point >= len(text) - 1 - MAX_DECIMAL_PLACES:
            return Converted(text)
    # Through the typed-number rule with a decimal comma, so a stored 1.234 is never
    # mistaken for one thousand two hundred and thirty-four.
    return _parsed(_plain(raw).replace(".", ","), data_type, raw)


def _plain(number: float) -> str:
    """Return ``number`` as a spreadsheet shows it: 15 significant digits, no exponent."""
    if isinstance(number, int):
        return str(number)
    text = format(number, ".15g")
    if "e" in text:
        from decimal import Decimal

        text = format(Decimal(text), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def _parsed(text: str, data_type: str, raw) -> Converted:
    try:
        number = parse_number(text, data_type=data_type)
    except CellValueError as error:
        return Converted(
            None,
            problem(error.code, error.message, cell_value=raw, **error.params),
        )
    return Converted(None if number is None else canonical_number(number))


def _from_date(raw, data_type: str) -> Converted:
    shown = raw.strftime("%d/%m/%Y") if isinstance(raw, datetime.date) else str(raw)
    if data_type == "text":
        return Converted(shown)
    return _refused(
        "date_in_number_cell",
        gettext_noop(
            "The cell holds a date (%(value)s), not a number: the spreadsheet formatted it as a date. Format the cell as a number and type the figure again."
        ),
        shown,
        value=shown,
    )


def _from_text(raw: str, data_type: str) -> Converted:
    text = unicodedata.normalize("NFC", raw).replace("\x00", "").strip()
    if not text:
        return EMPTY
    if text in EXCEL_ERRORS:
        return _refused(
            "excel_error",
            gettext_noop(
                "The cell shows the spreadsheet error %(value)s instead of a value."
            ),
            text,
            value=text,
        )
    if data_type == "text":
        if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
            text = text[1:]
        if len(text) > MAX_TEXT_LENGTH:
            return _refused(
                "text_too_long",
                gettext_noop("At most %(max)d characters."),
                text,
                max=MAX_TEXT_LENGTH,
            )
        if looks_legacy_encoded(text):
            return Converted(
                text,
                problem(
                    "legacy_encoding",
                    gettext_noop(
                        "“%(value)s” looks typed in an old Vietnamese font encoding (TCVN3/ABC or VNI), not Unicode; it was kept as it is. Convert the text to Unicode (for example with Unikey's converter) and upload again."
                    ),
                    severity=Severity.WARNING,
                    value=text,
                ),
            )
        return Converted(text)
    if data_type == "boolean":
        truth = text.casefold()
        if truth in TRUE_WORDS:
            return Converted("1")
        if truth in FALSE_WORDS:
            return Converted("0")
        return _refused("not_yes_no", gettext_noop("Write Có or Không."), text)
    return _parsed(text, data_type, text)


def looks_legacy_encoded(text: str) -> bool:
    """Return whether ``text`` looks like Vietnamese in TCVN3 or VNI read as Unicode:
    a legacy mark right after a letter, and none of the letters only Unicode
    Vietnamese has."""
    if _VIETNAMESE_ONLY.search(text):
        return False
    return any(
        char in _LEGACY_MARKS and index > 0 and text[index - 1].isalpha()
        for index, char in enumerate(text)
    )
