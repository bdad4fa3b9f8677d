"""Reading the long-table layout (pure parser, no database)."""

from imports.parsers.long_table import find_long_table


def test_codes_of_different_types_are_not_confused_by_the_code_cache():
    # given lines whose row codes are the number 1 and the boolean TRUE (a cell a
    # spreadsheet turned into a truth value), which Python counts as equal
    rows = [
        ["Mã đơn vị", "Kỳ", "Mã số", "Cột", "Giá trị"],
        ["T9001", "2026M1", 1, 2, 5],
        ["T9001", "2026M1", True, 2, 7],
        ["T9001", "2026M1", 1.0, 3, 9],
    ]

    # when the sheet is read
    table = find_long_table("Sheet1", rows)

    # then each keeps its own text: TRUE is not read as row "1"
    [lines] = table.groups.values()
    assert [(row_code, column) for _sheet_row, row_code, column, _v in lines] == [
        ("1", 2),
        ("True", 2),
        ("1", 3),
    ]
