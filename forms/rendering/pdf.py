"""The printable official form of a version, blank or filled, as a PDF (WeasyPrint).

The page follows the annexes of the reporting circulars: form code, legal basis and
deadline top left, reporting and receiving units top right, the title and period in
the middle, the grid with lettered and numbered columns, then the signatures. It is a
legal document, so it is always printed in Vietnamese, whatever the reader's language.

WeasyPrint fetches whatever a document points at: a way to server-side request forgery
and local file reads (CVE-2025-68616). Here it may read the app's own static files and
nothing else: no network, no ``file:`` or ``data:`` URLs, no path outside the static
directories.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from forms.definition.grid import cell_grid
from forms.definition.model import CellState, DataType, FormDefinition
from forms.definition.periods import Period, parse_period
from forms.rendering.form_texts import (
    blank_period_label,
    deadline_line,
    form_code_line,
    legal_basis_line,
    receiver_name,
)

logger = logging.getLogger(__name__)

# Relative URLs in the template and the stylesheet resolve against this origin. The
# .invalid top-level domain never resolves (RFC 6761), and the fetcher below never
# opens a connection anyway: it maps the origin's STATIC_URL paths to static files.
PRINT_BASE_URL = "https://print.invalid/"
STYLESHEET = "css/form-print.css"
ALLOWED_SUFFIXES = frozenset(
    {".css", ".ttf", ".otf", ".woff", ".woff2", ".png", ".jpg", ".jpeg", ".svg"}
)
LANDSCAPE_ABOVE_COLUMNS = 6
MAX_INDENT = 6
DOTS = "…" * 14

Values = Mapping[tuple[str, int], Decimal | int | str | bool | None]


class PrintResourceRefused(Exception):
    """The print template asked for resources other than the app's static files."""

    def __init__(self, urls: list[str]):
        super().__init__("Refused to fetch: " + ", ".join(urls))
        self.urls = urls


def _static_root_url() -> str:
    return urljoin(PRINT_BASE_URL, settings.STATIC_URL)


def static_print_url(path: str) -> str:
    """Return the URL under which the PDF renderer reads static file ``path``."""
    return urljoin(_static_root_url(), path)


def static_path_of(url: str) -> str | None:
    """Return the static file path ``url`` names, or None if it names anything else.

    Only URLs under STATIC_URL qualify, and only clean relative paths: no ``..`` or
    ``.`` segments (also percent-encoded), no backslashes, no NUL, no empty segment.
    """
    root = _static_root_url()
    if not url.startswith(root):
        return None
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        return None
    relative = unquote(url[len(root) :])
    segments = relative.split("/")
    if (
        not relative
        or "\\" in relative
        or "\x00" in relative
        or any(segment in {"", ".", ".."} for segment in segments)
        or posixpath.normpath(relative) != relative
    ):
        return None
    if posixpath.splitext(relative)[1].lower() not in ALLOWED_SUFFIXES:
        return None
    return relative


class StaticFilesOnlyFetcher(URLFetcher):
    """Serve WeasyPrint the app's static files; refuse, and remember, anything else."""

    def __init__(self):
        super().__init__(allowed_protocols=(), allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        relative = static_path_of(url)
        found = None
        if relative is not None:
            try:
                found = finders.find(relative)
            except SuspiciousFileOperation:
                found = None
        if not found:
            self.refused.append(url)
            logger.warning("PDF renderer refused to fetch %s", url)
            raise PermissionError(f"refused to fetch {url}")
        content_type = mimetypes.guess_type(relative)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url,
            body=Path(found).read_bytes(),
            headers={"Content-Type": content_type},
        )


def html_to_pdf(html: str) -> bytes:
    """Render ``html`` to PDF; raise PrintResourceRefused if it reached elsewhere.

    The whole document is rendered first, so every refused URL is reported at once.
    """
    fetcher = StaticFilesOnlyFetcher()
    pdf = HTML(string=html, base_url=PRINT_BASE_URL, url_fetcher=fetcher).write_pdf()
    if fetcher.refused:
        raise PrintResourceRefused(fetcher.refused)
    return pdf


@dataclass(frozen=True)
class HeaderCell:
    label: str
    unit: str = ""
    colspan: int = 1
    rowspan: int = 1


@dataclass(frozen=True)
class PrintedCell:
    text: str
    css: str


@dataclass(frozen=True)
class PrintedRow:
    label: str
    code: str
    unit: str
    indent: int
    css: str
    cells: list[PrintedCell]


# Usable width of the page between the margins of form-print.css, in points.
CONTENT_WIDTH_PT = {False: 467.7, True: 742.7}
CODE_CHAR_PT = 5.6


def _column_widths(definition: FormDefinition, wide: bool) -> dict:
    """Return the CSS widths of the label, code and unit columns.

    The code column fits the longest row code on one line. The label column takes
    what value columns of a capped width would leave, but never less than a floor;
    the table lays the value columns out by their content.
    """
    longest_code = max((len(row.code) for row in definition.coded_rows), default=2)
    code = (max(longest_code, 3) * CODE_CHAR_PT + 10) / CONTENT_WIDTH_PT[wide] * 100
    unit = (6.5 if wide else 9.0) if definition.has_unit_column else 0.0
    label_min, value_cap = (24.0, 10.0) if wide else (36.0, 14.0)
    label = max(label_min, 100 - code - unit - value_cap * len(definition.columns))
    return {"label": f"{label:.2f}%", "code": f"{code:.2f}%", "unit": f"{unit:.2f}%"}


def _column_headers(
    definition: FormDefinition,
) -> tuple[list[HeaderCell], list[HeaderCell]]:
    """Return the top and bottom header rows of the value columns.

    Consecutive columns of one group share a spanning top cell; a column outside any
    group spans both rows. Without any group there is no bottom row.
    """
    grouped = any(column.group for column in definition.columns)
    depth = 2 if grouped else 1
    top: list[HeaderCell] = []
    bottom: list[HeaderCell] = []
    columns = list(definition.columns)
    index = 0
    while index < len(columns):
        column = columns[index]
        if not column.group:
            top.append(HeaderCell(column.label, _column_unit(column), rowspan=depth))
            index += 1
            continue
        members = [column]
        while (
            index + len(members) < len(columns)
            and columns[index + len(members)].group == column.group
        ):
            members.append(columns[index + len(members)])
        top.append(HeaderCell(column.group, colspan=len(members)))
        bottom.extend(
            HeaderCell(member.label, _column_unit(member)) for member in members
        )
        index += len(members)
    return top, bottom


def _column_unit(column) -> str:
    """Return the unit to print under a column label, unless its headers say it."""
    if not column.unit or column.unit in column.label or column.unit in column.group:
        return ""
    return column.unit


def _format_value(value, data_type: DataType, decimal_places: int) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "x" if value else ""
    if isinstance(value, str) or not data_type.is_numeric:
        return str(value)
    places = 0 if data_type is DataType.INTEGER else decimal_places
    # number_format cuts surplus decimals off; statistics round half up.
    number = Decimal(value).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    if number == 0:
        number = abs(number)
    return number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


def _printed_rows(
    definition: FormDefinition, values: Values | None
) -> list[PrintedRow]:
    grid = cell_grid(definition)
    values = values or {}
    rows = []
    for row in definition.rows:
        cells = []
        for column in definition.columns:
            spec = grid.get((row.code, column.number)) if row.code else None
            if spec is None:
                cells.append(PrintedCell("", "blank"))
                continue
            if spec.state is CellState.DISABLED:
                cells.append(PrintedCell("", "disabled"))
                continue
            text = _format_value(
                values.get((row.code, column.number)),
                column.data_type,
                column.decimal_places,
            )
            css = "computed" if spec.state is CellState.COMPUTED else "input"
            if not column.data_type.is_numeric:
                css += " value--text"
            cells.append(PrintedCell(text, css))
        classes = ["row"]
        if row.bold:
            classes.append("row--bold")
        if row.is_header:
            classes.append("row--header")
        if row.of_which:
            classes.append("row--of-which")
        rows.append(
            PrintedRow(
                label=row.label,
                code=row.code or "",
                unit=row.unit,
                indent=max(0, min(row.indent, MAX_INDENT)),
                css=" ".join(classes),
                cells=cells,
            )
        )
    return rows


def print_context(version, *, unit=None, period=None, values: Values | None = None):
    """Return the template context of the printed form; call with Vietnamese active."""
    definition = version.form_definition
    if isinstance(period, str):
        period = parse_period(period)
    top, bottom = _column_headers(definition)
    wide = len(definition.columns) > LANDSCAPE_ABOVE_COLUMNS
    code_line = form_code_line(definition.code)
    caption, code = (
        ("", code_line)
        if code_line == definition.code
        else (_("Form no.:"), definition.code)
    )
    return {
        "definition": definition,
        "code_caption": caption,
        "code": code,
        "legal_basis": legal_basis_line(version),
        "deadline": deadline_line(version, period)
        .removeprefix(_("Report due:"))
        .strip(),
        "reporting_unit": unit.name if unit is not None else DOTS,
        "receiving_unit": receiver_name(version, unit) or DOTS,
        "period_label": period.label
        if isinstance(period, Period)
        else blank_period_label(definition.period_type),
        "header_top": top,
        "header_bottom": bottom,
        "header_depth": 2 if bottom else 1,
        "rows": _printed_rows(definition, values),
        "wide": wide,
        "widths": _column_widths(definition, wide),
        "stylesheet_url": static_print_url(STYLESHEET),
    }


def form_pdf(version, *, unit=None, period=None, values: Values | None = None) -> bytes:
    """Return the printed form of ``version`` as PDF bytes.

    ``unit`` (an org unit) fills the reporting unit and, through its parent, the
    receiving unit; ``period`` is a Period or a period id; ``values`` maps
    (row code, column number) to a figure, printed Vietnamese style (1.234,5).
    Without them the form prints blank, with dotted lines to fill in by hand.
    """
    with translation.override("vi"):
        context = print_context(version, unit=unit, period=period, values=values)
        html = render_to_string("forms/print.html", context)
    return html_to_pdf(html)
