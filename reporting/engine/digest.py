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


# Cells in canonical order and a format string of their lines, by the cells as a
# values dict lists them: the reports of one save or import list the same cells
# in the same order, so each order is sorted once.
_ORDERS: dict[tuple[str, ...], tuple[tuple[str, ...], str]] = {}
_MAX_ORDERS = 256


def _order(cells: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    order = _ORDERS.get(cells)
    if order is None:
        if len(_ORDERS) >= _MAX_ORDERS:
            _ORDERS.clear()
        ordered = tuple(sorted(cells, key=_sort_key))
        lines = "".join(
            _cell(cell)[1].replace("{", "{{").replace("}", "}}") + "{}\n"
            for cell in ordered
        )
        order = _ORDERS[cells] = (ordered, lines)
    return order


def canonical_values(
    values: dict[str, str], *, form_code: str, version: int, unit_code: str, period: str
) -> bytes:
    """Return the canonical bytes of ``values`` ({"01:2": "1234.5", ...})."""
    header = (
        f"{FORMAT}\t{_escape(form_code)}\t{version}\t{_escape(unit_code)}\t{period}\n"
    )
    texts = values.values()
    if None in texts or "" in texts:
        values = {cell: text for cell, text in values.items() if text not in (None, "")}
    ordered, lines = _order(tuple(values))
    texts = list(map(values.__getitem__, ordered))
    if not _PLAIN.fullmatch("".join(texts)):  # numbers and codes need no escapes
        texts = list(map(_escape, texts))
    return (header + lines.format(*texts)).encode()


def values_digest(values: dict[str, str], **header) -> str:
    """Return the hex SHA-256 of the canonical form of ``values``."""
    return hashlib.sha256(canonical_values(values, **header)).hexdigest()
