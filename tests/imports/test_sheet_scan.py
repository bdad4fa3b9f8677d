"""The one-pass byte scan of a sheet answers as the separate searches did."""

import io
import random
import re
import zipfile

import pytest

from imports.parsers.sheet_scan import scan_tokens
from imports.parsers.xlsx_safety import (
    UnsafeFile,
    _cell_count,
    _formulas_without_value,
    _may_hold_empty_cells,
    check_xlsx,
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
