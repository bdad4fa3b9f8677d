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


def _grouped_line_by_line(rows, header=0):
    """The lines grouped one by one, as before the grouping by runs (the oracle)."""
    from forms.definition.periods import PeriodError, parse_period
    from imports.parsers.report import code_text

    groups, codes, lines = {}, [], 0
    for index in range(header + 1, len(rows)):
        unit, period, row, column, value = (list(rows[index]) + [""] * 5)[:5]
        unit, period, row, column = map(code_text, (unit, period, row, column))
        if not (unit or period or row or column) and value in (None, ""):
            continue
        lines += 1
        if not (unit and period and row and column):
            codes.append((index + 1, "line_incomplete"))
        elif not column.isdigit():
            codes.append((index + 1, "column_not_a_number"))
        else:
            try:
                key = ("", unit, parse_period(period).id)
            except PeriodError:
                codes.append((index + 1, "period_unknown"))
                continue
            groups.setdefault(key, []).append((index + 1, row, int(column), value))
    return groups, codes, lines


def test_lines_grouped_by_runs_as_line_by_line_on_random_tables():
    import random

    rng = random.Random(5)
    for _attempt in range(200):
        # given a random long table: runs of units and periods, bad periods, blank
        # and incomplete lines, columns written as text, numbers and "x"
        rows = [["Mã đơn vị", "Kỳ", "Mã số", "Cột", "Giá trị"]]
        for _line in range(rng.randrange(0, 60)):
            rows.append(
                [
                    rng.choice(["T9001", "T9002", 9001, "", None]),
                    rng.choice(["2026M1", "2026", "2026X", 2026, ""]),
                    rng.choice(["01", 1, 1.0, True, "", "02"]),
                    rng.choice([1, 2.0, "3", "x", "", None]),
                    rng.choice([5, 2.5, "", None, "abc"]),
                ][: rng.choice([5, 5, 5, 3])]
            )

        # when the sheet is read
        table = find_long_table("Sheet1", rows)

        # then the groups, the problems and the count are those of the oracle
        groups, codes, lines = _grouped_line_by_line(rows)
        assert table.groups == groups
        assert [(int(p.cell[1:]), p.code) for p in table.problems] == codes
        assert table.lines == lines
