"""A generated corpus of hostile and malformed uploads, each with the code it must
be refused with. Shared by the tests and benchmarks/imports.py."""

import io
import zipfile

from openpyxl import Workbook

MIB = 1024 * 1024


def small_xlsx(**cells) -> bytes:
    workbook = Workbook()
    for where, value in (cells or {"A1": 1}).items():
        workbook.active[where] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, change=None, add: dict | None = None) -> bytes:
    """Return the archive ``data`` with ``change(name, content)`` applied to each
    part and the parts of ``add`` added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if change is not None:
                content = change(info.filename, content)
            target.writestr(info.filename, content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def _sheet(change):
    def apply(name, content):
        return change(content) if name == "xl/worksheets/sheet1.xml" else content

    return apply


def _lying_dimension() -> bytes:
    return rezip(
        small_xlsx(),
        _sheet(
            lambda xml: xml.replace(
                b'<dimension ref="A1" />', b'<dimension ref="A1:XFD1048576" />'
            )
        ),
    )


def _far_cell() -> bytes:
    return rezip(
        small_xlsx(),
        _sheet(
            lambda xml: xml.replace(
                b"</sheetData>",
                b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t></t></is></c></row></sheetData>',
            )
        ),
    )


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("[Content_Types].xml", "<Types/>")
        target.writestr("xl/worksheets/sheet1.xml", b"0" * (150 * MIB))
    return out.getvalue()


def _too_many_members() -> bytes:
    return rezip(small_xlsx(), add={f"xl/media/image{i}.png": b"x" for i in range(600)})


def _billion_laughs() -> bytes:
    entities = "".join(
        f'<!ENTITY lol{i} "{"&lol" + str(i - 1) + ";" * 1 if i else "lol"}{("&lol" + str(i - 1) + ";") * 9 if i else ""}">'
        for i in range(10)
    )
    payload = (
        f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]><sst>&lol9;</sst>'.encode()
    )
    return rezip(small_xlsx(), add={"xl/sharedStrings.xml": payload})


def _xxe() -> bytes:
    payload = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">&xxe;</Types>'
    )
    return rezip(
        small_xlsx(),
        lambda name, content: payload if name == "[Content_Types].xml" else content,
    )


def _macro_part() -> bytes:
    return rezip(small_xlsx(), add={"xl/vbaProject.bin": b"\x00" * 512})


def _macro_content_type() -> bytes:
    return rezip(
        small_xlsx(),
        lambda name, content: (
            content.replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
            )
            if name == "[Content_Types].xml"
            else content
        ),
    )


def _encrypted() -> bytes:
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    return header + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 2048


def _legacy_xls() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096


def hostile_corpus() -> list[tuple[str, str, bytes, str]]:
    """Return (name, file name, content, expected problem code) for each case."""
    return [
        ("empty", "bao-cao.xlsx", b"", "file_empty"),
        (
            "too large",
            "bao-cao.xlsx",
            b"PK\x03\x04" + b"\x00" * (20 * MIB + 1),
            "file_too_large",
        ),
        (
            "renamed CSV",
            "bao-cao.xlsx",
            "Mã đơn vị,Kỳ,Mã số,Cột,Giá trị\nT9001,2025,02,2,5\n".encode(),
            "file_is_text",
        ),
        (
            "renamed PDF",
            "bao-cao.xlsx",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n",
            "file_is_pdf",
        ),
        ("random bytes", "bao-cao.xlsx", bytes(range(256)) * 8, "file_not_spreadsheet"),
        (
            "damaged zip",
            "bao-cao.xlsx",
            b"PK\x03\x04" + b"\x01" * 300,
            "file_not_spreadsheet",
        ),
        ("xlsm name", "bao-cao.xlsm", small_xlsx(), "file_macros"),
        ("vbaProject.bin", "bao-cao.xlsx", _macro_part(), "file_macros"),
        ("macro content type", "bao-cao.xlsx", _macro_content_type(), "file_macros"),
        ("encrypted (OLE)", "bao-cao.xlsx", _encrypted(), "file_encrypted"),
        ("legacy .xls", "bao-cao.xls", _legacy_xls(), "file_legacy_xls"),
        ("zip bomb", "bao-cao.xlsx", _zip_bomb(), "archive_ratio"),
        (
            "too many members",
            "bao-cao.xlsx",
            _too_many_members(),
            "archive_too_many_members",
        ),
        (
            "externalLinks",
            "bao-cao.xlsx",
            rezip(
                small_xlsx(),
                add={"xl/externalLinks/externalLink1.xml": b"<externalLink/>"},
            ),
            "file_external_links",
        ),
        (
            "embeddings",
            "bao-cao.xlsx",
            rezip(small_xlsx(), add={"xl/embeddings/oleObject1.bin": b"x"}),
            "file_embedded_objects",
        ),
        (
            "activeX",
            "bao-cao.xlsx",
            rezip(small_xlsx(), add={"xl/activeX/activeX1.xml": b"<ax/>"}),
            "file_activex",
        ),
        ("billion laughs", "bao-cao.xlsx", _billion_laughs(), "xml_dtd"),
        ("XXE", "bao-cao.xlsx", _xxe(), "xml_dtd"),
        (
            "a docx renamed",
            "bao-cao.xlsx",
            rezip(small_xlsx(), lambda name, content: content, add={}).replace(
                b"xl/workbook.xml", b"xl/wurkbook.xml"
            ),
            "file_not_spreadsheet",
        ),
        ("cell at XFD1048576", "bao-cao.xlsx", _far_cell(), "sheet_too_large"),
    ]


def lying_dimension() -> bytes:
    """A valid workbook whose <dimension> claims the whole sheet: it must be read."""
    return _lying_dimension()
