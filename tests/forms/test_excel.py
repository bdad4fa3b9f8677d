"""The Excel template: the official form as a protected sheet that totals itself."""

import json
import os
import re
import shutil
import subprocess
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from forms.definition import (
    CellOverride,
    CellState,
    ColumnDef,
    DataType,
    FormDefinition,
    RowDef,
)
from forms.definition.formula import Range, evaluate
from forms.definition.grid import cell_grid, expand_reference
from forms.definition.layout import SheetLayout
from forms.definition.periods import parse_period
from forms.rendering.excel import template_filename, template_xlsx
from forms.rendering.excel_metadata import (
    CELL_TABLE_COLUMN,
    CELL_TABLE_HEADER,
    METADATA_FORMAT,
    METADATA_SHEET,
    definition_digest,
)
from forms.services import form_import, form_template_create, regime_create
from orgunits.models import OrgUnit
from orgunits.services import REFORM_DATE

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CATALOG = {
    json.loads(path.read_text(encoding="utf-8"))["code"]: path
    for path in sorted((ROOT / "forms" / "catalog").glob("*.form.json"))
}
AWARDS = "0603.N/BNV-TĐKT"
LABOUR_MARKET = "Mẫu số 04/TT01-2022-BLĐTBXH"
ARTIFACTS = ROOT / "test-artifacts" / "excel"


@pytest.fixture
def catalog():
    """Every catalog form, imported and published, by form code."""
    return {
        code: form_import(acting_user=None, text=path.read_bytes())[0]
        for code, path in CATALOG.items()
    }


def sample_form() -> FormDefinition:
    """A form with every kind of cell the catalog lacks: a range across a header
    row, a cell formula, a division, a disabled cell, percent and text columns."""
    return FormDefinition(
        code="99.N/TEST",
        title="Biểu thử nghiệm",
        columns=(
            ColumnDef(1, "Tổng số", formula="2 + 3"),
            ColumnDef(2, "Nam", group="Chia ra"),
            ColumnDef(3, "Nữ", group="Chia ra"),
            ColumnDef(4, "Tỷ lệ nữ (%)", data_type=DataType.PERCENT, decimal_places=1),
            ColumnDef(5, "Ghi chú", data_type=DataType.TEXT),
        ),
        rows=(
            RowDef("01", "Tổng số", bold=True, formula="02 + 03"),
            RowDef(None, "1. Chia theo khu vực", indent=1),
            RowDef("02", "- Thành thị", indent=2, unit="Người"),
            RowDef("03", "- Nông thôn", indent=2, unit="Người"),
            RowDef(None, "2. Chia theo độ tuổi", indent=1),
            RowDef("04", "- Dưới 30 tuổi", indent=2, unit="Người"),
            RowDef("05", "- Từ 30 tuổi trở lên", indent=2, unit="Người"),
            RowDef("06", "Cộng theo độ tuổi", formula="04..05"),
            RowDef("07", "Thành thị và dưới 30 tuổi", formula="03..04"),
        ),
        cells=(
            CellOverride("05", 3, CellState.DISABLED),
            CellOverride("02", 2, CellState.COMPUTED, formula="[03:2] * 2"),
            CellOverride("01", 4, CellState.COMPUTED, formula="[01:3] / [01:1] * 100"),
        ),
    )


@pytest.fixture
def sample_version():
    regime = regime_create(
        acting_user=None,
        code="TEST",
        name="Chế độ báo cáo thử nghiệm",
        legal_basis="Thông tư số 99/2026/TT-TEST",
        issuing_agency="Bộ Thử nghiệm",
    )
    return form_template_create(
        acting_user=None, regime=regime, definition=sample_form()
    )


def open_template(data: bytes, **options):
    return load_workbook(BytesIO(data), **options)


def metadata_of(workbook) -> tuple[dict, dict]:
    """Return the key/value rows and the cell table of the metadata sheet."""
    sheet = workbook[METADATA_SHEET]
    pairs = {}
    for key, value in sheet.iter_rows(min_col=1, max_col=2, values_only=True):
        if key is None:
            break
        pairs[key] = value
    rows = sheet.iter_rows(
        min_col=CELL_TABLE_COLUMN,
        max_col=CELL_TABLE_COLUMN + len(CELL_TABLE_HEADER) - 1,
        values_only=True,
    )
    assert next(rows) == CELL_TABLE_HEADER
    cells = {
        (row_code, column): (address, state, data_type)
        for row_code, column, address, state, data_type in rows
        if row_code is not None
    }
    return pairs, cells


# --- the grid: what may be typed and where -------------------------------------------


@pytest.mark.parametrize("code", CATALOG)
def test_only_the_input_cells_are_unlocked_at_their_layout_addresses(catalog, code):
    # given a published catalog form
    version = catalog[code]
    definition = version.form_definition
    layout = SheetLayout.for_definition(definition)
    grid = cell_grid(definition)

    # when its template is generated
    workbook = open_template(template_xlsx(version))
    sheet = workbook.worksheets[0]

    # then exactly the input cells are unlocked, each where the layout says
    inputs = {
        layout.address(*key)
        for key, spec in grid.items()
        if spec.state.value == "input"
    }
    unlocked = {
        cell.coordinate
        for row in sheet.iter_rows()
        for cell in row
        if not cell.protection.locked
    }
    assert inputs and unlocked == inputs
    for key, spec in grid.items():
        cell = sheet[layout.address(*key)]
        if spec.state is CellState.INPUT:
            assert cell.fill.fgColor.rgb.endswith("FFF2CC")
            assert cell.value is None
        elif spec.state is CellState.COMPUTED:
            assert cell.protection.locked
            assert str(cell.value).startswith("=")
    # and the sheet is protected, the header and labels with it
    assert sheet.protection.sheet and sheet.protection.password
    assert sheet["A1"].protection.locked
    assert sheet.cell(layout.first_data_row, 1).protection.locked


@pytest.mark.parametrize("code", CATALOG)
def test_labels_codes_and_units_sit_on_their_rows(catalog, code):
    version = catalog[code]
    definition = version.form_definition
    layout = SheetLayout.for_definition(definition)

    sheet = open_template(template_xlsx(version)).worksheets[0]

    assert sheet.title == sheet_title_of(code)
    assert len(sheet.title) <= 31 and not re.search(r"[\[\]:*?/\\]", sheet.title)
    for offset, row in enumerate(definition.rows):
        sheet_row = layout.first_data_row + offset
        assert sheet.cell(sheet_row, layout.label_column).value == row.label
        assert sheet.cell(sheet_row, layout.label_column).alignment.indent == row.indent
        assert sheet.cell(sheet_row, layout.label_column).font.b == row.bold
        assert sheet.cell(sheet_row, layout.code_column).value == row.code
        if layout.unit_column:
            assert sheet.cell(sheet_row, layout.unit_column).value == (row.unit or None)
        if row.is_header:
            assert sheet.cell(sheet_row, layout.label_column).font.i
            values = [
                sheet.cell(sheet_row, layout.value_column(column.number))
                for column in definition.columns
            ]
            assert all(cell.value is None and cell.protection.locked for cell in values)
    numbering = [
        sheet.cell(layout.numbering_row, column).value
        for column in range(1, layout.last_column + 1)
    ]
    assert numbering == [
        *layout.text_column_letters(),
        *(column.number for column in definition.columns),
    ]


def sheet_title_of(code: str) -> str:
    return {
        AWARDS: "0603.N-BNV-TĐKT",
        "0604.N/BNV-TĐKT": "0604.N-BNV-TĐKT",
        "0605.N/BNV-TĐKT": "0605.N-BNV-TĐKT",
        LABOUR_MARKET: "Mẫu số 04-TT01-2022-BLĐTBXH",
    }[code]


def test_the_awards_form_prints_like_the_annex(catalog):
    sheet = open_template(template_xlsx(catalog[AWARDS])).worksheets[0]

    # header block, rows 1-7
    assert sheet["A1"].value == "Biểu số: 0603.N/BNV-TĐKT"
    assert sheet["A2"].value.startswith("Ban hành kèm theo Thông tư số 02/2023/TT-BNV")
    assert sheet["A3"].value.startswith("Ngày nhận báo cáo:")
    assert "Đơn vị nhận báo cáo: Bộ Nội vụ" in row_texts(sheet, 2)
    assert sheet["A4"].value.startswith("SỐ LƯỢNG KHEN THƯỞNG")
    assert sheet["A4"].font.b and sheet["A4"].alignment.horizontal == "center"
    assert "A4:H4" in merged(sheet)
    assert "Năm ……" in sheet["A5"].value
    # column headers: text columns span both header rows, "Chia ra" spans 2-5
    assert (sheet["A8"].value, sheet["B8"].value, sheet["C8"].value) == (
        "Chỉ tiêu",
        "Mã số",
        "Đơn vị tính",
    )
    assert {"A8:A9", "B8:B9", "C8:C9", "D8:D9", "E8:H8"} <= merged(sheet)
    assert (sheet["D8"].value, sheet["E8"].value, sheet["E9"].value) == (
        "Tổng số",
        "Chia ra",
        "Bằng khen",
    )
    # rows
    assert (sheet["A11"].value, sheet["B11"].value) == ("Tổng số", "01")
    assert (sheet["A13"].value, sheet["B13"].value, sheet["C13"].value) == (
        "- Tập thể",
        "02",
        "Tập thể",
    )
    # formulas: column 1 = 2 + 3 + 4 + 5, row 01 = 02 + 04 + 05
    assert sheet["D13"].value == "=E13+F13+G13+H13"
    assert sheet["E11"].value == "=E13+E15+E16"
    assert sheet["D11"].value == "=E11+F11+G11+H11"
    # signature block after the table (last data row 29)
    assert sheet["A32"].value == "Người lập biểu"
    assert sheet["A33"].value == "(Ký, họ tên)"
    assert "Thủ trưởng đơn vị" in row_texts(sheet, 32)
    assert "(Ký, họ tên, đóng dấu)" in row_texts(sheet, 33)
    assert any("ngày" in text and "tháng" in text for text in row_texts(sheet, 31))
    # print setup: A4, five value columns fit a portrait page
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert sheet.page_setup.orientation == "portrait"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth == 1


def row_texts(sheet, row: int) -> list[str]:
    return [cell.value for cell in sheet[row] if isinstance(cell.value, str)]


def merged(sheet) -> set[str]:
    return {str(cell_range) for cell_range in sheet.merged_cells.ranges}


def test_formulas_become_excel_formulas_over_layout_addresses(sample_version):
    # given a form with ranges, a cell formula and a division (rows 11-19, D-H)
    sheet = open_template(template_xlsx(sample_version)).worksheets[0]

    # then each computed cell holds the Excel formula of its form formula
    assert sheet["D11"].value == "=E11+F11"  # column formula 2 + 3
    assert sheet["F11"].value == "=F13+F14"  # row formula 02 + 03
    assert sheet["E13"].value == "=E14*2"  # cell formula [03:2] * 2
    assert sheet["E18"].value == "=SUM(E16:E17)"  # 04..05: neighbours
    assert sheet["E19"].value == "=SUM(E14,E16)"  # 03..04: a header row between
    assert sheet["G11"].value == '=IFERROR(F11/D11*100,"")'
    # and the row formula stays off the text column, which takes input
    assert sheet["H11"].value is None and not sheet["H11"].protection.locked
    # the disabled cell is grey, empty and locked
    disabled = sheet["F17"]
    assert disabled.value is None and disabled.protection.locked
    assert disabled.fill.fgColor.rgb.endswith("BFBFBF")


def test_numeric_input_cells_refuse_text(sample_version):
    sheet = open_template(template_xlsx(sample_version)).worksheets[0]

    rules = sheet.data_validations.dataValidation
    kind_of = {}
    for address in ("F13", "G13", "H13"):
        found = [rule for rule in rules if address in rule.sqref]
        kind_of[address] = found[0].type if found else None
        assert all(rule.showErrorMessage for rule in found)
    # integer column: whole numbers; percent: decimals; text column: anything
    assert kind_of == {"F13": "whole", "G13": "decimal", "H13": None}
    assert sheet["G13"].number_format == "#,##0.0"
    assert sheet["H13"].number_format == "@"


def test_values_prefill_input_cells_only(sample_version):
    # given values for an input cell, a text cell and a computed cell
    values = {
        ("03", 2): Decimal("12"),
        ("03", 4): Decimal("45.5"),
        ("03", 5): "số liệu ước tính",
        ("01", 1): Decimal("999"),
    }

    # when the template is pre-filled with them
    sheet = open_template(template_xlsx(sample_version, values=values)).worksheets[0]

    # then the inputs hold them and the computed cell keeps its formula
    assert (sheet["E14"].value, sheet["G14"].value) == (12, 45.5)
    assert sheet["H14"].value == "số liệu ước tính"
    assert sheet["D11"].value == "=E11+F11"


# --- header and metadata --------------------------------------------------------------


@pytest.mark.parametrize("code", CATALOG)
def test_metadata_sheet_is_hidden_and_names_the_version(catalog, code):
    version = catalog[code]
    definition = version.form_definition
    layout = SheetLayout.for_definition(definition)

    workbook = open_template(template_xlsx(version))

    sheet = workbook[METADATA_SHEET]
    assert workbook.sheetnames[0] != METADATA_SHEET
    assert sheet.sheet_state in {"hidden", "veryHidden"}
    assert sheet.protection.sheet
    pairs, cells = metadata_of(workbook)
    assert pairs == {
        "key": "value",
        "format": METADATA_FORMAT,
        "format_version": 1,
        "sheet": workbook.sheetnames[0],
        "form_code": code,
        "form_version": version.number,
        "version_id": version.pk,
        "definition_sha256": definition_digest(definition),
        "unit_code": None,
        "unit_id": None,
        "unit_valid_from": None,
        "period_id": None,
    }
    assert cells == {
        key: (layout.address(*key), spec.state.value, spec.data_type.value)
        for key, spec in cell_grid(definition).items()
    }


def test_template_for_a_unit_and_period_names_them(catalog):
    # given a province after the 2025 reform and the year 2026
    hanoi = OrgUnit.objects.get(
        level__code="province", code="01", valid_from=REFORM_DATE
    )
    period = parse_period("2026")

    # when the awards form's template is generated for them
    workbook = open_template(template_xlsx(catalog[AWARDS], unit=hanoi, period=period))
    sheet = workbook.worksheets[0]

    # then the header names the unit and the period, the footer its place
    assert f"Đơn vị báo cáo: {hanoi.name}" in row_texts(sheet, 1)
    assert "Đơn vị nhận báo cáo: Bộ Nội vụ" in row_texts(sheet, 2)
    assert sheet["A5"].value.endswith("Năm 2026")
    assert any(text.startswith("Hà Nội, ") for text in row_texts(sheet, 31))
    # and so does the metadata
    pairs, _cells = metadata_of(workbook)
    assert (pairs["unit_code"], pairs["unit_id"]) == ("01", hanoi.pk)
    assert (pairs["unit_valid_from"], pairs["period_id"]) == ("2025-07-01", "2026")


def test_deadline_is_the_rule_label_or_the_date_for_a_period(catalog):
    version = catalog[LABOUR_MARKET]

    blank = open_template(template_xlsx(version)).worksheets[0]
    dated = open_template(
        template_xlsx(version, period=parse_period("2026"))
    ).worksheets[0]

    assert blank["A1"].value == LABOUR_MARKET  # the code names itself
    assert blank["A3"].value == "Ngày nhận báo cáo: Trước ngày 15/12 hằng năm"
    assert dated["A3"].value == "Ngày nhận báo cáo: 15/12/2026"


def test_parent_receives_when_the_form_says_so(sample_version):
    # given a commune after the reform, whose parent is its province
    commune = (
        OrgUnit.objects.filter(level__code="commune", valid_from=REFORM_DATE)
        .select_related("parent")
        .order_by("code")
        .first()
    )

    sheet = open_template(template_xlsx(sample_version, unit=commune)).worksheets[0]

    assert f"Đơn vị nhận báo cáo: {commune.parent.name}" in row_texts(sheet, 2)


def test_file_names_are_ascii(catalog):
    hanoi = OrgUnit.objects.get(
        level__code="province", code="01", valid_from=REFORM_DATE
    )
    period = parse_period("2026")

    assert (
        template_filename(catalog[AWARDS], period=period)
        == "0603.N-BNV-TDKT_v1_2026.xlsx"
    )
    assert (
        template_filename(catalog[AWARDS], unit=hanoi, period=parse_period("2026Q3"))
        == "0603.N-BNV-TDKT_v1_01_2026Q3.xlsx"
    )
    assert template_filename(catalog[LABOUR_MARKET]) == (
        "Mau-so-04-TT01-2022-BLDTBXH_v1.xlsx"
    )


# --- LibreOffice: the sheet really totals itself and prints --------------------------


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        message = "LibreOffice (soffice) is missing: run scripts/system-deps.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        message = f"{tool} is missing (poppler-utils): run scripts/system-deps.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def convert(source: Path, target: str, tmp_path: Path) -> Path:
    """Convert ``source`` with a headless LibreOffice of its own (own profile, so
    parallel runs never share one); return the converted file."""
    out = tmp_path / f"converted-{target}"
    out.mkdir(exist_ok=True)
    profile = tmp_path / "lo-profile"
    result = subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(source),
        ],
        env={**os.environ, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    converted = out / f"{source.stem}.{target}"
    assert converted.exists(), result.stdout + result.stderr
    return converted


def expected_totals(definition: FormDefinition, inputs: dict) -> dict:
    """Return what every computed cell must show, by the form engine's arithmetic."""
    grid = cell_grid(definition)
    known: dict = {}

    def value(key):
        spec = grid.get(key)
        if spec is None or spec.state is CellState.DISABLED:
            return None
        if spec.state is CellState.INPUT:
            return inputs.get(key)
        if key not in known:

            def lookup(reference):
                cells = expand_reference(definition, reference, spec.row, spec.column)
                found = [value(cell) for cell in cells]
                return found if isinstance(reference, Range) else found[0]

            known[key] = evaluate(spec.formula, lookup)
        return known[key]

    return {
        key: value(key)
        for key, spec in grid.items()
        if spec.state is CellState.COMPUTED
    }


def fill_inputs(definition: FormDefinition) -> dict:
    """Return a distinct figure for every numeric input cell."""
    return {
        key: Decimal(10 * index + key[1])
        for index, (key, spec) in enumerate(cell_grid(definition).items(), start=1)
        if spec.state is CellState.INPUT and spec.data_type.is_numeric
    }


@pytest.mark.libreoffice
def test_libreoffice_computes_the_totals_of_a_filled_template(catalog, tmp_path):
    # given the awards template, filled in cell by cell as a reporter would
    version = catalog[AWARDS]
    definition = version.form_definition
    layout = SheetLayout.for_definition(definition)
    workbook = open_template(template_xlsx(version))
    inputs = fill_inputs(definition)
    for key, figure in inputs.items():
        workbook.worksheets[0][layout.address(*key)] = int(figure)
    filled = tmp_path / "filled.xlsx"
    workbook.save(filled)

    # when LibreOffice opens and saves it
    converted = convert(filled, "xlsx", tmp_path)

    # then every computed cell holds the total the form defines
    sheet = load_workbook(converted, data_only=True).worksheets[0]
    totals = expected_totals(definition, inputs)
    assert totals[("01", 1)] == sum(
        inputs[(code, number)] for code in ("02", "04", "05") for number in (2, 3, 4, 5)
    )
    assert {key: sheet[layout.address(*key)].value for key in totals} == {
        key: int(total) for key, total in totals.items()
    }


@pytest.mark.libreoffice
def test_libreoffice_computes_ranges_cell_formulas_and_divisions(
    sample_version, tmp_path
):
    # given the sample template pre-filled with figures
    definition = sample_version.form_definition
    layout = SheetLayout.for_definition(definition)
    inputs = fill_inputs(definition)
    source = tmp_path / "sample.xlsx"
    source.write_bytes(template_xlsx(sample_version, values=inputs))

    # when LibreOffice recalculates it
    sheet = load_workbook(convert(source, "xlsx", tmp_path), data_only=True).worksheets[
        0
    ]

    # then each computed cell agrees with the form engine
    totals = expected_totals(definition, inputs)
    assert totals[("01", 4)] is not None
    for key, total in totals.items():
        assert sheet[layout.address(*key)].value == pytest.approx(float(total)), key


@pytest.mark.libreoffice
def test_the_template_prints_on_one_page_without_its_metadata(catalog, tmp_path):
    # given the awards template for Hà Nội, 2026
    hanoi = OrgUnit.objects.get(
        level__code="province", code="01", valid_from=REFORM_DATE
    )
    version = catalog[AWARDS]
    source = tmp_path / template_filename(version, unit=hanoi)
    source.write_bytes(template_xlsx(version, unit=hanoi, period=parse_period("2026")))

    # when LibreOffice prints it
    pdf = convert(source, "pdf", tmp_path)

    # then one page carries the form and nothing of the hidden sheet
    text = subprocess.run(
        [poppler("pdftotext"), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert text.count("\f") == 1
    for expected in ("Biểu số: 0603.N/BNV-TĐKT", hanoi.name, "Người lập biểu"):
        assert expected in text
    assert "SỐ LƯỢNG KHEN THƯỞNG" in text
    assert definition_digest(version.form_definition) not in text
    # a picture to look at, kept out of git
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [poppler("pdftoppm"), "-png", "-r", "60", str(pdf), str(ARTIFACTS / "0603")],
        check=True,
        timeout=60,
    )
