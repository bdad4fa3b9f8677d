"""Official-layout workbooks read back into the forms they print (no database).

Each catalog form is written the way its annex prints it: title block, column
headings with group headings merged over their columns, the numbering row A, B, C,
1, 2, … (with the total column's formula), then the rows; the parser must find the
same rows and columns.
"""

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from forms.definition.serialize import definition_from_json
from imports.parsers.form_layout import parse_form_layout

CATALOG = sorted(
    (Path(__file__).resolve().parents[2] / "forms" / "catalog").glob("*.json")
)


def catalog_form(path):
    return definition_from_json(path.read_text(encoding="utf-8"))[0]


def annex_workbook(
    definition, *, indentation="alignment", formula_style="plain", unit_line=True
):
    """Return .xlsx bytes laying out ``definition`` like a printed annex."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Biểu"
    text_columns = 3 if definition.has_unit_column else 2
    last = text_columns + len(definition.columns)
    sheet["A1"] = f"Biểu số: {definition.code}"
    sheet["A2"] = definition.legal_basis or "Ban hành kèm theo Thông tư"
    sheet.cell(1, last, "Đơn vị báo cáo: ...")
    sheet["A3"] = definition.title.upper()
    sheet.merge_cells(start_row=3, start_column=1, end_row=3, end_column=last)
    sheet["A4"] = "Năm 20..."
    sheet.merge_cells(start_row=4, start_column=1, end_row=4, end_column=last)
    first_header = 6
    if unit_line:
        sheet.cell(first_header, last, "Đơn vị tính: Người")
        first_header += 1
    grouped = any(column.group for column in definition.columns)
    depth = 2 if grouped else 1
    headings = ["Chỉ tiêu", "Mã số", "Đơn vị tính"][:text_columns]
    for index, heading in enumerate(headings, start=1):
        sheet.cell(first_header, index, heading)
        if depth > 1:
            sheet.merge_cells(
                start_row=first_header,
                start_column=index,
                end_row=first_header + 1,
                end_column=index,
            )
    columns = list(definition.columns)
    index = 0
    while index < len(columns):
        column = columns[index]
        sheet_column = text_columns + 1 + index
        if not column.group:
            sheet.cell(first_header, sheet_column, column.label)
            if depth > 1:
                sheet.merge_cells(
                    start_row=first_header,
                    start_column=sheet_column,
                    end_row=first_header + 1,
                    end_column=sheet_column,
                )
            index += 1
            continue
        span = 1
        while (
            index + span < len(columns) and columns[index + span].group == column.group
        ):
            span += 1
        sheet.cell(first_header, sheet_column, column.group)
        if span > 1:
            sheet.merge_cells(
                start_row=first_header,
                start_column=sheet_column,
                end_row=first_header,
                end_column=sheet_column + span - 1,
            )
        for offset in range(span):
            sheet.cell(
                first_header + 1, sheet_column + offset, columns[index + offset].label
            )
        index += span
    numbering = first_header + depth
    for index, letter in enumerate("ABC"[:text_columns], start=1):
        sheet.cell(numbering, index, letter)
    for index, column in enumerate(columns, start=text_columns + 1):
        if column.formula:
            body = column.formula.replace(" ", "")
            if formula_style == "parenthesised":
                body = "+".join(f"({part})" for part in body.split("+"))
                sheet.cell(numbering, index, f"({column.number})={body}")
            else:
                sheet.cell(numbering, index, f"{column.number}={body}")
        else:
            sheet.cell(numbering, index, column.number)
    for offset, row in enumerate(definition.rows, start=1):
        sheet_row = numbering + offset
        label = row.label
        if indentation == "spaces":
            label = "    " * row.indent + label
        cell = sheet.cell(sheet_row, 1, label)
        if indentation == "alignment":
            cell.alignment = Alignment(indent=row.indent, wrap_text=True)
        if row.bold:
            cell.font = Font(bold=True)
        if row.code:
            sheet.cell(sheet_row, 2, row.code)
        if definition.has_unit_column and row.unit:
            sheet.cell(sheet_row, 3, row.unit)
    footer = numbering + len(definition.rows) + 2
    sheet.cell(footer, 1, "Người lập biểu")
    sheet.cell(footer, last, "Thủ trưởng đơn vị")
    sheet.cell(footer + 1, 1, "(Ký, họ tên)")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row_facts(rows):
    return [
        (row.code, row.label, row.indent, row.of_which, row.bold, row.unit)
        for row in rows
    ]


def column_facts(columns):
    return [
        (column.number, column.label, column.group, column.formula)
        for column in columns
    ]


@pytest.mark.parametrize("path", CATALOG, ids=lambda path: path.name)
@pytest.mark.parametrize("indentation", ["alignment", "spaces", "none"])
def test_annex_layout_reproduces_the_catalog_form(path, indentation):
    # given a catalog form printed as its annex, indented in one of three ways
    form = catalog_form(path)
    data = annex_workbook(form, indentation=indentation)

    # when the layout is parsed
    proposal = parse_form_layout(data)

    # then it proposes the form's rows and columns, with nothing to complain about
    assert proposal.problems == ()
    assert row_facts(proposal.rows) == row_facts(form.rows)
    assert column_facts(proposal.columns) == column_facts(form.columns)
    assert proposal.has_unit_column == form.has_unit_column
    assert proposal.code == form.code
    assert proposal.title == form.title.upper()
    assert proposal.unit_of_measure == "Người"


def test_parenthesised_heading_formulas_are_read():
    form = catalog_form(CATALOG[0])
    proposal = parse_form_layout(
        annex_workbook(form, formula_style="parenthesised", unit_line=False)
    )
    assert proposal.column_formulas == {1: "2 + 3 + 4 + 5"}
    assert proposal.unit_of_measure == ""


def test_numeric_codes_keep_their_leading_zeros_from_the_number_format():
    form = catalog_form(CATALOG[1])
    workbook_bytes = annex_workbook(form)
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(workbook_bytes))
    sheet = workbook.active
    for row in sheet.iter_rows(min_col=2, max_col=2):
        cell = row[0]
        if isinstance(cell.value, str) and cell.value.isdigit():
            cell.value = int(cell.value)
            cell.number_format = "00"
    buffer = io.BytesIO()
    workbook.save(buffer)
    proposal = parse_form_layout(buffer.getvalue())
    assert [row.code for row in proposal.rows] == [row.code for row in form.rows]


def test_a_file_that_is_not_a_workbook_says_what_was_expected():
    proposal = parse_form_layout(b"%PDF-1.4 not a workbook")
    assert not proposal.is_usable
    assert [problem.code for problem in proposal.problems] == ["not_a_workbook"]
    assert ".xlsx" in proposal.problems[0].render()


def test_a_sheet_without_a_numbering_row_says_what_was_expected():
    workbook = Workbook()
    workbook.active.append(["Chỉ tiêu", "Mã số", "Tổng số"])
    workbook.active.append(["Tổng số", "01", 5])
    buffer = io.BytesIO()
    workbook.save(buffer)
    proposal = parse_form_layout(buffer.getvalue())
    assert not proposal.is_usable
    assert [problem.code for problem in proposal.problems] == ["no_numbering_row"]
    assert "A, B, C" in proposal.problems[0].render()


def test_gaps_in_the_numbering_and_missing_headings_are_reported_at_their_cell():
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Biểu 01"
    sheet.append(["Chỉ tiêu", "Mã số", "Tổng số", None])
    sheet.append(["A", "B", 1, 3])
    sheet.append(["Tổng số", "01", None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    proposal = parse_form_layout(buffer.getvalue())
    assert {(problem.code, problem.location) for problem in proposal.problems} == {
        ("numbering_order", "Biểu 01!C2"),
        ("column_heading_missing", "Biểu 01!D2"),
    }
    assert proposal.has_unit_column is False
    assert [row.code for row in proposal.rows] == ["01"]
