"""The one-pass byte scan of a sheet answers as the separate searches did."""

import io
import random
import re
import zipfile

import pytest

from imports.parsers.sheet_measure import (
    _cell_count,
    _formulas_without_value,
    _may_hold_empty_cells,
    _positional_extent,
)
from imports.parsers.sheet_scan import PARALLEL_MIN_BYTES, scan_tokens
from imports.parsers.xlsx_safety import (
    UnsafeFile,
    check_xlsx,
    column_number,
    sheet_extent,
)
from tests.imports.corpus import hostile_corpus, rezip, small_xlsx

_PIECES = (
    b'<c r="%(col)s%(row)d" t="n"><v>1</v></c>',
    b'<c r="%(col)s%(row)d" s="3"/>',
    b"<c><v>2</v></c>",
    b'<x:c r="%(col)s%(row)d"><x:v>3</x:v></x:c>',
    b'<c r="%(col)s%(row)d"><f>A1+1</f></c>',
    b'<c r="%(col)s%(row)d" t="inlineStr"><is><t>c!f &lt;c</t></is></c>',
    b'<col min="1"/>',
    b"<cfRule/>",
    b'<row r="%(row)d">',
    b"</row>",
    b"<c\tr='%(col)s%(row)d'><v>4</v></c>",
)


def _old_facts(xml: bytes) -> tuple:
    """What the separate searches found before the one-pass scan."""
    return (
        _cell_count(xml) if not re.search(rb"<[\w.-]+:c[\s/>]", xml) else None,
        xml.count(b'<c r="'),
        b"<f" in xml or b":f" in xml,
        _may_hold_empty_cells(xml),
    )


def _new_facts(xml: bytes, chunk: int) -> tuple:
    tokens = scan_tokens(xml, chunk=chunk)
    return (
        tokens.cell_tags if not re.search(rb"<[\w.-]+:c[\s/>]", xml) else None,
        len(tokens.references),
        tokens.formula_marker,
        tokens.self_closing_in_data,
    )


def _random_sheet(seed: int) -> bytes:
    rng = random.Random(seed)
    body = []
    for _ in range(rng.randrange(0, 400)):
        piece = rng.choice(_PIECES)
        body.append(
            piece
            % {
                b"col": rng.choice([b"A", b"B", b"AB", b"XFD"]),
                b"row": rng.randrange(1, 2_000_000),
            }
            if b"%" in piece
            else piece
        )
    head = rng.choice(
        [b"<worksheet><sheetData>", b"<worksheet><dimension/><sheetData>"]
    )
    tail = rng.choice([b"</sheetData></worksheet>", b"</sheetData><c/></worksheet>"])
    return head + b"".join(body) + tail


def _sheets_of(data: bytes) -> list[bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        return [
            archive.read(name)
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        ]
    except (zipfile.BadZipFile, ValueError, OSError, RuntimeError):
        return []


@pytest.mark.parametrize("seed", range(60))
@pytest.mark.parametrize("chunk", [7, 64, 4096])
def test_the_one_pass_scan_finds_what_the_separate_searches_found(seed, chunk):
    # given a random sheet mixing cells, prefixed, formula and self-closing tags
    xml = _random_sheet(seed)

    # when it is scanned in one pass, cut in chunks that split the markers
    # then the facts, the extent and the formulas are those of the old searches
    assert _new_facts(xml, chunk) == _old_facts(xml)
    tokens = scan_tokens(xml, chunk=chunk)
    assert sheet_extent(xml, tokens) == sheet_extent(xml)
    assert _formulas_without_value(
        xml, tokens.formula_marker
    ) == _formulas_without_value(xml)


def test_the_one_pass_scan_agrees_on_every_sheet_of_the_hostile_corpus():
    # given every sheet of the hostile corpus that is a zip
    sheets = [
        xml for *_rest, data, _code in hostile_corpus() for xml in _sheets_of(data)
    ]
    assert sheets

    # then the scan and the extent agree with the separate searches
    for xml in sheets:
        for chunk in (5 if len(xml) < 100_000 else 4096, 8 * 1024 * 1024):
            assert _new_facts(xml, chunk) == _old_facts(xml)
            assert sheet_extent(xml, scan_tokens(xml, chunk=chunk)) == sheet_extent(xml)


def _large(xml: bytes, far: bytes) -> bytes:
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="n"><v>%d</v></c><c r="B%d" t="n"><v>1</v></c></row>'
        % (n, n, n, n)
        for n in range(1, 40_001)
    )
    return xml.replace(b"<sheetData/>", b"<sheetData>" + rows + far + b"</sheetData>")


def test_a_large_sheet_with_a_far_cell_and_a_lying_dimension_is_still_refused():
    # given a sheet over a megabyte (so the one-pass scan is used), its dimension
    # claiming A1:B2 and one cell written at XFD1048576
    far = b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row>'

    def change(name, content):
        if name != "xl/worksheets/sheet1.xml":
            return content
        content = re.sub(
            rb"<sheetData>.*</sheetData>", b"<sheetData/>", content, flags=re.S
        )
        content = re.sub(
            rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:B2"/>', content
        )
        return _large(content, far)

    data = rezip(small_xlsx(A1=1), change)

    # when it is checked, then it is refused for its real extent
    with pytest.raises(UnsafeFile) as refused:
        check_xlsx(data, "big.xlsx")
    assert refused.value.code == "sheet_too_large"


def test_a_large_sheet_is_measured_by_its_cells():
    # given the same large sheet without the far cell
    def change(name, content):
        if name != "xl/worksheets/sheet1.xml":
            return content
        content = re.sub(
            rb"<sheetData>.*</sheetData>", b"<sheetData/>", content, flags=re.S
        )
        return _large(content, b"")

    # when it is checked, then its extent is its last row and column
    [sheet] = check_xlsx(rezip(small_xlsx(A1=1), change), "big.xlsx").sheets
    assert (sheet.rows, sheet.columns) == (40_000, 2)


# --- The sheet cut in two between threads ------------------------------------------


def _facts(tokens) -> tuple:
    return (
        tokens.cell_tags,
        sorted(tokens.references.tolist()),
        tokens.prefixed_cell,
        tokens.formula_marker,
        tokens.self_closing_in_data,
        tokens.reference_extent,
    )


@pytest.mark.parametrize("seed", range(40))
def test_a_sheet_cut_anywhere_between_threads_gives_the_facts_of_one_pass(seed):
    # given a random sheet and random places to cut it, some inside markers
    xml = _random_sheet(seed)
    rng = random.Random(seed)
    markers = [m.start() for m in re.finditer(rb"<c|<f|:c|:f|/>|sheetData", xml)]
    cuts = [rng.randrange(len(xml)) for _ in range(5)] + [
        at + rng.randrange(-1, 7) for at in rng.sample(markers, min(5, len(markers)))
    ]
    whole = _facts(scan_tokens(xml, chunk=64, cuts=()))

    # when it is scanned in two or three parts, each in its own thread
    # then the merged facts are those of the single pass
    for cut in cuts:
        assert _facts(scan_tokens(xml, chunk=64, cuts=(cut,))) == whole
    assert _facts(scan_tokens(xml, chunk=64, cuts=tuple(cuts[:2]))) == whole


_BODY = b'<row r="1"><c r="A1" t="n"><v>1</v></c><c r="B1" t="n"><v>2</v></c></row>'


@pytest.mark.parametrize(
    ("marker", "fact", "expected"),
    [
        (b'<c r="XFD1048576" t="n"><v>1</v></c>', "reference_extent", (1048576, 16384)),
        (b"<f>A1+1</f>", "formula_marker", True),
        (b"<x:f>A1</x:f>", "formula_marker", True),
        (b'<x:c r="C1"><x:v>3</x:v></x:c>', "prefixed_cell", True),
        (b'<c r="C1" s="1"/>', "self_closing_in_data", True),
    ],
)
def test_a_marker_split_by_the_cut_is_found(marker, fact, expected):
    # given a sheet whose only such marker lies in its second half
    xml = (
        b"<worksheet><sheetData>"
        + _BODY * 50
        + b'<row r="2">'
        + marker
        + b"</row>"
        + _BODY * 3
        + b"</sheetData></worksheet>"
    )
    where = xml.index(marker)

    # when the cut falls before, inside or just after the marker
    for cut in range(where - 2, where + 12):
        tokens = scan_tokens(xml, chunk=4096, cuts=(cut,))

        # then the marker is found as in one pass
        assert getattr(tokens, fact) == expected, cut
        assert _facts(tokens) == _facts(scan_tokens(xml, cuts=()))


def _references(rng) -> bytes:
    letters = rng.choice([b"A", b"Z", b"AB", b"XFD", b"ZZZ", b"ABCD", b"a", b""])
    digits = rng.choice([b"1", b"9", b"10", b"999999", b"1048576", b"12345678", b"0"])
    if rng.random() < 0.05:
        digits = b"0" + digits
    end = rng.choice([b'"', b'"', b'"', b"'", b" "])
    return b'<c r="' + letters + digits + end + b' t="n"><v>1</v></c>'


def _readable_extent(xml: bytes) -> tuple[int, int] | None:
    """The extent as the regular expressions read the references, or None."""
    found = []
    for start in re.finditer(rb'<c r="', xml):
        match = re.match(rb'([A-Z]{1,3})([0-9]{1,7})"', xml[start.end() :])
        if match is None or match.group(2).startswith(b"0"):
            return None
        found.append((int(match.group(2)), column_number(match.group(1))))
    return (max(row for row, _ in found), max(column for _, column in found))


@pytest.mark.parametrize("seed", range(30))
def test_the_references_are_measured_as_the_regular_expressions_read_them(seed):
    # given cells whose references are mostly plain, sometimes not (lower case,
    # four letters, eight digits, a leading zero, no closing quote)
    rng = random.Random(seed)
    cells = [_references(rng) if rng.random() < 0.02 else b'<c r="B7"><v>1</v></c>']
    cells += [
        _references(rng) if rng.random() < 0.02 else b'<c r="C%d"><v>1</v></c>' % n
        for n in range(1, 2000)
    ]
    xml = b"<worksheet><sheetData>" + b"".join(cells) + b"</sheetData></worksheet>"

    # when they are read in one pass and cut in two
    # then the extent is the one the regular expressions read, or none
    expected = _readable_extent(xml)
    for cuts in ((), (len(xml) // 2,), (rng.randrange(len(xml)),)):
        assert scan_tokens(xml, chunk=4096, cuts=cuts).reference_extent == expected


def _half_and_half(far: bytes, where: float) -> bytes:
    """A sheet over the size scanned in two threads (4 MiB), with ``far`` written
    at ``where`` (0 to 1) of its cells; at 0.5 the default cut falls inside it."""
    rows = [
        b'<row r="%d">' % n
        + b"".join(
            b'<c r="%s%d" t="n"><v>%d</v></c>' % (column, n, n)
            for column in (b"A", b"B", b"C", b"D")
        )
        + b"</row>"
        for n in range(1, 40_001)
    ]
    middle = int(len(rows) * where)
    head = b"<worksheet><sheetData>" + b"".join(rows[:middle])
    tail = b"".join(rows[middle:]) + b"</sheetData></worksheet>"
    if where == 0.5:  # pad one side so that the middle of the part is in ``far``
        gap = len(head) + len(far) + len(tail) - 2 * (len(head) + 3)
        if gap > 0:
            head = b" " * gap + head
        else:
            tail = tail + b" " * -gap
        assert len(head) <= (len(head) + len(far) + len(tail)) // 2 < len(head) + 8
    return head + far + tail


@pytest.mark.parametrize("where", [0.5, 0.75, 1.0])
@pytest.mark.parametrize(
    "far",
    [
        b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row>',
        b'<row r="1048576"><c r="A1048576" t="n"><v>1</v></c></row>',
        b'<c r="XFD5"><v>1</v></c>',
    ],
)
def test_a_far_cell_in_the_second_half_or_at_the_cut_is_measured(far, where):
    # given a large sheet whose only far cell lies at the cut or after it
    xml = _half_and_half(far, where)
    assert len(xml) >= PARALLEL_MIN_BYTES

    # when it is measured (cut in two by default)
    tokens = scan_tokens(xml)

    # then its extent counts the far cell, as one pass and the tag walk find it
    assert _facts(tokens) == _facts(scan_tokens(xml, cuts=()))
    assert tokens.reference_extent is not None
    assert sheet_extent(xml, tokens) == _positional_extent(xml)


def test_a_large_sheet_with_its_far_cell_at_the_cut_is_refused():
    # given a workbook whose sheet is cut between threads inside its only far cell
    xml = _half_and_half(
        b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row>', 0.5
    )
    data = rezip(
        small_xlsx(A1=1),
        lambda name, content: xml if name == "xl/worksheets/sheet1.xml" else content,
    )

    # when it is checked, then it is refused for its real extent
    with pytest.raises(UnsafeFile) as refused:
        check_xlsx(data, "big.xlsx")
    assert refused.value.code == "sheet_too_large"
    assert refused.value.params["rows"] == 1048576


def test_a_row_written_with_leading_zeros_does_not_hide_a_far_row():
    # given a large sheet with a cell at XFD999999 and one whose row is written
    # with leading zeros (0000001: seven digits, as many as no real row below)
    far = b'<row r="999999"><c r="XFD999999"><v>1</v></c></row>'
    xml = _half_and_half(far + b'<row r="1"><c r="A0000001"><v>1</v></c></row>', 1.0)

    # when it is measured, then the far cell counts
    assert sheet_extent(xml, scan_tokens(xml)) == (999999, 16384)
    assert sheet_extent(xml) == (999999, 16384)
