"""The upload's first bytes, the zip archive and its small XML parts.

What ``xlsx_safety.check_xlsx`` checks before it measures the sheets: what the
first bytes say the file is, the archive's directory (parts, sizes, compression
ratios, encryption), each part inflated once, the XML declarations, macros,
links and embedded objects, and the workbook's list of sheets.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from isal import isal_zlib

from imports.parsers.sheet_measure import scan_sheet
from imports.parsers.xlsx_types import (
    MIB,
    Limits,
    SheetPart,
    UnsafeFile,
    gettext_noop,
)

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


def damaged_part(part: str = "") -> UnsafeFile:
    return UnsafeFile(
        "archive_damaged",
        gettext_noop(
            "The workbook is damaged (the part “%(part)s” could not be read). Open it in Excel, save it again and upload the new copy."
        ),
        part=part or "?",
    )


def check_directory(members: list[zipfile.ZipInfo], limits: Limits) -> None:
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
            raise damaged_part(member.filename)
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


def check_macros_by_name(filename: str, names: dict[str, zipfile.ZipInfo]) -> None:
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
        raise macros_found(macro_part or filename)
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


def macros_found(part: str) -> UnsafeFile:
    return UnsafeFile(
        "file_macros",
        gettext_noop(
            "The workbook contains macros (%(part)s). Macro-enabled files are refused: save it as an Excel Workbook (.xlsx), without macros, and upload it again."
        ),
        part=part,
    )


def inflate_all(
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
            if (
                member.compress_type == zipfile.ZIP_DEFLATED
                and member.file_size >= _FAST_INFLATE_MIN_BYTES
            ):
                content = _inflate_large(archive, member)
            else:
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
            isal_zlib.error,
        ):
            raise damaged_part(member.filename) from None
        total += len(content)
        if len(content) > member.file_size or total > limits.max_inflated_bytes:
            raise damaged_part(member.filename)
        if name.endswith(_XML_SUFFIXES) or name == "[content_types].xml":
            _check_xml_bytes(member.filename, content)
            parts[name] = content
    return parts, total


_FAST_INFLATE_MIN_BYTES = 1 * MIB
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, ..., name and extra lengths


def _inflate_large(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """Inflate a large deflated part with ISA-L (about twice as fast as zlib on a
    bulk workbook's sheet), checking what ``ZipFile.open`` checks: the local header
    and its name, the compressed size, at most ``file_size`` bytes out, the CRC."""
    stream = archive.fp
    stream.seek(member.header_offset)
    header = stream.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise zipfile.BadZipFile("truncated local header")
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    name = stream.read(name_length)
    if signature != ZIP_MAGIC or name != member.orig_filename.encode(
        "utf-8" if member.flag_bits & 0x800 else "cp437"
    ):
        raise zipfile.BadZipFile("local header does not match the directory")
    stream.seek(extra_length, io.SEEK_CUR)
    compressed = stream.read(member.compress_size)
    if len(compressed) != member.compress_size:
        raise zipfile.BadZipFile("truncated part")
    inflater = isal_zlib.decompressobj(-15)
    content = inflater.decompress(compressed, member.file_size + 1)
    if (
        len(content) != member.file_size
        or not inflater.eof
        or isal_zlib.crc32(content) != member.CRC
    ):
        raise zipfile.BadZipFile("bad CRC or size")
    return content


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


def check_content(parts: dict[str, bytes], names: dict[str, zipfile.ZipInfo]) -> None:
    types = parts.get("[content_types].xml")
    if types is None:
        raise not_a_workbook()
    root = parse_xml("[Content_Types].xml", types)
    for element in root.iter():
        content_type = (_attribute(element, "ContentType") or "").casefold()
        if any(marker in content_type for marker in _MACRO_CONTENT_TYPES):
            raise macros_found(_attribute(element, "PartName") or content_type)


def not_a_workbook() -> UnsafeFile:
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


def describe_sheets(parts: dict[str, bytes], limits: Limits) -> list[SheetPart]:
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
        raise not_a_workbook()
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
            raise macros_found(path)
        if not kind.endswith(_WORKSHEET_REL):
            continue  # chart sheets and dialog sheets hold no values
        content = parts.get(path.casefold())
        if content is None:
            raise damaged_part(path)
        name = element.get("name") or ""
        sheets.append(
            scan_sheet(
                name,
                path,
                element.get("state") or "visible",
                content,
                percent_styles,
                limits,
            )
        )
    if not sheets:
        raise not_a_workbook()
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
