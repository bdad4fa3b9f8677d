"""One pass over a worksheet's XML for every byte-level fact the safety scan needs.

``xlsx_safety`` measures a sheet's used area and looks for formulas saved without
a result; on a large sheet (a bulk long table is ~100 MB of XML) each separate
search for a two-byte marker such as ``<f`` costs a full pass. ``scan_tokens``
reads the bytes once, a few MB at a time with numpy, and returns what those
searches would have found: the cell tags, where the ``<c r="`` references start,
and whether the markers of prefixed tags, formulas and self-closing tags occur.

It only answers questions; ``xlsx_safety`` still decides, and falls back to its
careful tag-by-tag reading whenever the facts found here leave any doubt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHUNK = 8 * 1024 * 1024
_LOOKAHEAD = 8  # bytes past a chunk a marker may need ('<c r="' is 6)
_TERMINATORS = np.frombuffer(b" \t\n\r\x0b\x0c/>", dtype=np.uint8)
LT, SLASH, COLON, GT = (ord(char) for char in "</:>")
LETTER_C, LETTER_F = ord("c"), ord("f")
_REFERENCE_TAIL = np.frombuffer(b' r="', dtype=np.uint8)


@dataclass(frozen=True)
class SheetTokens:
    cell_tags: int  # "<c" followed by whitespace, "/" or ">"
    references: np.ndarray  # offsets of each '<c r="'
    prefixed_cell: bool  # ":c" followed by whitespace, "/" or ">" somewhere
    formula_marker: bool  # "<f" or ":f" somewhere
    self_closing_in_data: bool  # "/>" between the first and last "sheetData"


def scan_tokens(xml: bytes, chunk: int = CHUNK) -> SheetTokens:
    """Return the byte-level facts of a worksheet's XML in one chunked pass."""
    size = len(xml)
    data = np.frombuffer(xml, dtype=np.uint8)
    data_start = xml.find(b"sheetData")
    data_end = xml.rfind(b"sheetData")
    cell_tags = 0
    references = []
    prefixed = formula = False
    self_closing = data_start < 0  # no sheet data: judged tag by tag
    for start in range(0, size, chunk):
        starts = min(chunk, size - start)
        window = data[start : start + starts + _LOOKAHEAD]
        if len(window) < starts + _LOOKAHEAD:  # the end of the part
            window = np.concatenate(
                [window, np.zeros(starts + _LOOKAHEAD - len(window), np.uint8)]
            )
        first, second = window[:starts], window[1 : starts + 1]
        opening = first == LT
        colon = first == COLON
        second_c = second == LETTER_C
        second_f = second == LETTER_F
        if not formula:
            formula = bool(((opening | colon) & second_f).any())
        at = np.flatnonzero(opening & second_c)
        third = window[at + 2]
        at = at[np.isin(third, _TERMINATORS)]
        cell_tags += len(at)
        tail = np.stack([window[at + offset] for offset in range(2, 6)], axis=1)
        references.append(at[(tail == _REFERENCE_TAIL).all(axis=1)] + start)
        if not prefixed:
            colons = np.flatnonzero(colon & second_c)
            prefixed = bool(np.isin(window[colons + 2], _TERMINATORS).any())
        if not self_closing:
            low, high = max(data_start - start, 0), min(data_end - start, starts)
            if low < high:
                closing = (first[low:high] == SLASH) & (second[low:high] == GT)
                self_closing = bool(closing.any())
    return SheetTokens(
        cell_tags=cell_tags,
        references=(
            np.concatenate(references) if references else np.zeros(0, np.int64)
        ),
        prefixed_cell=prefixed,
        formula_marker=formula,
        self_closing_in_data=self_closing,
    )
