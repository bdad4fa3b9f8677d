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
    [key] = table.groups
    assert [
        (row_code, column) for _row, row_code, column, _v in table.lines_of(key)
    ] == [
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
        assert {key: list(table.lines_of(key)) for key in table.groups} == groups
        assert [(int(p.cell[1:]), p.code) for p in table.problems] == codes
        assert table.lines == lines


def _form():
    from forms.definition import ColumnDef, DataType, FormDefinition, RowDef

    return FormDefinition(
        code="BULK.N/TEST",
        title="Đọc cả loạt",
        columns=(
            ColumnDef(1, "Tổng số", formula="2 + 3"),
            ColumnDef(2, "Số người", group="Chia ra"),
            ColumnDef(3, "Tỷ lệ", data_type=DataType.DECIMAL, decimal_places=2),
            ColumnDef(4, "Ghi chú", data_type=DataType.TEXT),
        ),
        rows=(
            RowDef("01", "Tổng số", formula="02 + 03"),
            RowDef("02", "Nam"),
            RowDef("03", "Nữ"),
        ),
    )


def test_runs_read_in_bulk_as_line_by_line_on_random_tables():
    import random

    from forms.definition.grid import cell_grid
    from imports.parsers.long_table_values import (
        FormCells,
        _read_in_bulk,
        _read_line,
        read_long_table_values,
    )
    from imports.parsers.report import ReportSource, ReportValues

    form = _form()
    grid = cell_grid(form)
    rng = random.Random(11)
    values = [7.0, 12, 3.5, 2.25, 1.257, -4.0, 1e16, float("nan"), "x", "", True]
    bulk_runs = 0
    # one unit written two ways: its lines are one report, read in several runs
    units = ["T9001", "T9001 "]
    for _attempt in range(300):
        # given a random long table of one report: mostly whole numbers for the
        # number cells of the form, sometimes fractions, text, unknown or computed
        # cells, cells given twice and values a number cell refuses
        rows = [["Mã đơn vị", "Kỳ", "Mã số", "Cột", "Giá trị"]]
        simple = rng.random() < 0.5
        if simple:  # distinct number cells, whole numbers and fractions
            places = [("02", 2), ("2", 3), ("03", 2), ("03", 3)]
            for row, column in rng.sample(places, rng.randrange(1, 5)):
                value = rng.choice([7.0, 12.0] + [3.5, 2.25] * (column == 3))
                rows.append([rng.choice(units), "2026", row, column, value])
        for _line in range(0 if simple else rng.randrange(1, 12)):
            row = rng.choice(["01", "02", "03", "09"])
            column = rng.choice([1, 2, 3, 4, 7])
            rows.append([rng.choice(units), "2026", row, column, rng.choice(values)])
        table = find_long_table("Sheet1", rows)
        [key] = table.groups
        source = ReportSource("Sheet1", "long_table", "BULK.N/TEST", "T9001", "2026")

        # when its report is read, in bulk where it can be
        read = read_long_table_values(table, key, form, grid, source)

        # then it holds exactly what reading line by line records
        expected = ReportValues(source)
        cells, seen = FormCells(form, grid), {}
        for line in table.lines_of(key):
            _read_line(expected, cells, "E", seen, *line)
        assert read.values == expected.values
        assert list(read.values) == list(expected.values)
        assert read.cells == expected.cells
        assert read.file_computed == expected.file_computed
        assert read.ignored == expected.ignored
        assert [(p.code, p.cell, p.params) for p in read.problems] == [
            (p.code, p.cell, p.params) for p in expected.problems
        ]
        # (each run on its own takes the bulk path when the table is simple)
        bulk = all(
            _read_in_bulk(ReportValues(source), lines, FormCells(form, grid), 5, {})
            for lines in table.groups[key]
        )
        assert bulk or not simple
        bulk_runs += bulk
    # and the bulk path was taken often enough to be tested
    assert bulk_runs > 100
