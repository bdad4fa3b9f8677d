"""Measure a worksheet's used area from its XML, and find the cells the reader
needs told: formulas saved without a result and cells formatted as percentages.

Spreadsheet readers allocate the whole rectangle up to the last written cell, so
the extent is measured from the cells actually written, never from <dimension>.
A large sheet is read with ``sheet_scan`` (numpy, both cores); whatever those
facts leave in doubt is read with the regular expressions, and from there tag by
tag, as for any small sheet.
"""

from __future__ import annotations

import re

from imports.parsers.sheet_scan import SheetTokens, reference_extent, scan_tokens
from imports.parsers.xlsx_types import (
    EXCEL_MAX_COLUMNS,
    EXCEL_MAX_ROWS,
    Limits,
    SheetPart,
    UnsafeFile,
    gettext_noop,
)

_ATTRS = rb"""(?:[^>"']|"[^"]*"|'[^']*')*?"""
_PREFIX = rb"(?:[\w.-]+:)?"
_CELL_START = re.compile(rb"<" + _PREFIX + rb"c[\s/>]")
_FILLED_ROWS = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"[^>/]*>')
_FILLED_COLUMNS = re.compile(rb'<c r="([A-Z]{1,3})[0-9]{1,7}"[^>/]*>')
_EMPTY_CELLS = re.compile(rb'<c r="[A-Z]{1,3}[0-9]{1,7}"[^>/]*/>')
_PREFIXED_CELL = re.compile(rb"<[\w.-]+:c[\s/>]")
_FORMULA_WITHOUT_VALUE = re.compile(
    rb"<"
    + _PREFIX
    + rb"c\s("
    + _ATTRS
    + rb")>\s*<"
    + _PREFIX
    + rb"f\b"
    + _ATTRS
    + rb"(?:/>|>[^<]*</"
    + _PREFIX
    + rb"f>)\s*(?:<"
    + _PREFIX
    + rb"v\s*/>|<"
    + _PREFIX
    + rb"v>\s*</"
    + _PREFIX
    + rb"v>)?\s*</"
    + _PREFIX
    + rb"c>"
)
_REF_ATTRIBUTE = re.compile(rb"""\br\s*=\s*["']([A-Z]{1,3})([0-9]{1,7})["']""")
_STRING_RESULT = re.compile(rb"""\bt\s*=\s*["']str["']""")
_SHEET_TAG = re.compile(rb"<" + _PREFIX + rb"(row|c)\b(" + _ATTRS + rb")(/?)>")


def column_number(letters: bytes | str) -> int:
    """Return the 1-based number of column ``letters`` (A -> 1, AA -> 27)."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def scan_sheet(
    name: str,
    path: str,
    state: str,
    xml: bytes,
    percent_styles: set[int],
    limits: Limits,
) -> SheetPart:
    tokens = scan_tokens(xml) if len(xml) >= _SCAN_MIN_BYTES else None
    rows, columns = sheet_extent(xml, tokens)
    if (
        rows > EXCEL_MAX_ROWS
        or columns > EXCEL_MAX_COLUMNS
        or rows * columns > limits.max_sheet_cells
    ):
        raise UnsafeFile(
            "sheet_too_large",
            gettext_noop(
                "Sheet “%(sheet)s” has content out to row %(rows)d and column %(columns)d; a sheet may span at most %(max_cells)d cells. Delete what lies beyond the report and upload it again."
            ),
            sheet=name,
            rows=rows,
            columns=columns,
            max_cells=limits.max_sheet_cells,
        )
    return SheetPart(
        name=name,
        path=path,
        state=state,
        rows=rows,
        columns=columns,
        formulas_without_value=_formulas_without_value(
            xml, None if tokens is None else tokens.formula_marker
        ),
        percent_cells=_styled_cells(xml, percent_styles),
    )


def sheet_extent(xml: bytes, tokens: SheetTokens | None = None) -> tuple[int, int]:
    """Return the last row and column (1-based) of the cells written with content in
    a worksheet's XML; cells written as ``<c .../>`` are empty and do not count.

    The fast path reads cells written as Excel, LibreOffice and openpyxl write
    them (``<c r="B7" ...>``, the reference first); a sheet with any other cell
    tag (no reference, a namespace prefix, a "/" among the attributes) is walked
    tag by tag instead, placing cells without a reference by their position.
    ``tokens`` (``sheet_scan.scan_tokens`` of the same bytes) answers the byte
    searches in one pass; without it each is made on its own.
    """
    if tokens is None:
        cells = _cell_count(xml)
        prefixed = b":c" in xml
        may_hold_empty = None
    else:
        cells = tokens.cell_tags
        prefixed = tokens.prefixed_cell
        may_hold_empty = tokens.self_closing_in_data
    if prefixed and _PREFIXED_CELL.search(xml):
        return _positional_extent(xml)
    if may_hold_empty is None:
        may_hold_empty = _may_hold_empty_cells(xml)
    if not may_hold_empty and cells >= _VECTOR_MIN_CELLS:
        if tokens is None:
            found = _vector_extent(xml, cells)
        elif len(tokens.references) == cells:
            found = tokens.reference_extent
        else:
            found = None
        if found is not None:
            return found
    rows = _FILLED_ROWS.findall(xml)
    empty = len(_EMPTY_CELLS.findall(xml)) if may_hold_empty else 0
    if len(rows) + empty != cells:
        return _positional_extent(xml)
    if not rows:
        return 0, 0
    letters = set(_FILLED_COLUMNS.findall(xml))
    # Distinct values first: a sheet repeats a few columns and each row many times.
    return max(map(int, set(rows))), max(map(column_number, letters))


_VECTOR_MIN_CELLS = 10_000
_SCAN_MIN_BYTES = 1_000_000  # below this, the separate searches cost nothing
_CELL_OPENING = int.from_bytes(b"<c r", "little")


def _vector_extent(xml: bytes, cells: int) -> tuple[int, int] | None:
    """Return the extent of a large sheet none of whose tags close themselves (so
    every cell is filled), reading every ``<c r="XX123"`` reference at once with
    numpy; None unless each of the ``cells`` cell tags has such a reference and
    ``sheet_scan.reference_extent`` reads them all (the regular expressions then
    judge, as for any other sheet).
    """
    import numpy as np

    size = len(xml)
    data = np.frombuffer(xml, dtype=np.uint8)
    starts = []
    for offset in range(4):  # "<c r" at each alignment of 4-byte words
        words = np.frombuffer(
            xml, dtype="<u4", count=(size - offset) // 4, offset=offset
        )
        starts.append(np.flatnonzero(words == _CELL_OPENING) * 4 + offset)
    at = np.concatenate(starts)
    last = size - 1
    at = at[
        (data[np.minimum(at + 4, last)] == ord("="))
        & (data[np.minimum(at + 5, last)] == ord('"'))
    ]
    if len(at) != cells:
        return None
    return reference_extent(xml, at)


def _cell_count(xml: bytes) -> int:
    """Return how many cell tags ``xml`` holds, prefixed ones too."""
    referenced = xml.count(b'<c r="')
    if xml.count(b"<c") == referenced:
        return referenced  # no other tag starts with "c" (<color>, <col>, ...)
    return len(_CELL_START.findall(xml))


def _may_hold_empty_cells(xml: bytes) -> bool:
    """Return False when no tag closes itself within the sheet data, so no cell
    can be written empty (``<c r="B2" s="1"/>``)."""
    start = xml.find(b"sheetData")
    end = xml.rfind(b"sheetData")
    return start < 0 or xml.find(b"/>", start, end) >= 0


def _positional_extent(xml: bytes) -> tuple[int, int]:
    """Measure cells written without a reference by their position, as readers do."""
    last_row = last_column = row = column = 0
    for match in _SHEET_TAG.finditer(xml):
        tag, attributes, self_closing = match.groups()
        reference = _REF_ATTRIBUTE.search(attributes)
        if tag == b"row":
            found = re.search(rb"""\br\s*=\s*["']([0-9]{1,7})["']""", attributes)
            row = int(found.group(1)) if found else row + 1
            column = 0
            continue
        if reference is None:
            column += 1
        else:
            column = column_number(reference.group(1))
            row = int(reference.group(2))
        if not self_closing:
            last_row = max(last_row, row)
            last_column = max(last_column, column)
    return last_row, last_column


def _formulas_without_value(
    xml: bytes, marker: bool | None = None
) -> frozenset[tuple[int, int]]:
    """``marker``: whether "<f" or ":f" occurs (``SheetTokens.formula_marker``)."""
    if marker is None:
        marker = b"<f" in xml or b":f" in xml
    if not marker:
        return frozenset()
    found = set()
    for match in _FORMULA_WITHOUT_VALUE.finditer(xml):
        attributes = match.group(1)
        if _STRING_RESULT.search(attributes):
            continue  # an empty text result ("") is a saved result
        reference = _REF_ATTRIBUTE.search(attributes)
        if reference:
            found.add((int(reference.group(2)), column_number(reference.group(1))))
    return frozenset(found)


def _styled_cells(xml: bytes, styles: set[int]) -> frozenset[tuple[int, int]]:
    if not styles:
        return frozenset()
    alternatives = b"|".join(str(index).encode() for index in sorted(styles))
    pattern = re.compile(
        rb"<"
        + _PREFIX
        + rb"c\s("
        + _ATTRS
        + rb"""\bs\s*=\s*["'](?:"""
        + alternatives
        + rb""")["']"""
        + _ATTRS
        + rb")/?>"
    )
    found = set()
    for match in pattern.finditer(xml):
        reference = _REF_ATTRIBUTE.search(match.group(0))
        if reference:
            found.add((int(reference.group(2)), column_number(reference.group(1))))
    return frozenset(found)
