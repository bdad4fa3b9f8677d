"""The printed form: Vietnamese text with its diacritics, Vietnamese figures, the page
turned sideways for wide forms, and a renderer that reads only the app's static files.

Text comes back out of the PDF through poppler: ``pdftotext -layout`` for what sits on
one line of the page, ``pdftotext -raw`` (content order, one table cell after another)
for labels that wrap inside their cell.
"""

import logging
import os
import re
import shutil
import socket
import struct
import subprocess
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest

from forms.definition import CellOverride, CellState, ColumnDef, DataType, RowDef
from forms.definition.model import (
    DeadlineKind,
    DeadlineRule,
    FormDefinition,
    PeriodType,
)
from forms.rendering.pdf import (
    PrintResourceRefused,
    form_pdf,
    html_to_pdf,
    static_path_of,
    static_print_url,
)
from forms.services import form_import, form_template_create, regime_create
from orgunits.models import OrgUnit

ROOT = Path(__file__).resolve().parents[2]
CATALOG = sorted((ROOT / "forms" / "catalog").glob("*.json"))
ARTIFACTS = ROOT / "test-artifacts" / "pdf"
POPPLER = ("pdftotext", "pdftoppm", "pdfinfo", "pdffonts")
A4_PORTRAIT = (595.276, 841.89)


@pytest.fixture(scope="module")
def poppler():
    """Poppler reads the PDFs back; CI must have it (scripts/system-deps.sh)."""
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        message = f"{', '.join(missing)} not found: install poppler-utils"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _poppler(tool: str, pdf: bytes, tmp_path: Path, *args: str) -> str:
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        [tool, *args, str(path), "-"] if tool == "pdftotext" else [tool, *args, path],
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8")


def layout_text(pdf: bytes, tmp_path: Path) -> str:
    return _poppler("pdftotext", pdf, tmp_path, "-layout")


def cell_text(pdf: bytes, tmp_path: Path) -> str:
    """Return the text in drawing order with line breaks inside cells undone."""
    raw = _poppler("pdftotext", pdf, tmp_path, "-raw")
    return _joined(raw)


def _joined(text: str) -> str:
    # A line broken after a hyphen ("TT-" / "BNV") is joined back without a space.
    return re.sub(r"(?<=\S)-\s+", "-", " ".join(text.split()))


def page_size(pdf: bytes, tmp_path: Path) -> tuple[float, float]:
    info = _poppler("pdfinfo", pdf, tmp_path)
    match = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    return float(match[1]), float(match[2])


def first_page_png(pdf: bytes, name: str, tmp_path: Path) -> Path:
    """Render page 1 at 50 dpi into test-artifacts/pdf/ (git-ignored) for a look."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf_path = ARTIFACTS / f"{name}.pdf"
    pdf_path.write_bytes(pdf)
    prefix = ARTIFACTS / name
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile"]
        + [str(pdf_path), str(prefix)],
        check=True,
    )
    return prefix.parent / f"{prefix.name}.png"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def import_catalog_form(path: Path):
    version, _created = form_import(acting_user=None, text=path.read_bytes())
    return version


@pytest.fixture
def wide_version(db):
    """Eight value columns: a total, six parts (one decimal), a note; a cell off."""
    regime = regime_create(
        acting_user=None,
        code="TEST-PDF",
        name="Chế độ báo cáo thử nghiệm",
        legal_basis="Thông tư số 99/2025/TT-BTC ngày 01/7/2025 của Bộ Tài chính",
        issuing_agency="Bộ Tài chính",
    )
    parts = [
        ColumnDef(number, f"Nhóm tuổi {number}", group="Chia theo nhóm tuổi")
        for number in range(2, 7)
    ]
    definition = FormDefinition(
        code="0101.Q/BTC-TEST",
        title="DIỆN TÍCH VÀ DÂN SỐ ĐỂ THỬ BIỂU NGANG",
        period_type=PeriodType.QUARTER,
        unit_of_measure="Người",
        deadlines=(
            DeadlineRule(
                DeadlineKind.DAYS_AFTER_PERIOD, days=20, label="Ngày 20 tháng sau quý"
            ),
        ),
        columns=(
            ColumnDef(1, "Tổng số", formula="2 + 3 + 4 + 5 + 6"),
            *parts,
            ColumnDef(
                7, "Diện tích (km²)", data_type=DataType.DECIMAL, decimal_places=1
            ),
            ColumnDef(8, "Ghi chú", data_type=DataType.TEXT),
        ),
        rows=(
            RowDef("01", "Tổng số", bold=True, formula="02 + 03"),
            RowDef(None, "Chia theo khu vực", indent=1),
            RowDef("02", "- Thành thị", indent=2, unit="Người"),
            RowDef("03", "- Nông thôn", indent=2, unit="Người"),
            RowDef("04", "Trong đó: Xã đảo", indent=3, unit="Người", of_which=True),
        ),
        cells=(CellOverride("04", 7, CellState.DISABLED),),
    )
    return form_template_create(acting_user=None, regime=regime, definition=definition)


# --- Blank forms from the catalog ---------------------------------------------------


@pytest.mark.parametrize("path", CATALOG, ids=lambda path: path.name)
def test_blank_catalog_form_prints_every_label_with_its_diacritics(
    db, path, poppler, tmp_path
):
    version = import_catalog_form(path)
    definition = version.form_definition

    pdf = form_pdf(version)

    page = layout_text(pdf, tmp_path)
    assert unicodedata.is_normalized("NFC", page)
    first_title_words = " ".join(definition.title.split()[:3])
    for label in (
        first_title_words,
        "Ngày nhận báo cáo:",
        "Đơn vị báo cáo:",
        "Đơn vị nhận báo cáo:",
        "Chỉ tiêu",
        "Người lập biểu",
        "(Ký, họ tên)",
        "Thủ trưởng đơn vị",
        "(Ký, họ tên, đóng dấu)",
        "ngày …… tháng …… năm ……",
        "Năm ……",
    ):
        assert unicodedata.normalize("NFC", label) in page, label
    signatures = next(line for line in page.splitlines() if "Người lập biểu" in line)
    assert signatures.index("Người lập biểu") < signatures.index("Thủ trưởng đơn vị")

    cells = cell_text(pdf, tmp_path)
    assert unicodedata.is_normalized("NFC", cells)
    assert _joined(definition.title) in cells
    assert _joined(definition.code) in cells
    assert _joined(definition.legal_basis) in cells
    for row in definition.rows:
        assert _joined(row.label) in cells, row.label
    for column in definition.columns:
        assert _joined(column.label) in cells, column.label
    numbering = ["A", "B", "C"] if definition.has_unit_column else ["A", "B"]
    numbering += [str(column.number) for column in definition.columns]
    assert " ".join(numbering) in cells

    assert page_size(pdf, tmp_path) == pytest.approx(A4_PORTRAIT, abs=0.5)
    width, height = png_size(first_page_png(pdf, path.name.split(".form")[0], tmp_path))
    assert (width, height) == pytest.approx((413, 585), abs=2)


def test_awards_form_has_its_official_header(db, poppler, tmp_path):
    version = import_catalog_form(CATALOG[0])

    pdf = form_pdf(version)

    page = layout_text(pdf, tmp_path)
    cells = cell_text(pdf, tmp_path)

    assert "Biểu số: 0603.N/BNV-TĐKT" in page
    assert "SỐ LƯỢNG KHEN THƯỞNG" in page
    assert "Ban hành kèm theo Thông tư số 02/2023/TT-BNV" in cells
    assert "Chiến sĩ thi đua cấp bộ, cấp tỉnh" in cells
    assert "Chia ra" in cells
    assert "Đơn vị tính" in cells


def test_form_without_unit_column_prints_no_c_column(db, poppler, tmp_path):
    version = import_catalog_form(
        next(path for path in CATALOG if path.name.startswith("0605"))
    )

    cells = cell_text(form_pdf(version), tmp_path)

    assert "A B 1 2" in cells
    assert "Đơn vị tính" not in cells
    assert " C " not in cells


def test_labour_market_form_prints_its_deadline_and_own_caption(db, poppler, tmp_path):
    version = import_catalog_form(
        next(path for path in CATALOG if path.name.startswith("Mau04"))
    )

    pdf = form_pdf(version)

    cells = cell_text(pdf, tmp_path)
    assert "Ngày nhận báo cáo: Trước ngày 15/12 hằng năm" in cells
    # The code names itself ("Mẫu số 04/..."): no "Biểu số:" in front of it.
    assert "Biểu số" not in cells
    assert "Mẫu số 04/TT01-2022-BLĐTBXH" in cells
    assert "THÔNG TIN NGƯỜI LAO ĐỘNG NƯỚC NGOÀI LÀM VIỆC TẠI VIỆT NAM" in cells
    # The table runs over several pages; each repeats the column headers.
    pages = int(re.search(r"Pages:\s+(\d+)", _poppler("pdfinfo", pdf, tmp_path))[1])
    assert pages > 1
    for number in range(2, pages + 1):
        page = _poppler(
            "pdftotext", pdf, tmp_path, "-layout", "-f", str(number), "-l", str(number)
        )
        assert re.search(r"Chỉ tiêu\s+Mã số\s+.*Kỳ trước\s+Kỳ báo cáo", page), number
        assert re.search(r"^\s*A\s+B\s+C\s+1\s+2\s*$", page, re.MULTILINE), number


# --- Filled forms --------------------------------------------------------------------


def test_filled_form_prints_unit_period_and_vietnamese_figures(db, poppler, tmp_path):
    version = import_catalog_form(CATALOG[0])
    unit = (
        OrgUnit.objects.filter(parent__isnull=False, parent__parent__isnull=True)
        .select_related("parent")
        .order_by("code")
        .first()
    )
    values = {
        ("01", 1): Decimal("1234567"),
        ("02", 2): Decimal("1234"),
        ("05", 3): Decimal("999.6"),
        ("17", 5): Decimal("0"),
    }

    pdf = form_pdf(version, unit=unit, period="2025", values=values)

    cells = cell_text(pdf, tmp_path)
    assert f"Đơn vị báo cáo: {_joined(unit.name)}" in cells
    # 0603 is received nationally: the issuing agency of its regime, as the form says
    assert f"Đơn vị nhận báo cáo: {_joined('Bộ Nội vụ')}" in cells
    assert "Năm 2025" in cells
    assert "Ngày nhận báo cáo" in cells
    page = layout_text(pdf, tmp_path)
    assert re.search(r"Tổng số\s+01\s+1\.234\.567\b", page)
    assert re.search(r"- Tập thể\s+02\s+Tập thể\s+1\.234\b", page)
    # Integer columns round half up: 999,6 prints as 1.000.
    assert re.search(r"- Cá nhân\s+05\s+Người\s+1\.000\b", page)
    assert re.search(r"- Kháng chiến\s+17\s+0\b", page)
    assert "1234567" not in page and "1,234" not in page


# --- Wide forms ----------------------------------------------------------------------


def test_wide_form_prints_landscape_with_groups_states_and_decimals(
    wide_version, poppler, tmp_path
):
    values = {
        ("01", 1): Decimal("25000"),
        ("02", 7): Decimal("1234.56"),
        ("03", 7): Decimal("-0.04"),
        ("02", 8): "Số liệu ước tính",
        ("04", 7): Decimal("5"),  # a disabled cell prints nothing
    }

    pdf = form_pdf(wide_version, period="2025Q3", values=values)

    width, height = page_size(pdf, tmp_path)
    assert width > height
    assert (width, height) == pytest.approx(A4_PORTRAIT[::-1], abs=0.5)
    png = first_page_png(pdf, "wide-landscape", tmp_path)
    assert png_size(png) == pytest.approx((585, 413), abs=2)
    cells = cell_text(pdf, tmp_path)
    assert "Quý III năm 2025" in cells
    # For a given period the date itself is printed: 20 days after 30/09/2025
    assert "Ngày nhận báo cáo: 20/10/2025" in cells
    assert "Đơn vị tính: Người" in cells
    assert "Chia theo nhóm tuổi" in cells
    assert "A B C 1 2 3 4 5 6 7 8" in cells
    assert "Diện tích (km²)" in cells
    page = layout_text(pdf, tmp_path)
    assert re.search(r"Tổng số\s+01\s+25\.000\b", page)
    assert re.search(r"- Thành thị\s+02\s+Người\s+1\.234,6\s+Số liệu ước tính", page)
    assert re.search(r"- Nông thôn\s+03\s+Người\s+0,0\s*$", page, re.MULTILINE)
    assert re.search(r"Trong đó: Xã đảo\s+04\s+Người\s*$", page, re.MULTILINE)


def test_fonts_are_the_shipped_liberation_serif_embedded(
    wide_version, poppler, tmp_path
):
    fonts = _poppler("pdffonts", form_pdf(wide_version), tmp_path)

    rows = fonts.splitlines()[2:]
    assert rows
    for row in rows:
        assert "Form-Serif" in row.split()[0], row
        assert row.split()[-5:-2] == ["yes", "yes", "yes"], row  # emb sub uni


# --- Only static files ---------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test on any outgoing connection; record attempts for the assertion."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        pytest.fail(f"a network connection was attempted: {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_renderer_refuses_network_and_local_files(no_network, caplog):
    # A Celery worker started by an earlier test may have reconfigured logging and
    # disabled existing loggers; the refusal must be logged whatever ran before.
    pdf_logger = logging.getLogger("forms.rendering.pdf")
    pdf_logger.disabled = False
    caplog.set_level(logging.WARNING, logger="forms.rendering.pdf")
    html = (
        '<html><head><link rel="stylesheet" href="file:///etc/passwd"></head>'
        '<body><img src="http://127.0.0.1:9/x.png"><p>Xin chào</p></body></html>'
    )

    with pytest.raises(PrintResourceRefused) as error:
        html_to_pdf(html)

    assert error.value.urls == ["file:///etc/passwd", "http://127.0.0.1:9/x.png"]
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert "PDF renderer refused to fetch file:///etc/passwd" in refusals
    assert "PDF renderer refused to fetch http://127.0.0.1:9/x.png" in refusals
    assert no_network == []


@pytest.mark.parametrize(
    ("markup", "url"),
    [
        ('<img src="https://example.com/logo.png">', "https://example.com/logo.png"),
        ('<img src="data:image/png;base64,iVBORw0KGgo=">', "data:image/png;base64,"),
        ("<style>@import url(file:///etc/passwd);</style>", "file:///etc/passwd"),
        (
            "<style>@font-face { font-family: x; src: url(http://10.0.0.1/f.ttf) }"
            " p { font-family: x }</style>",
            "http://10.0.0.1/f.ttf",
        ),
        ('<base href="file:///etc/"><img src="passwd">', "file:///etc/passwd"),
        ('<link rel="attachment" href="file:///etc/hosts">', "file:///etc/hosts"),
        (
            '<a rel="attachment" href="http://127.0.0.1:9/a">a</a>',
            "http://127.0.0.1:9/a",
        ),
        (
            '<object data="http://127.0.0.1:9/o.svg"></object>',
            "http://127.0.0.1:9/o.svg",
        ),
        ('<img src="../../../../etc/passwd.png">', "https://print.invalid/etc/"),
        (
            '<img src="https://print.invalid/static/../../etc/x.png">',
            "https://print.invalid/static/../../etc/x.png",
        ),
        (
            '<img src="https://print.invalid/static/%2e%2e/%2e%2e/etc/x.png">',
            "https://print.invalid/static/%2e%2e",
        ),
        ('<img src="static/vendor/htmx.min.js">', "static/vendor/htmx.min.js"),
        ('<img src="static/fonts/missing.ttf">', "static/fonts/missing.ttf"),
        ('<img src="ftp://127.0.0.1/x.png">', "ftp://127.0.0.1/x.png"),
    ],
)
def test_renderer_refuses_everything_but_static_files(markup, url, no_network):
    with pytest.raises(PrintResourceRefused) as error:
        html_to_pdf(f"<html><body>{markup}<p>x</p></body></html>")

    assert any(url in refused for refused in error.value.urls), error.value.urls
    assert no_network == []


def test_renderer_serves_the_print_stylesheet_and_fonts(no_network, poppler, tmp_path):
    html = (
        f'<html><head><link rel="stylesheet" href="{static_print_url("css/form-print.css")}">'
        "</head><body><p>Người lập biểu <b>Thủ trưởng</b> <i>ký</i></p></body></html>"
    )

    pdf = html_to_pdf(html)

    fonts = _poppler("pdffonts", pdf, tmp_path)
    assert "Form-Serif-Bold" in fonts and "Form-Serif-Italic" in fonts
    assert "Người lập biểu" in layout_text(pdf, tmp_path)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://print.invalid/static/css/form-print.css", "css/form-print.css"),
        (
            "https://print.invalid/static/fonts/LiberationSerif-Bold.ttf",
            "fonts/LiberationSerif-Bold.ttf",
        ),
        ("https://print.invalid/static/css/form-print.css?x=1", None),
        ("https://print.invalid/static//etc/passwd.css", None),
        ("https://print.invalid/static/./css/form-print.css", None),
        ("https://print.invalid/static/css/..%2f..%2fsecret.css", None),
        ("https://print.invalid/static/css\\form-print.css", None),
        ("https://print.invalid/static/vendor/htmx.min.js", None),
        ("https://print.invalid/media/x.png", None),
        ("https://print.invalid.example.com/static/css/form-print.css", None),
        ("file:///work/main/static/css/form-print.css", None),
    ],
)
def test_static_path_of_accepts_only_clean_paths_under_static_url(url, path):
    assert static_path_of(url) == path
