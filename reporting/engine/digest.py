"""The canonical form of a report's values and its SHA-256 digest.

Canonical form (documented in docs/data-entry.md, so anyone holding a receipt can
recompute it): one line per non-empty cell, sorted by row code then column number, each
``<row code>\\t<column number>\\t<value>\\n``; numbers in plain notation with ``.`` as
decimal point and no trailing zeros, text in Unicode NFC with tabs, carriage returns and
line feeds escaped as ``\\t``, ``\\r``, ``\\n`` and backslashes as ``\\\\``; encoded as
UTF-8. The header line ``ebaocao-values/1\\t<form code>\\t<version>\\t<unit code>\\t
<period>\\n`` comes first.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

FORMAT = "ebaocao-values/1"


_PLAIN = re.compile(r"[-.0-9A-Za-z]*")  # needs neither normalizing nor escapes


def _escape(text: str) -> str:
    if _PLAIN.fullmatch(text):
        return text
    text = unicodedata.normalize("NFC", text)
    return (
        text.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\r", "\\r")
        .replace("\n", "\\n")
    )


@functools.lru_cache(maxsize=65_536)
def _cell(cell: str) -> tuple[tuple[str, int], str]:
    """Return the sort key of ``cell`` ("01:2") and the start of its line; the
    same cells recur in every report of a form, so each is split once."""
    row, _, column = cell.rpartition(":")
    return (row, int(column)), f"{_escape(row)}\t{int(column)}\t"


def _sort_key(cell: str):
    return _cell(cell)[0]


def canonical_values(
    values: dict[str, str], *, form_code: str, version: int, unit_code: str, period: str
) -> bytes:
    """Return the canonical bytes of ``values`` ({"01:2": "1234.5", ...})."""
    lines = [
        f"{FORMAT}\t{_escape(form_code)}\t{version}\t{_escape(unit_code)}\t{period}\n"
    ]
    for cell in sorted(
        (c for c, v in values.items() if v not in (None, "")), key=_sort_key
    ):
        lines.append(f"{_cell(cell)[1]}{_escape(values[cell])}\n")
    return "".join(lines).encode("utf-8")


def values_digest(values: dict[str, str], **header) -> str:
    """Return the hex SHA-256 of the canonical form of ``values``."""
    return hashlib.sha256(canonical_values(values, **header)).hexdigest()
