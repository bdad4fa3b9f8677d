"""Refuse hostile or unreadable spreadsheet files before any reader unpacks them.

An .xlsx is a zip archive of XML parts. Everything here looks at the archive's
directory and the parts' bytes, never trusting what the file says about itself:

* the upload's size and its first bytes (an OLE compound file is an encrypted
  workbook or a legacy .xls; a PDF, a CSV or an image renamed .xlsx is named as such);
* the archive: at most ``max_members`` parts, a declared uncompressed total within
  ``max_inflated_bytes``, no part compressed more than ``max_ratio`` times, no
  encrypted part; every part is then inflated once with Python's zip reader, which
  stops at the declared size and checks the CRC, so a lying directory is caught;
* the content: no macros (vbaProject.bin, a macro-enabled content type, Excel 4.0
  macro sheets), no links to other files, embedded objects or ActiveX controls, no
  XML document type or entity declarations (billion laughs, XXE), no XML part in an
  encoding other than UTF-8; the small parts read here are parsed with defusedxml;
* each worksheet's used area, measured from the cells actually written in its XML.
  Spreadsheet readers allocate the whole rectangle up to the last written cell, so
  one cell at XFD1048576 would ask for hundreds of gigabytes; a <dimension> element
  claiming a million rows is ignored, as the readers ignore it.

The same scan notes the formula cells saved without a result (files written by
scripts have none) and the cells formatted as percentages, which the upload parser
needs and the spreadsheet reader does not tell.

Pure Python: bytes in, a description of the workbook out, or ``UnsafeFile`` with a
code, an English message and its parameters. Reusable by any upload (accounts too).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from imports.parsers.sheet_scan import SheetTokens, scan_tokens


def gettext_noop(message: str) -> str:
    """Mark ``message`` for translation (the extractor knows this name)."""
    return message


MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * MIB
    max_members: int = 500
    max_inflated_bytes: int = 200 * MIB
    max_ratio: int = 100
    # Cells of a sheet's used rectangle; the reader holds it as one array.
    max_sheet_cells: int = 4_000_000


DEFAULT_LIMITS = Limits()
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384


class UnsafeFile(Exception):
    """The file is refused as a whole: ``code``, an English ``message``, ``params``."""

    def __init__(self, code: str, message: str, **params):
        super().__init__(message % params if params else message)
        self.code = code
        self.message = message
        self.params = params


@dataclass(frozen=True)
class SheetPart:
    """A worksheet of the archive, as its XML shows it (rows and columns 1-based)."""

    name: str
    path: str
    state: str = "visible"
    rows: int = 0
    columns: int = 0
    formulas_without_value: frozenset[tuple[int, int]] = frozenset()
    percent_cells: frozenset[tuple[int, int]] = frozenset()

    @property
    def visible(self) -> bool:
        return self.state == "visible"


@dataclass(frozen=True)
class CheckedWorkbook:
    sheets: tuple[SheetPart, ...] = ()
    members: int = 0
    inflated_bytes: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def sheet(self, name: str) -> SheetPart | None:
        return next((sheet for sheet in self.sheets if sheet.name == name), None)


# --- What the first bytes say ----------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_OTHER_MAGIC = (
    (b"%PDF", "pdf"),
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
    (b"\x1f\x8b", "archive"),
    (b"Rar!", "archive"),
    (b"7z\xbc\xaf", "archive"),
    (b"{\\rtf", "text"),
)
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def sniff(data: bytes) -> str:
    """Return what ``data`` looks like: zip, ole, pdf, image, archive, text, binary."""
    if data.startswith(ZIP_MAGIC):
        return "zip"
    if data.startswith(OLE_MAGIC):
        return "ole"
    for magic, kind in _OTHER_MAGIC:
        if data.startswith(magic):
            return kind
    head = data[:4096]
    if b"\x00" in head:
        return "binary"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(head) - 4:
            return "binary"
    return "text"


def refuse_by_kind(data: bytes, filename: str = "") -> None:
    """Raise UnsafeFile unless ``data`` is a zip archive (what an .xlsx is)."""
    kind = sniff(data)
    if kind == "zip":
        return
    if kind == "ole":
        if _ENCRYPTED_STREAM in data:
            raise UnsafeFile(
                "file_encrypted",
                gettext_noop(
                    "The workbook is protected by a password (encrypted). Remove the password in Excel (File › Info › Protect Workbook › Encrypt with Password), save, and upload it again."
                ),
            )
        raise UnsafeFile(
            "file_legacy_xls",
            gettext_noop(
                "This is an old-format Excel file (.xls) or another Office document. Open it in Excel or LibreOffice and save it as an Excel Workbook (.xlsx)."
            ),
        )
    if kind == "pdf":
        raise UnsafeFile(
            "file_is_pdf",
            gettext_noop(
                "This is a PDF document, not an Excel workbook. Upload the Excel template (.xlsx) with the figures filled in."
            ),
        )
    if kind == "text":
        raise UnsafeFile(
            "file_is_text",
            gettext_noop(
                "This is a text file (such as CSV), not an Excel workbook. Open it in Excel and save it as an Excel Workbook (.xlsx)."
            ),
        )
    raise UnsafeFile(
        "file_not_spreadsheet",
        gettext_noop(
            "The file is not an Excel workbook (.xlsx). Upload the Excel template filled in."
        ),
    )


# --- The archive -----------------------------------------------------------------

_MACRO_CONTENT_TYPES = ("macroenabled", "vbaproject", "ms-office.vbaproject")
_FORBIDDEN_FOLDERS = (
    (
        "xl/externallinks/",
        "external_links",
        gettext_noop("links to other files"),
    ),
    ("xl/embeddings/", "embedded_objects", gettext_noop("embedded objects")),
    ("xl/activex/", "activex", gettext_noop("ActiveX controls")),
)
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_ENCODING_DECLARATION = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_WORKSHEET_REL = "/worksheet"
_MACROSHEET_REL = "/macrosheet"
_OFFICE_DOCUMENT_REL = "/officeDocument"


def _zip_error(part: str = "") -> UnsafeFile:
    return UnsafeFile(
        "archive_damaged",
        gettext_noop(
            "The workbook is damaged (the part “%(part)s” could not be read). Open it in Excel, save it again and upload the new copy."
        ),
        part=part or "?",
    )


def check_xlsx(
    data: bytes, filename: str = "", *, limits: Limits = DEFAULT_LIMITS
) -> CheckedWorkbook:
    """Check an uploaded .xlsx and describe its sheets; raise UnsafeFile to refuse it."""
    if not data:
        raise UnsafeFile("file_empty", gettext_noop("The file is empty."))
    if len(data) > limits.max_bytes:
        raise UnsafeFile(
            "file_too_large",
            gettext_noop(
                "The file is %(size_mb)s MB; at most %(max_mb)s MB can be uploaded."
            ),
            size_mb=f"{len(data) / MIB:.1f}",
            max_mb=str(limits.max_bytes // MIB),
        )
    refuse_by_kind(data, filename)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise UnsafeFile(
            "file_not_spreadsheet",
            gettext_noop(
                "The file is not an Excel workbook (.xlsx), or it is damaged. Open it in Excel, save it as an Excel Workbook and upload it again."
            ),
        ) from None
    with archive:
        _check_directory(members, limits)
        names = {member.filename.casefold(): member for member in members}
        if "mimetype" in names and archive.read("mimetype").startswith(ODS_MIMETYPE):
            raise UnsafeFile(
                "file_ods",
                gettext_noop(
                    "This is an OpenDocument spreadsheet (.ods). Save it as an Excel Workbook (.xlsx) and upload it again."
                ),
            )
        _check_macros_by_name(filename, names)
        parts, inflated = _inflate_all(archive, members, limits)
        _check_content(parts, names)
        sheets = _describe_sheets(parts, limits)
    return CheckedWorkbook(
        sheets=tuple(sheets), members=len(members), inflated_bytes=inflated
    )


def _check_directory(members: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(members) > limits.max_members:
        raise UnsafeFile(
            "archive_too_many_members",
            gettext_noop(
                "The workbook holds %(count)d parts; a report workbook has at most %(max)d."
            ),
            count=len(members),
            max=limits.max_members,
        )
    declared = sum(member.file_size for member in members)
    if declared > limits.max_inflated_bytes:
        raise UnsafeFile(
            "archive_too_large",
            gettext_noop(
                "The workbook would unpack to %(size_mb)d MB; at most %(max_mb)d MB is accepted."
            ),
            size_mb=declared // MIB,
            max_mb=limits.max_inflated_bytes // MIB,
        )
    seen: set[str] = set()
    for member in members:
        name = member.filename.casefold()
        if name in seen:
            raise _zip_error(member.filename)
        seen.add(name)
        if member.flag_bits & 0x1:
            raise UnsafeFile(
                "file_encrypted",
                gettext_noop(
                    "The workbook is protected by a password (encrypted). Remove the password in Excel (File › Info › Protect Workbook › Encrypt with Password), save, and upload it again."
                ),
            )
        if member.file_size and (
            member.compress_size == 0
            or member.file_size > limits.max_ratio * member.compress_size
        ):
            raise UnsafeFile(
                "archive_ratio",
                gettext_noop(
                    "A part of the workbook (%(part)s) is compressed %(ratio)s times; more than %(max)d times is refused as a possible zip bomb."
                ),
                part=member.filename,
                ratio=(
                    str(member.file_size // member.compress_size)
                    if member.compress_size
                    else "∞"
                ),
                max=limits.max_ratio,
            )


def _check_macros_by_name(filename: str, names: dict[str, zipfile.ZipInfo]) -> None:
    suffix = filename.rsplit(".", 1)[-1].casefold() if "." in filename else ""
    macro_part = next(
        (
            member.filename
            for name, member in names.items()
            if posixpath.basename(name).startswith("vbaproject")
            or name.startswith("xl/macrosheets/")
        ),
        None,
    )
    if macro_part or suffix in {"xlsm", "xltm", "xlam"}:
        raise _macros(macro_part or filename)
    for folder, code, what in _FORBIDDEN_FOLDERS:
        part = next(
            (
                member.filename
                for name, member in names.items()
                if name.startswith(folder)
            ),
            None,
        )
        if part:
            raise UnsafeFile(
                "file_" + code,
                gettext_noop(
                    "The workbook contains %(what)s (%(part)s), which an uploaded report may not carry. Remove them, save, and upload the workbook again."
                ),
                what=what,
                part=part,
            )


def _macros(part: str) -> UnsafeFile:
    return UnsafeFile(
        "file_macros",
        gettext_noop(
            "The workbook contains macros (%(part)s). Macro-enabled files are refused: save it as an Excel Workbook (.xlsx), without macros, and upload it again."
        ),
        part=part,
    )


def _inflate_all(
    archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], limits: Limits
) -> tuple[dict[str, bytes], int]:
    """Inflate every part once (the reader's CRC and size checks catch a lying
    directory); return the XML parts by lower-case name and the bytes inflated."""
    parts: dict[str, bytes] = {}
    total = 0
    for member in members:
        if member.is_dir():
            continue
        name = member.filename.casefold()
        try:
            with archive.open(member) as stream:
                content = stream.read(member.file_size + 1)
        except (
            zipfile.BadZipFile,
            NotImplementedError,
            RuntimeError,
            OSError,
            EOFError,
            ValueError,
            zlib.error,
        ):
            raise _zip_error(member.filename) from None
        total += len(content)
        if len(content) > member.file_size or total > limits.max_inflated_bytes:
            raise _zip_error(member.filename)
        if name.endswith(_XML_SUFFIXES) or name == "[content_types].xml":
            _check_xml_bytes(member.filename, content)
            parts[name] = content
    return parts, total


def _check_xml_bytes(part: str, content: bytes) -> None:
    head = content[:512]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:64]:
        raise _not_utf8(part)
    declared = _ENCODING_DECLARATION.search(head.split(b"?>", 1)[0])
    if declared and declared.group(1).decode("ascii").casefold() not in {
        "utf-8",
        "utf8",
    }:
        raise _not_utf8(part)
    # "!" is rare in a spreadsheet and found at memchr speed; only then are the
    # declarations searched for.
    if b"!" in content and (b"<!DOCTYPE" in content or b"<!ENTITY" in content):
        raise UnsafeFile(
            "xml_dtd",
            gettext_noop(
                "A part of the workbook (%(part)s) declares an XML document type or entities, which spreadsheets never do; the file is refused."
            ),
            part=part,
        )


def _not_utf8(part: str) -> UnsafeFile:
    return UnsafeFile(
        "xml_encoding",
        gettext_noop(
            "A part of the workbook (%(part)s) is not written in UTF-8, as Excel and LibreOffice write; the file is refused."
        ),
        part=part,
    )


def parse_xml(part: str, content: bytes):
    """Parse a small XML part with defusedxml; raise UnsafeFile if it is not XML."""
    try:
        return fromstring(content)
    except DefusedXmlException:
        raise UnsafeFile(
            "xml_dtd",
            gettext_noop(
                "A part of the workbook (%(part)s) declares an XML document type or entities, which spreadsheets never do; the file is refused."
            ),
            part=part,
        ) from None
    except (ParseError, ValueError):
        raise UnsafeFile(
            "xml_malformed",
            gettext_noop(
                "A part of the workbook (%(part)s) is not well-formed XML; the file is damaged."
            ),
            part=part,
        ) from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attribute(element, name: str) -> str | None:
    """Return attribute ``name`` whatever its namespace prefix."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _check_content(parts: dict[str, bytes], names: dict[str, zipfile.ZipInfo]) -> None:
    types = parts.get("[content_types].xml")
    if types is None:
        raise _not_a_workbook()
    root = parse_xml("[Content_Types].xml", types)
    for element in root.iter():
        content_type = (_attribute(element, "ContentType") or "").casefold()
        if any(marker in content_type for marker in _MACRO_CONTENT_TYPES):
            raise _macros(_attribute(element, "PartName") or content_type)


def _not_a_workbook() -> UnsafeFile:
    return UnsafeFile(
        "file_not_spreadsheet",
        gettext_noop(
            "The file is not an Excel workbook (.xlsx), or it is damaged. Open it in Excel, save it as an Excel Workbook and upload it again."
        ),
    )


def _relationships(parts: dict[str, bytes], rels_path: str) -> dict[str, tuple]:
    content = parts.get(rels_path.casefold())
    if content is None:
        return {}
    base = posixpath.dirname(posixpath.dirname(rels_path))
    found = {}
    for element in parse_xml(rels_path, content).iter():
        if _local(element.tag) != "Relationship":
            continue
        target = element.get("Target") or ""
        if element.get("TargetMode") == "External":
            raise UnsafeFile(
                "file_external_links",
                gettext_noop(
                    "The workbook contains %(what)s (%(part)s), which an uploaded report may not carry. Remove them, save, and upload the workbook again."
                ),
                what=gettext_noop("links to other files"),
                part=target[:100],
            )
        path = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(base, target))
        )
        found[element.get("Id") or ""] = (element.get("Type") or "", path)
    return found


def _describe_sheets(parts: dict[str, bytes], limits: Limits) -> list[SheetPart]:
    package = _relationships(parts, "_rels/.rels")
    workbook_path = next(
        (
            path
            for kind, path in package.values()
            if kind.endswith(_OFFICE_DOCUMENT_REL)
        ),
        "xl/workbook.xml",
    )
    workbook = parts.get(workbook_path.casefold())
    if workbook is None:
        raise _not_a_workbook()
    folder = posixpath.dirname(workbook_path)
    relations = _relationships(
        parts,
        posixpath.join(folder, "_rels", posixpath.basename(workbook_path) + ".rels"),
    )
    percent_styles = _percent_styles(parts, relations)
    sheets: list[SheetPart] = []
    for element in parse_xml(workbook_path, workbook).iter():
        if _local(element.tag) != "sheet":
            continue
        kind, path = relations.get(_attribute(element, "id") or "", ("", ""))
        if kind.endswith(_MACROSHEET_REL):
            raise _macros(path)
        if not kind.endswith(_WORKSHEET_REL):
            continue  # chart sheets and dialog sheets hold no values
        content = parts.get(path.casefold())
        if content is None:
            raise _zip_error(path)
        name = element.get("name") or ""
        sheets.append(
            _scan_sheet(
                name,
                path,
                element.get("state") or "visible",
                content,
                percent_styles,
                limits,
            )
        )
    if not sheets:
        raise _not_a_workbook()
    return sheets


def _percent_styles(parts: dict[str, bytes], relations: dict[str, tuple]) -> set[int]:
    """Return the cell style indexes whose number format shows a percentage."""
    path = next(
        (path for kind, path in relations.values() if kind.endswith("/styles")), None
    )
    content = parts.get(path.casefold()) if path else None
    if content is None:
        return set()
    root = parse_xml(path, content)
    percent_formats = {9, 10}
    cell_formats = None
    for element in root:
        local = _local(element.tag)
        if local == "numFmts":
            for number_format in element:
                code = re.sub(r'"[^"]*"|\\.', "", number_format.get("formatCode") or "")
                if "%" in code:
                    percent_formats.add(int(number_format.get("numFmtId") or -1))
        elif local == "cellXfs":
            cell_formats = list(element)
    return {
        index
        for index, xf in enumerate(cell_formats or [])
        if int(xf.get("numFmtId") or 0) in percent_formats
    }


# --- One worksheet ---------------------------------------------------------------

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


def _scan_sheet(
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
        else:
            found = _extent_at(xml, tokens.references, cells)
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
_REFERENCE_WIDTH = 12  # 3 letters, 7 digits, the closing quote, one more
_VECTOR_CHUNK = 262_144


def _vector_extent(xml: bytes, cells: int) -> tuple[int, int] | None:
    """Return the extent of a large sheet none of whose tags close themselves (so
    every cell is filled), reading every ``<c r="XX123"`` reference at once with
    numpy; None unless each of the ``cells`` cell tags has such a reference (the
    regular expressions then judge, as for any other sheet).

    The same references as ``_FILLED_ROWS`` and ``_FILLED_COLUMNS`` read: one to
    three capital letters, one to seven digits, a closing quote.
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
    return _extent_at(xml, at, cells)


def _extent_at(xml: bytes, at, cells: int) -> tuple[int, int] | None:
    """The extent from the offsets ``at`` of every '<c r="' of ``xml`` (see
    ``_vector_extent``); None unless there is one for each of the ``cells``."""
    import numpy as np

    size = len(xml)
    data = np.frombuffer(xml, dtype=np.uint8)
    if len(at) != cells:
        return None
    if len(at) and at.max() > size - 6 - _REFERENCE_WIDTH:
        return None  # a reference cut by the end of the part
    windows = np.lib.stride_tricks.sliding_window_view(data, _REFERENCE_WIDTH)
    last_row = last_column = 0
    for start in range(0, len(at), _VECTOR_CHUNK):  # a few MB of arrays at a time
        found = _references_extent(np, windows[at[start : start + _VECTOR_CHUNK] + 6])
        if found is None:
            return None
        last_row, last_column = max(last_row, found[0]), max(last_column, found[1])
    return last_row, last_column


def _references_extent(np, window) -> tuple[int, int] | None:
    """Return the largest row and column of the references starting each row of
    ``window`` (the bytes after '<c r="'), or None if one is no reference."""
    is_letter = (window - np.uint8(ord("A"))) < 26
    is_digit = (window - np.uint8(ord("0"))) < 10
    letters = np.argmin(is_letter, axis=1)  # the first byte that is no letter
    quote = np.argmax(window == ord('"'), axis=1)  # the first quote
    digits = quote - letters
    positions = np.arange(_REFERENCE_WIDTH)
    between = (positions >= letters[:, None]) & (positions < quote[:, None])
    if not (
        ((letters >= 1) & (letters <= 3) & (digits >= 1) & (digits <= 7)).all()
        and not (between & ~is_digit).any()
    ):
        return None
    # The largest row has the most digits, and then is the largest of those.
    widest = digits == digits.max()
    rows = window[widest]
    starts = letters[widest]
    row = np.zeros(len(rows), dtype=np.int64)
    picked = np.arange(len(rows))
    for place in range(int(digits.max())):
        row = row * 10 + rows[picked, starts + place] - ord("0")
    longest = letters == letters.max()
    names = window[longest]
    column = np.zeros(len(names), dtype=np.int64)
    for place in range(int(letters.max())):
        column = column * 26 + names[:, place] - ord("A") + 1
    return int(row.max()), int(column.max())


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
