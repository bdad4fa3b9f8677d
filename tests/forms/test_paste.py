"""Lines pasted into the builder, read as rows, columns, formulas and deadlines (no
database)."""

from dataclasses import replace
from pathlib import Path

import pytest

from forms.definition import CellOverride, CellState, ColumnDef, DataType, RowDef
from forms.definition.model import DeadlineKind, DeadlineRule, FormDefinition
from forms.definition.paste import (
    Section,
    assemble_definition,
    definition_texts,
    parse_columns,
    parse_deadlines,
    parse_formulas,
    parse_rows,
)
from forms.definition.serialize import definition_from_json

CATALOG = sorted(
    (Path(__file__).resolve().parents[2] / "forms" / "catalog").glob("*.json")
)


def test_rows_pasted_from_a_spreadsheet():
    # given tab-separated lines as a spreadsheet puts them on the clipboard
    text = (
        "01\tTổng số\t\t0\tbold\n"
        "\t1. Chia theo đối tượng\t\t1\n"
        "02\t- Tập thể\tTập thể\t2\n"
        "03\tTrong đó: Doanh nghiệp\tDoanh nghiệp\t3\n"
        "\n"
        "04\t- Cá nhân\tNgười\t2\n"
    )
    pasted = parse_rows(text)
    assert pasted.problems == ()
    assert pasted.items == (
        RowDef("01", "Tổng số", bold=True),
        RowDef(None, "1. Chia theo đối tượng", indent=1),
        RowDef("02", "- Tập thể", indent=2, unit="Tập thể"),
        RowDef("03", "Trong đó: Doanh nghiệp", indent=3, unit="Doanh nghiệp", of_which=True),
        RowDef("04", "- Cá nhân", indent=2, unit="Người"),
    )  # fmt: skip
    # and each row knows its line (the blank line 5 is skipped)
    assert pasted.lines == (1, 2, 3, 4, 6)


def test_indentation_from_leading_tabs_or_spaces_and_typed_bars():
    text = "01 | Tổng số\n\t1. Nhóm\n02\t\t\tCon\n03 |     Cháu | Người"
    rows = parse_rows(text).items
    assert [(row.code, row.label, row.indent, row.unit) for row in rows] == [
        ("01", "Tổng số", 0, ""),
        (None, "1. Nhóm", 0, ""),
        ("02", "Con", 2, ""),
        ("03", "Cháu", 2, "Người"),
    ]


def test_rows_copied_in_the_annex_order_label_code_unit():
    text = "Tổng số\t01\tNgười\n- Nam giới\t02\tNgười\n- Nữ giới\t03\tNgười"
    rows = parse_rows(text).items
    assert [(row.code, row.label, row.unit) for row in rows] == [
        ("01", "Tổng số", "Người"),
        ("02", "- Nam giới", "Người"),
        ("03", "- Nữ giới", "Người"),
    ]


def test_row_problems_are_reported_on_their_lines():
    pasted = parse_rows("01\tA\t\tx\n02\tB\t\t9\n03\tC\t\t1\tblink")
    assert [(p.code, p.params["line"]) for p in pasted.problems] == [
        ("indent_invalid", 1),
        ("indent_invalid", 2),
        ("option_unknown", 3),
    ]
    assert [row.indent for row in pasted.items] == [0, 6, 1]


def test_columns_with_types_groups_and_places():
    text = "1\tTổng số\n2\tNam\tsố nguyên\tChia ra\n(3)\tTỷ lệ\tpercent\t\t1\n4\tGhi chú\tchữ"
    pasted = parse_columns(text)
    assert pasted.problems == ()
    assert pasted.items == (
        ColumnDef(1, "Tổng số"),
        ColumnDef(2, "Nam", group="Chia ra"),
        ColumnDef(3, "Tỷ lệ", data_type=DataType.PERCENT, decimal_places=1),
        ColumnDef(4, "Ghi chú", data_type=DataType.TEXT),
    )


def test_columns_without_numbers_are_numbered_in_order_and_bad_types_reported():
    pasted = parse_columns("Tổng số\nNam\tcolour\nNữ\tdecimal\t\tx")
    assert [column.number for column in pasted.items] == [1, 2, 3]
    assert [(p.code, p.params["line"]) for p in pasted.problems] == [
        ("type_unknown", 2),
        ("places_invalid", 3),
    ]


def test_formula_lines_of_every_kind():
    text = (
        "1 = 2+3+4\n"
        "01 = 02 + 03 + 04 + 05\n"
        "[05:3] = [06:3] * 2\n"
        "disable 03:1, 04:1\n"
        "# a comment\n"
        "(2)=(3)+(4)\n"
    )
    formulas = parse_formulas(
        text,
        row_codes=["01", "02", "03", "04", "05", "06"],
        column_numbers=[1, 2, 3, 4],
    )
    assert formulas.problems == ()
    assert formulas.columns == {1: "2 + 3 + 4", 2: "3 + 4"}
    assert formulas.rows == {"01": "02 + 03 + 04 + 05"}
    assert formulas.cells == (
        CellOverride("05", 3, CellState.COMPUTED, "[06:3] * 2"),
        CellOverride("03", 1, CellState.DISABLED),
        CellOverride("04", 1, CellState.DISABLED),
    )
    assert formulas.cell_lines == {("05", 3): 3, ("03", 1): 4, ("04", 1): 4}
    assert formulas.column_lines == {1: 1, 2: 6}


def test_formula_problems_are_reported_on_their_lines():
    text = "2 = 3 +\n9 = 1\nX9 = 01\n1 = 3\nno equals sign\n1 = 2"
    formulas = parse_formulas(text, row_codes=["01", "1"], column_numbers=[1, 2, 3])
    assert [(p.code, p.params["line"]) for p in formulas.problems] == [
        ("formula_syntax", 1),
        ("formula_target_unknown", 2),
        ("formula_target_unknown", 3),
        ("formula_target_ambiguous", 4),
        ("formula_line_syntax", 5),
        ("formula_target_ambiguous", 6),
    ]
    explicit = parse_formulas(
        "column 1 = 2\nrow 1 = 01", row_codes=["01", "1"], column_numbers=[1, 2]
    )
    assert (explicit.columns, explicit.rows) == ({1: "2"}, {"1": "01"})


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("15 ngày sau kỳ", DeadlineRule(DeadlineKind.DAYS_AFTER_PERIOD, days=15)),
        ("15/12", DeadlineRule(DeadlineKind.FIXED_DATE_SAME_YEAR, day=15, month=12)),
        ("20/01 năm sau", DeadlineRule(DeadlineKind.FIXED_DATE_NEXT_YEAR, day=20, month=1)),
        ("Trước ngày 15/12 hằng năm", DeadlineRule(DeadlineKind.FIXED_DATE_SAME_YEAR, day=15, month=12)),
        ("ngày 20 tháng 1 năm sau", DeadlineRule(DeadlineKind.FIXED_DATE_NEXT_YEAR, day=20, month=1)),
        ("30 days after the period", DeadlineRule(DeadlineKind.DAYS_AFTER_PERIOD, days=30)),
    ],
)  # fmt: skip
def test_deadline_lines(line, rule):
    pasted = parse_deadlines(line)
    assert pasted.problems == ()
    assert pasted.items == (replace(rule, label=line),)


def test_unreadable_deadline_is_reported_on_its_line():
    pasted = parse_deadlines("15/12\nsoon\n")
    assert [(p.code, p.params["line"]) for p in pasted.problems] == [
        ("deadline_syntax", 2)
    ]


@pytest.mark.parametrize("path", CATALOG, ids=lambda path: path.name)
def test_catalog_forms_round_trip_through_the_builder_boxes(path):
    # given a real form written out as the builder's boxes
    form = definition_from_json(path.read_text(encoding="utf-8"))[0]
    texts = definition_texts(form)
    # when the boxes are read back
    header = replace(form, rows=(), columns=(), cells=(), deadlines=())
    assembly = assemble_definition(
        header,
        deadlines_text=texts["deadlines"],
        rows_text=texts["rows"],
        columns_text=texts["columns"],
        formulas_text=texts["formulas"],
    )
    # then the definition is the same and has no problems
    assert assembly.problems == ()
    assert assembly.definition == form


def test_round_trip_of_cells_bold_of_which_and_ambiguous_codes():
    form = FormDefinition(
        code="X",
        title="Thử",
        columns=(ColumnDef(1, "A", formula="2"), ColumnDef(2, "B", DataType.DECIMAL)),
        rows=(
            RowDef("1", "Một", formula="2"),
            RowDef("2", "Hai", of_which=True, bold=True, guidance="Ghi rõ"),
        ),
        cells=(
            CellOverride("2", 2, CellState.DISABLED),
            CellOverride("1", 2, CellState.COMPUTED, "[2:1] * 2"),
        ),
    )
    texts = definition_texts(form)
    assembly = assemble_definition(
        replace(form, rows=(), columns=(), cells=()),
        rows_text=texts["rows"],
        columns_text=texts["columns"],
        formulas_text=texts["formulas"],
    )
    assert assembly.definition == form
    assert "column 1 = 2" in texts["formulas"] and "row 1 = 2" in texts["formulas"]


def test_design_problems_are_placed_in_their_section_and_line():
    # given rows with a duplicate code, a column without a label and a formula
    # that refers to a row the form lacks
    assembly = assemble_definition(
        FormDefinition(code="", title="T"),
        deadlines_text="15/12\n31/02",
        rows_text="01\tTổng số\n02\tA\n\n02\tB",
        columns_text="1\tTổng số\n2\t",
        formulas_text="01 = 02 + 09",
    )
    placed = {(p.section, p.line, p.field, p.problem.code) for p in assembly.problems}
    # then each problem is where the designer typed the thing
    assert placed == {
        (Section.METADATA, None, "code", "required"),
        (Section.METADATA, 2, "deadlines", "deadline_invalid"),
        (Section.ROWS, 4, "", "row_code_duplicate"),
        (Section.COLUMNS, 2, "", "column_label_missing"),
    }
    duplicate = next(p for p in assembly.problems if p.section is Section.ROWS)
    assert duplicate.problem.render() == "Row code 02 appears twice (rows 2 and 4)."
    # and once the structure is sound, formula problems land on the formula line
    assembly = assemble_definition(
        FormDefinition(code="X", title="T"),
        rows_text="01\tTổng số\n02\tA",
        columns_text="1\tTổng số\n2\tNam",
        formulas_text="\n01 = 02 + 09",
    )
    placed = {(p.section, p.line, p.problem.code) for p in assembly.problems}
    assert placed == {(Section.FORMULAS, 2, "unknown_row")}
    assembly = assemble_definition(
        FormDefinition(code="X", title="T"),
        rows_text="01\tTổng số\n02\tA",
        columns_text="1\tTổng số\n2\tNam",
        formulas_text="1 = 2\n[02:1] = [02:1] + 1",
    )
    placed = {(p.section, p.line, p.problem.code) for p in assembly.problems}
    assert placed == {(Section.FORMULAS, 2, "formula_cycle")}
