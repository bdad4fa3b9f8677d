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

``xlsx_parts`` checks the first bytes, the archive and its small parts;
``sheet_measure`` measures each worksheet (with ``sheet_scan`` for large ones);
``xlsx_types`` holds what they share. Callers import the names from here.
"""

from __future__ import annotations

import io
import zipfile

from imports.parsers.sheet_measure import column_number, sheet_extent
from imports.parsers.xlsx_parts import (
    ODS_MIMETYPE,
    check_content,
    check_directory,
    check_macros_by_name,
    describe_sheets,
    inflate_all,
    parse_xml,
    refuse_by_kind,
    sniff,
)
from imports.parsers.xlsx_types import (
    DEFAULT_LIMITS,
    EXCEL_MAX_COLUMNS,
    EXCEL_MAX_ROWS,
    MIB,
    CheckedWorkbook,
    Limits,
    SheetPart,
    UnsafeFile,
    gettext_noop,
)

__all__ = [
    "DEFAULT_LIMITS",
    "EXCEL_MAX_COLUMNS",
    "EXCEL_MAX_ROWS",
    "CheckedWorkbook",
    "Limits",
    "SheetPart",
    "UnsafeFile",
    "check_xlsx",
    "column_number",
    "parse_xml",
    "refuse_by_kind",
    "sheet_extent",
    "sniff",
]


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
        check_directory(members, limits)
        names = {member.filename.casefold(): member for member in members}
        if "mimetype" in names and archive.read("mimetype").startswith(ODS_MIMETYPE):
            raise UnsafeFile(
                "file_ods",
                gettext_noop(
                    "This is an OpenDocument spreadsheet (.ods). Save it as an Excel Workbook (.xlsx) and upload it again."
                ),
            )
        check_macros_by_name(filename, names)
        parts, inflated = inflate_all(archive, members, limits)
        check_content(parts, names)
        sheets = describe_sheets(parts, limits)
    return CheckedWorkbook(
        sheets=tuple(sheets), members=len(members), inflated_bytes=inflated
    )
