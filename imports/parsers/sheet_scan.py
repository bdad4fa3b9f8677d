"""One pass over a worksheet's XML for every byte-level fact the safety scan needs.

``sheet_measure`` measures a sheet's used area and looks for formulas saved without
a result; on a large sheet (a bulk long table is ~100 MB of XML) each separate
search for a two-byte marker such as ``<f`` costs a full pass. ``scan_tokens``
reads the bytes once, a megabyte at a time with numpy (small enough to stay
in the processor's cache across the searches), and returns what those searches
would have found: the cell tags, where the ``<c r="`` references start, whether
the markers of prefixed tags, formulas and self-closing tags occur, and the
largest row and column those references name.

A large sheet is cut in two at its middle and the halves are scanned in two
threads: numpy releases the interpreter lock while it compares and gathers, so
both cores work. Each half reads a few bytes past its end (as each chunk does) so
that no marker is lost at the cut, and the halves' facts are merged: counts add,
offsets are absolute, flags and extents combine.

It only answers questions; ``sheet_measure`` still decides, and falls back to its
careful tag-by-tag reading whenever the facts found here leave any doubt.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

CHUNK = 1024 * 1024
PARALLEL_MIN_BYTES = 4 * 1024 * 1024  # below this, a second thread does not pay
_LOOKAHEAD = 8  # bytes past a chunk a marker may need ('<c r="' is 6)
_TERMINATOR = np.zeros(256, dtype=bool)
_TERMINATOR[list(b" \t\n\r\x0b\x0c/>")] = True
LT, SLASH, COLON, GT = (ord(char) for char in "</:>")
LETTER_C, LETTER_F = ord("c"), ord("f")
_REFERENCE_TAIL = int.from_bytes(b' r="', "little")
REFERENCE_START = 6  # len('<c r="')
# A reference is read from at most 12 bytes after '<c r="' (3 letters, 7 digits, the
# closing quote, one more); one whose bytes run past the end of the part is unread.
REFERENCE_REACH = REFERENCE_START + 12
# The number of trailing one bits of each byte: the leading digits of a reference.
_TRAILING_ONES = np.array(
    [(value ^ (value + 1)).bit_length() - 1 for value in range(256)], dtype=np.uint8
)

# Multiplying eight 0/1 bytes by this gathers them, in order, into the top byte.
_GATHER_BITS = 0x0102040810204080


@dataclass(frozen=True)
class SheetTokens:
    cell_tags: int  # "<c" followed by whitespace, "/" or ">"
    references: np.ndarray  # offsets of each '<c r="'
    prefixed_cell: bool  # ":c" followed by whitespace, "/" or ">" somewhere
    formula_marker: bool  # "<f" or ":f" somewhere
    self_closing_in_data: bool  # "/>" between the first and last "sheetData"
    # The largest row and column the references name (``reference_extent``), or
    # None if one of them is not a plain reference.
    reference_extent: tuple[int, int] | None = None


@dataclass
class _Segment:
    """What the scan of one part of the XML found."""

    self_closing: bool
    cell_tags: int = 0
    references: list = field(default_factory=list)
    prefixed: bool = False
    formula: bool = False
    readable: bool = True
    rows: int = 0
    columns: int = 0


def scan_tokens(
    xml: bytes, chunk: int = CHUNK, *, cuts: tuple[int, ...] | None = None
) -> SheetTokens:
    """Return the byte-level facts of a worksheet's XML in one chunked pass.

    ``cuts``: the offsets where the XML is cut between threads; by default its
    middle when it is large enough, else none.
    """
    size = len(xml)
    if cuts is None:
        cuts = (size // 2,) if size >= PARALLEL_MIN_BYTES else ()
    bounds = [0, *sorted({cut for cut in cuts if 0 < cut < size}), size]
    segments = list(zip(bounds, bounds[1:], strict=False)) if size else []
    data = np.frombuffer(xml, dtype=np.uint8)
    sheet_data = (xml.find(b"sheetData"), xml.rfind(b"sheetData"))

    def scan(segment):
        return _scan_segment(xml, data, *segment, chunk, sheet_data)

    if len(segments) > 1:
        with ThreadPoolExecutor(max_workers=len(segments) - 1) as pool:
            later = pool.map(scan, segments[1:])
            found = [scan(segments[0]), *later]
    else:
        found = [scan(segment) for segment in segments]
    references = [offsets for part in found for offsets in part.references]
    readable = all(part.readable for part in found)
    return SheetTokens(
        cell_tags=sum(part.cell_tags for part in found),
        references=(
            np.concatenate(references) if references else np.zeros(0, np.int64)
        ),
        prefixed_cell=any(part.prefixed for part in found),
        formula_marker=any(part.formula for part in found),
        self_closing_in_data=sheet_data[0] < 0
        or any(part.self_closing for part in found),
        reference_extent=(
            (
                max((part.rows for part in found), default=0),
                max((part.columns for part in found), default=0),
            )
            if readable
            else None
        ),
    )


def _scan_segment(
    xml: bytes,
    data: np.ndarray,
    low: int,
    high: int,
    chunk: int,
    sheet_data: tuple[int, int],
) -> _Segment:
    """Scan the markers starting at offsets ``low`` to ``high`` of ``xml``."""
    data_start, data_end = sheet_data
    found = _Segment(self_closing=data_start < 0)  # no sheet data: judged tag by tag
    for start in range(low, high, chunk):
        starts = min(chunk, high - start)
        window = data[start : start + starts + _LOOKAHEAD]
        if len(window) < starts + _LOOKAHEAD:  # the end of the part
            window = np.concatenate(
                [window, np.zeros(starts + _LOOKAHEAD - len(window), np.uint8)]
            )
        first, second = window[:starts], window[1 : starts + 1]
        opening = first == LT
        at = np.flatnonzero(opening & (second == LETTER_C))
        at = at[_TERMINATOR[window[at + 2]]]
        found.cell_tags += len(at)
        tails = _unaligned(window, "<u4")
        references = at[tails[at + 2] == _REFERENCE_TAIL] + start
        found.references.append(references)
        if found.readable:  # measured while the chunk is in the cache
            extent = reference_extent(xml, references)
            if extent is None:
                found.readable = False
            else:
                found.rows = max(found.rows, extent[0])
                found.columns = max(found.columns, extent[1])
        if not (found.prefixed and found.formula):
            # Colons are rare in a sheet: the few are looked at one by one.
            colons = np.flatnonzero(first == COLON)
            follower = window[colons + 1]
            found.formula = found.formula or bool((follower == LETTER_F).any())
            prefixed = _TERMINATOR[window[colons[follower == LETTER_C] + 2]]
            found.prefixed = found.prefixed or bool(prefixed.any())
        if not found.formula:
            found.formula = bool((opening & (second == LETTER_F)).any())
        if not found.self_closing:
            start_in, end_in = max(data_start - start, 0), min(data_end - start, starts)
            if start_in < end_in:
                closing = (first[start_in:end_in] == SLASH) & (
                    second[start_in:end_in] == GT
                )
                found.self_closing = bool(closing.any())
    return found


def _unaligned(buffer, dtype: str) -> np.ndarray:
    """View ``buffer`` as the integers of ``dtype`` starting at each of its bytes."""
    width = np.dtype(dtype).itemsize
    count = max(len(buffer) - width + 1, 0)
    return np.ndarray((count,), dtype=dtype, buffer=buffer, strides=(1,))


def reference_extent(xml: bytes, at: np.ndarray) -> tuple[int, int] | None:
    """Return the largest row and column of the cell references starting 6 bytes
    after each offset ``at`` (those of '<c r="'), or None unless each is one to
    three capital letters, one to seven digits not starting with 0 and a quote,
    within the part.

    These are the references ``sheet_measure``'s regular expressions read (a row
    written with leading zeros is left to them). Rows are compared by their digits:
    of rows without leading zeros the longest are the largest, and of those the
    last in byte order; columns likewise by their letters.
    """
    if not len(at):
        return 0, 0
    if at.max() > len(xml) - REFERENCE_REACH:
        return None  # a reference cut by the end of the part
    names = _unaligned(xml, "<u4")[at + REFERENCE_START]
    is_letter = (names.view(np.uint8).reshape(-1, 4) - np.uint8(ord("A"))) < 26
    one = is_letter[:, 0]
    two = one & is_letter[:, 1]
    three = two & is_letter[:, 2]
    letters = one.astype(np.intp) + two + three
    # The eight bytes after the letters: up to seven digits and the quote.
    numbers = _unaligned(xml, "<u8")[at + REFERENCE_START + letters]
    number_bytes = numbers.view(np.uint8).reshape(-1, 8)
    is_digit = (number_bytes - np.uint8(ord("0"))) < 10
    digits = _TRAILING_ONES[_bit_per_byte(is_digit)]
    # The byte after the digits (the eighth when there are more: refused below).
    after = (numbers >> (np.minimum(digits, 7).astype(np.uint64) * 8)) & 0xFF
    if not (
        (one & ~(three & is_letter[:, 3])).all()
        and (digits >= 1).all()
        and (digits <= 7).all()
        and (after == ord('"')).all()
        and (number_bytes[:, 0] != ord("0")).all()
    ):
        return None
    width = int(digits.max())
    # Read big-endian, the first ``width`` bytes compare as the numbers they write.
    row = numbers[digits == width].byteswap() >> np.uint64(8 * (8 - width))
    length = int(letters.max())
    column = names[letters == length].byteswap() >> np.uint32(8 * (4 - length))
    return (
        int(int(row.max()).to_bytes(width, "big")),
        _column_number(int(column.max()).to_bytes(length, "big")),
    )


def _bit_per_byte(flags: np.ndarray) -> np.ndarray:
    """Pack each row of eight booleans into a byte, the first in the lowest bit."""
    words = flags.view("<u8").ravel()
    return ((words * np.uint64(_GATHER_BITS)) >> np.uint64(56)).astype(np.uint8)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number
