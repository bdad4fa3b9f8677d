"""Hostile and malformed files are refused before any reader unpacks them."""

import pytest

from imports.parsers.sheet_measure import _positional_extent, _vector_extent
from imports.parsers.workbook import read_workbook
from imports.parsers.xlsx_safety import UnsafeFile, check_xlsx, sheet_extent
from tests.imports.corpus import hostile_corpus, lying_dimension, small_xlsx

CASES = hostile_corpus()


@pytest.mark.parametrize(
    ("name", "filename", "data", "code"), CASES, ids=[case[0] for case in CASES]
)
def test_each_hostile_file_is_refused_with_its_message(name, filename, data, code):
    # when the file is read
    content = read_workbook(data, filename)

    # then it is refused as a whole, with the expected code and a message
    assert [problem.code for problem in content.problems] == [code]
    problem = content.problems[0]
    assert problem.is_error and not problem.sheet
    assert problem.render()
    assert content.templates == [] and content.long_tables == []


def test_the_messages_name_what_was_found():
    by_name = {name: (filename, data) for name, filename, data, _code in CASES}

    def message(name):
        filename, data = by_name[name]
        return read_workbook(data, filename).problems[0].render()

    assert "PDF" in message("renamed PDF")
    assert "CSV" in message("renamed CSV")
    assert "vbaProject.bin" in message("vbaProject.bin")
    assert "externalLink1.xml" in message("externalLinks")
    assert "20 MB" in message("too large")
    assert "XFD" not in message("cell at XFD1048576")
    assert "1048576" in message("cell at XFD1048576")


def test_a_lying_dimension_is_ignored_and_the_sheet_read():
    # given a workbook whose <dimension> claims A1:XFD1048576 around one cell
    checked = check_xlsx(lying_dimension(), "bao-cao.xlsx")

    # then its extent is measured from its cells
    assert (checked.sheets[0].rows, checked.sheets[0].columns) == (1, 1)


def test_extent_counts_cells_with_content_only():
    xml = (
        b'<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="Z9" s="1"/></row>'
        b'<row r="3"><c r="C3" t="s"><v>0</v></c></row></sheetData>'
    )
    assert sheet_extent(xml) == (3, 3)


def test_cells_without_reference_are_placed_by_position():
    xml = b'<sheetData><row r="2"><c><v>1</v></c><c><v>2</v></c></row></sheetData>'
    assert sheet_extent(xml) == (2, 2)


def test_formula_cells_without_a_saved_result_are_found():
    data = small_xlsx(A1=1, B1="=A1*2")
    sheet = check_xlsx(data, "x.xlsx").sheets[0]
    assert sheet.formulas_without_value == frozenset({(1, 2)})


def test_percent_formatted_cells_are_found():
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active["A1"] = 0.25
    workbook.active["A1"].number_format = "0%"
    workbook.active["B1"] = 3
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = check_xlsx(buffer.getvalue(), "x.xlsx").sheets[0]
    assert sheet.percent_cells == frozenset({(1, 1)})


def test_unsafe_file_carries_code_and_parameters():
    with pytest.raises(UnsafeFile) as refused:
        check_xlsx(b"", "x.xlsx")
    assert refused.value.code == "file_empty"


def test_extent_with_rich_text_and_empty_cells_takes_the_careful_count():
    # given cells whose rich text holds other tags starting with "c" (<color>),
    # empty self-closing cells, and a far cell written without a reference
    xml = (
        b'<sheetData><row r="2"><c r="B2" t="inlineStr"><is><r><rPr><color rgb="FF0000"/>'
        b'</rPr><t>x</t></r></is></c><c r="H2" s="1"/></row>'
        b'<row r="5"><c r="C5"><v>1</v></c><c><v>2</v></c></row></sheetData>'
    )

    # then the extent counts the cells with content only, placed by position
    assert sheet_extent(xml) == (5, 4)


def test_extent_ignores_tags_outside_the_sheet_data():
    xml = (
        b'<worksheet><sheetPr><outlinePr summaryBelow="1" /></sheetPr><sheetData>'
        b'<row r="1"><c r="A1"><v>1</v></c><c r="C3"><v>2</v></c></row></sheetData>'
        b'<pageMargins left="0.7" /></worksheet>'
    )
    assert sheet_extent(xml) == (3, 3)


def _large_sheet(rows: int, first: bytes = b"", cell=b'<c r="%s%d" t="n"><v>1</v></c>'):
    body = b"".join(
        b'<row r="%d">' % row
        + b"".join(cell % (letter, row) for letter in (b"A", b"B", b"C", b"D"))
        + b"</row>"
        for row in range(1, rows + 1)
    )
    return b"<worksheet><sheetData>" + first + body + b"</sheetData></worksheet>"


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        (b"", (3000, 4)),
        # written first, out of order: the largest row and column still count
        (b'<row r="1"><c r="XFD1048576" t="n"><v>1</v></c></row>', (1048576, 16384)),
        (b'<row r="1"><c r="AB7000"><v>1</v></c></row>', (7000, 28)),
        # references the vector scan does not read: the regular expressions judge
        (b'<row r="1"><c r="b9999"><v>1</v></c></row>', None),
        (b'<row r="1"><c r="B12345678"><v>1</v></c></row>', None),
        (b'<row r="1"><c r="ABCD5"><v>1</v></c></row>', None),
    ],
)
def test_large_sheets_are_measured_as_the_tag_walk_measures_them(first, expected):
    # given a sheet of 12,000 cells (the vector scan's size), one cell written first
    xml = _large_sheet(3000, first)

    # when its extent is measured
    found = sheet_extent(xml)

    # then it is the extent the tag-by-tag walk finds
    assert found == _positional_extent(xml)
    if expected is not None:
        assert found == expected
        assert _vector_extent(xml, 12_000 + (1 if first else 0)) == expected
    else:
        assert _vector_extent(xml, 12_001) is None


def test_a_large_sheet_with_empty_cells_is_measured_without_them():
    # given a large sheet whose last row's cells are written empty (<c r="A3001"/>)
    xml = _large_sheet(3000).replace(
        b"</sheetData>",
        b'<row r="3001"><c r="A3001" s="1"/><c r="Z3001"/></row></sheetData>',
    )

    # then the empty cells do not count
    assert sheet_extent(xml) == (3000, 4)


def _large_part_zip() -> tuple[bytes, bytes]:
    """A zip holding one large deflated sheet part (inflated with ISA-L)."""
    import io
    import zipfile

    cells = "".join(f'<c r="A{n}"><v>{n * 7 % 1000}</v></c>' for n in range(1, 90_000))
    xml = f'<worksheet><sheetData><row r="1">{cells}</row></sheetData></worksheet>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", xml)
    return buffer.getvalue(), xml.encode()


def _inflate(data: bytes):
    import io
    import zipfile

    from imports.parsers.xlsx_parts import inflate_all
    from imports.parsers.xlsx_types import DEFAULT_LIMITS

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return inflate_all(archive, archive.infolist(), DEFAULT_LIMITS)


def test_a_large_part_is_inflated_exactly(monkeypatch):
    from imports.parsers import xlsx_parts

    inflated = []
    original = xlsx_parts._inflate_large
    monkeypatch.setattr(
        xlsx_parts,
        "_inflate_large",
        lambda archive, member: (
            inflated.append(member.filename) or original(archive, member)
        ),
    )
    # given a zip with a part over the fast-inflate size
    data, xml = _large_part_zip()
    assert len(xml) > 2**20
    # when its parts are inflated, then the part is what was stored, inflated by
    # the fast path
    parts, total = _inflate(data)
    assert parts["xl/worksheets/sheet1.xml"] == xml
    assert total == len(xml)
    assert inflated == ["xl/worksheets/sheet1.xml"]


@pytest.mark.parametrize("damage", ["data", "name", "size", "crc", "truncated"])
def test_a_damaged_large_part_is_refused(damage):
    import struct

    data, xml = _large_part_zip()
    damaged = bytearray(data)
    central = data.rindex(b"PK\x01\x02")  # the part's central directory entry
    if damage == "data":  # a byte of the deflated stream changed
        damaged[30 + len("xl/worksheets/sheet1.xml") + 5000] ^= 0xFF
    elif damage == "name":  # the local header names another part
        damaged[30] = ord("X")
    elif damage == "size":  # the directory claims a smaller part
        struct.pack_into("<I", damaged, central + 24, len(xml) - 10)
    elif damage == "crc":
        struct.pack_into("<I", damaged, central + 16, 12345)
    else:  # the directory claims more compressed bytes than the file has
        struct.pack_into("<I", damaged, central + 20, len(data) * 2)
    # when its parts are inflated, then the archive is refused as damaged
    with pytest.raises(UnsafeFile) as refused:
        _inflate(bytes(damaged))
    assert refused.value.code == "archive_damaged"
