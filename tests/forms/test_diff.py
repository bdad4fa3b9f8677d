"""Comparing two versions of a form (no database)."""

from dataclasses import replace

from forms.definition import CellOverride, CellState, ColumnDef, DataType, RowDef
from forms.definition.diff import FieldChange, ItemChange, diff_definitions
from tests.forms.test_definition import awards_form


def test_identical_versions_have_no_differences():
    assert diff_definitions(awards_form(), awards_form()).is_empty


def test_rows_added_removed_changed_and_moved():
    # given version 1, and version 2 which drops row 03, adds row 05, relabels and
    # re-indents row 02, gives 04 a unit and moves 04 above 02
    old = awards_form()
    new = replace(
        old,
        rows=(
            RowDef("01", "Tổng số", bold=True, formula="02 + 04 + 05"),
            RowDef(None, "1. Chia theo đối tượng", indent=1),
            RowDef("04", "- Cá nhân", indent=2, unit="Người (lượt)"),
            RowDef("02", "- Tập thể, đơn vị", indent=1, unit="Tập thể"),
            RowDef("05", "- Hộ gia đình", indent=2, unit="Hộ"),
        ),
    )
    diff = diff_definitions(old, new)
    assert [row.code for row in diff.rows_added] == ["05"]
    assert [row.code for row in diff.rows_removed] == ["03"]
    assert diff.rows_changed == (
        ItemChange(
            "01", "Tổng số", (FieldChange("formula", "02 + 04", "02 + 04 + 05"),)
        ),
        ItemChange("04", "- Cá nhân", (FieldChange("unit", "Người", "Người (lượt)"),)),
        ItemChange(
            "02",
            "- Tập thể, đơn vị",
            (
                FieldChange("label", "- Tập thể", "- Tập thể, đơn vị"),
                FieldChange("indent", 2, 1),
            ),
        ),
    )
    assert diff.rows_moved in (("02",), ("04",))
    assert not diff.columns_added and not diff.metadata


def test_columns_and_cells_and_metadata():
    old = awards_form(
        cells=(
            CellOverride("03", 1, CellState.DISABLED),
            CellOverride("04", 2, CellState.COMPUTED, "[02:2] * 2"),
        )
    )
    new = replace(
        old,
        title="Số lượng khen thưởng (sửa đổi)",
        columns=(
            ColumnDef(1, "Tổng số", formula="2 + 3 + 5"),
            ColumnDef(2, "Bằng khen", group="Chia ra"),
            ColumnDef(
                3, "Chiến sĩ thi đua", group="Chia ra", data_type=DataType.DECIMAL
            ),
            ColumnDef(5, "Cờ thi đua", group="Chia ra"),
        ),
        cells=(
            CellOverride("04", 2, CellState.COMPUTED, "[02:2] * 3"),
            CellOverride("01", 5, CellState.DISABLED),
        ),
    )
    diff = diff_definitions(old, new)
    assert diff.metadata == (
        FieldChange("title", old.title, "Số lượng khen thưởng (sửa đổi)"),
    )
    assert [column.number for column in diff.columns_added] == [5]
    assert [column.number for column in diff.columns_removed] == [4]
    assert [(c.key, [f.field for f in c.changes]) for c in diff.columns_changed] == [
        ("1", ["formula"]),
        ("3", ["data_type"]),
    ]
    assert diff.cells_added == (CellOverride("01", 5, CellState.DISABLED),)
    assert diff.cells_removed == (CellOverride("03", 1, CellState.DISABLED),)
    assert diff.cells_changed == (
        ItemChange("04/2", "", (FieldChange("formula", "[02:2] * 2", "[02:2] * 3"),)),
    )


def test_group_headers_are_matched_by_label():
    old = awards_form()
    rows = list(old.rows)
    rows[1] = RowDef(None, "1. Chia theo loại đối tượng", indent=1)
    diff = diff_definitions(old, replace(old, rows=tuple(rows)))
    assert [row.label for row in diff.rows_added] == ["1. Chia theo loại đối tượng"]
    assert [row.label for row in diff.rows_removed] == ["1. Chia theo đối tượng"]
    assert diff.rows_moved == ()
