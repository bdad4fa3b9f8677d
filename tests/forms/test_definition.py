"""Form definitions without a database: formulas, the grid and design-time checks."""

from dataclasses import replace
from decimal import Decimal

import pytest

from forms.definition import (
    CellOverride,
    CellState,
    ColumnDef,
    DataType,
    FormDefinition,
    RowDef,
)
from forms.definition.checks import check_definition
from forms.definition.formula import (
    FormulaError,
    FormulaKind,
    evaluate,
    format_formula,
    parse_formula,
)
from forms.definition.grid import cell_grid, expand_reference
from forms.definition.serialize import (
    DefinitionFormatError,
    definition_from_json,
    definition_to_json,
)


def awards_form(**changes) -> FormDefinition:
    """A cut of 0603.N/BNV-TĐKT: col 1 = 2 + 3; row 01 = 02 + 04; 03 is "of which"."""
    form = FormDefinition(
        code="0603.N/BNV-TĐKT",
        title="Số lượng khen thưởng",
        columns=(
            ColumnDef(1, "Tổng số", formula="2 + 3"),
            ColumnDef(2, "Bằng khen", group="Chia ra"),
            ColumnDef(3, "Chiến sĩ thi đua", group="Chia ra"),
            ColumnDef(4, "Ghi chú", data_type=DataType.TEXT),
        ),
        rows=(
            RowDef("01", "Tổng số", bold=True, formula="02 + 04"),
            RowDef(None, "1. Chia theo đối tượng", indent=1),
            RowDef("02", "- Tập thể", indent=2, unit="Tập thể"),
            RowDef("03", "Trong đó: Doanh nghiệp", indent=3, of_which=True),
            RowDef("04", "- Cá nhân", indent=2, unit="Người"),
        ),
    )
    return replace(form, **changes)


@pytest.mark.parametrize(
    ("text", "kind", "canonical"),
    [
        ("2+3+4", FormulaKind.COLUMN, "2 + 3 + 4"),
        ("02 + 04 + 05", FormulaKind.ROW, "02 + 04 + 05"),
        ("02..05", FormulaKind.ROW, "02..05"),
        ("[01:2] - [02:2]*2", FormulaKind.CELL, "[01:2] - [02:2] * 2"),
        ("(2 - 3) - (4 - 5)", FormulaKind.COLUMN, "2 - 3 - (4 - 5)"),
        ("[01:1] / ([02:1] + 0.5)", FormulaKind.CELL, "[01:1] / ([02:1] + 0.5)"),
        ("-(2)", FormulaKind.COLUMN, "-2"),
        ("01.1 + 01.2", FormulaKind.ROW, "01.1 + 01.2"),
    ],
)
def test_formulas_print_canonically_and_parse_back(text, kind, canonical):
    node = parse_formula(text, kind)
    assert format_formula(node, kind) == canonical
    assert parse_formula(canonical, kind) == node


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("", FormulaKind.COLUMN),
        ("2 +", FormulaKind.COLUMN),
        ("x", FormulaKind.COLUMN),
        ("(2 + 3", FormulaKind.COLUMN),
        ("[01:2]", FormulaKind.ROW),
        ("2 $ 3", FormulaKind.COLUMN),
        ("x1", FormulaKind.CELL),
    ],
)
def test_bad_formulas_raise_with_a_message(text, kind):
    with pytest.raises(FormulaError) as error:
        parse_formula(text, kind)
    assert str(error.value)


def test_evaluation_is_exact_decimal_and_blank_counts_as_zero():
    node = parse_formula("[01:1] + [02:1] + [03:1]", FormulaKind.CELL)
    values = {("01", 1): Decimal("0.1"), ("02", 1): Decimal("0.2"), ("03", 1): None}
    assert evaluate(node, lambda ref: values[(ref.row, ref.column)]) == Decimal("0.3")
    assert (
        evaluate(parse_formula("[01:1] / 0", FormulaKind.CELL), lambda ref: 1) is None
    )


def test_grid_states_follow_precedence():
    form = awards_form(
        cells=(
            CellOverride("03", 1, CellState.DISABLED),
            CellOverride("04", 3, CellState.COMPUTED, formula="[02:3] * 2"),
        )
    )
    grid = cell_grid(form)
    assert grid[("02", 2)].state is CellState.INPUT
    assert grid[("02", 1)].formula_kind is FormulaKind.COLUMN  # column beats row
    assert grid[("01", 2)].formula_kind is FormulaKind.ROW
    assert grid[("01", 4)].state is CellState.INPUT  # row formulas skip text columns
    assert grid[("03", 1)].state is CellState.DISABLED
    assert grid[("04", 3)].formula_kind is FormulaKind.CELL
    assert len(grid) == 4 * 4  # the group header has no cells


def test_ranges_expand_in_printed_order():
    form = awards_form()
    node = parse_formula("02..04", FormulaKind.ROW)
    assert expand_reference(form, node, "01", 2) == [("02", 2), ("03", 2), ("04", 2)]


def test_a_sound_form_has_no_problems():
    assert check_definition(awards_form()) == []


def codes(problems):
    return sorted((problem.code, problem.location) for problem in problems)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"rows": (RowDef("01", "A"), RowDef("01", "B"))},
            [("row_code_duplicate", "row 01")],
        ),
        ({"rows": ()}, [("empty_form", "rows")]),
        ({"columns": ()}, [("empty_form", "columns")]),
        ({"code": " "}, [("required", "code")]),
        (
            {"columns": (ColumnDef(1, "A"), ColumnDef(3, "B"))},
            [("column_numbering", "columns")],
        ),
        (
            {"rows": (RowDef("0 1", "A"),)},
            [("row_code_invalid", "row 0 1")],
        ),
    ],
)
def test_structural_problems_are_reported_at_their_location(changes, expected):
    assert codes(check_definition(awards_form(**changes))) == expected


def test_unknown_references_are_reported_at_the_formula():
    form = awards_form(
        rows=(RowDef("01", "Tổng", formula="02 + 09"), RowDef("02", "A")),
        columns=(ColumnDef(1, "T", formula="2 + 7"), ColumnDef(2, "B")),
    )
    problems = check_definition(form)
    assert codes(problems) == [
        ("unknown_column", "column formula of 1"),
        ("unknown_row", "row formula of 01"),
    ]
    assert "09" in next(p for p in problems if p.code == "unknown_row").render()


def test_formula_on_a_text_column_is_refused():
    form = awards_form(
        columns=(
            ColumnDef(1, "Tổng"),
            ColumnDef(2, "Ghi chú", data_type=DataType.TEXT, formula="1"),
            ColumnDef(3, "B", formula="1 + 2"),
        )
    )
    assert codes(check_definition(form)) == [
        ("formula_on_text_column", "column formula of 2"),
        ("formula_uses_text_column", "column formula of 3"),
    ]


def test_circular_formulas_are_reported_with_the_cycle():
    form = awards_form(
        rows=(RowDef("01", "A", formula="02"), RowDef("02", "B", formula="01")),
        columns=(ColumnDef(1, "X"),),
    )
    problems = check_definition(form)
    assert [p.code for p in problems] == ["formula_cycle"]
    assert "01/1 → 02/1 → 01/1" in problems[0].render()


def test_cell_override_outside_the_grid_is_reported():
    form = awards_form(cells=(CellOverride("99", 1, CellState.DISABLED),))
    assert codes(check_definition(form)) == [("unknown_cell", "cell 99/1")]


def test_every_problem_is_reported_not_just_the_first():
    form = awards_form(
        code="",
        title="",
        rows=(RowDef("01", "A"), RowDef("01", ""), RowDef("x y", "B")),
    )
    assert len(check_definition(form)) == 5


def test_json_round_trip_is_byte_identical():
    form = awards_form(cells=(CellOverride("03", 1, CellState.DISABLED),))
    text = definition_to_json(form)
    again, _ = definition_from_json(text)
    assert again == form
    assert definition_to_json(again) == text


def test_json_problems_are_all_listed():
    text = definition_to_json(awards_form()).replace('"text"', '"money"', 1)
    text = text.replace('"format_version": 1', '"format_version": 9')
    with pytest.raises(DefinitionFormatError) as error:
        definition_from_json(text)
    assert {p.location for p in error.value.problems} >= {"format_version", "column 4"}


def test_json_text_is_normalized_to_nfc():
    text = definition_to_json(awards_form()).replace(
        "Tổng số", "To\u0302\u0309ng so\u0302\u0301"
    )
    form, _ = definition_from_json(text)
    assert form.rows[0].label == "Tổng số"
