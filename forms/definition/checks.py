"""Design-time checks of a definition: every problem, each at its location."""

from __future__ import annotations

import re

from forms.definition.formula import (
    FormulaError,
    FormulaKind,
    Range,
    formula_problem,
    parse_formula,
    references,
)
from forms.definition.grid import cell_grid, expand_reference
from forms.definition.model import (
    Aggregation,
    CellState,
    DeadlineKind,
    FormDefinition,
)
from forms.definition.problems import Problem, gettext_noop

ROW_CODE_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z._\-]{0,15}")
DAYS_IN_MONTH = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}  # fmt: skip


def check_definition(definition: FormDefinition) -> list[Problem]:
    """Return every problem of ``definition`` (an empty list means it can be saved)."""
    problems: list[Problem] = []
    problems += _check_header(definition)
    problems += _check_rows(definition)
    problems += _check_columns(definition)
    problems += _check_deadlines(definition)
    if problems:
        # Formulas are checked against a sound grid only, so each problem is reported
        # once, where it is, and not again through every formula that mentions it.
        return problems
    problems += _check_formulas(definition)
    if not problems:
        problems += _check_cycles(definition)
    return problems


def _check_header(definition: FormDefinition) -> list[Problem]:
    problems = []
    if not definition.code.strip():
        problems.append(
            Problem("required", "code", gettext_noop("The form needs a code."), {})
        )
    if not definition.title.strip():
        problems.append(
            Problem("required", "title", gettext_noop("The form needs a title."), {})
        )
    return problems


def _check_rows(definition: FormDefinition) -> list[Problem]:
    problems = []
    if not definition.coded_rows:
        problems.append(
            Problem(
                "empty_form",
                "rows",
                gettext_noop(
                    "The form has no rows with a code: there is nothing to report."
                ),
            )
        )
    seen: dict[str, int] = {}
    for position, row in enumerate(definition.rows, start=1):
        if not row.label.strip():
            problems.append(
                Problem(
                    "row_label_missing",
                    f"row {row.code or position}",
                    gettext_noop("Row %(position)d has no label."),
                    {"position": position},
                )
            )
        if row.aggregation not in {item.value for item in Aggregation}:
            problems.append(
                Problem(
                    "row_aggregation_invalid",
                    f"row {row.code or position}",
                    gettext_noop(
                        "Row %(row)s adds up with %(value)r; use sum, average, max, "
                        "min or none."
                    ),
                    {"row": row.code or position, "value": row.aggregation},
                )
            )
        if row.is_header:
            if row.formula.strip():
                problems.append(
                    Problem(
                        "header_formula",
                        f"row {position}",
                        gettext_noop(
                            "Group header %(label)r has no code, so it cannot have a formula."
                        ),
                        {"label": row.label},
                    )
                )
            continue
        if not ROW_CODE_PATTERN.fullmatch(row.code):
            problems.append(
                Problem(
                    "row_code_invalid",
                    f"row {row.code}",
                    gettext_noop(
                        "Row code %(code)r may hold only letters, digits, '.', '-' and '_' (at most 16)."
                    ),
                    {"code": row.code},
                )
            )
        if row.code in seen:
            problems.append(
                Problem(
                    "row_code_duplicate",
                    f"row {row.code}",
                    gettext_noop(
                        "Row code %(code)s appears twice (rows %(first)d and %(second)d)."
                    ),
                    {"code": row.code, "first": seen[row.code], "second": position},
                )
            )
        else:
            seen[row.code] = position
        if row.indent < 0 or row.indent > 6:
            problems.append(
                Problem(
                    "row_indent_invalid",
                    f"row {row.code}",
                    gettext_noop("Row %(code)s has indent %(indent)d; use 0 to 6."),
                    {"code": row.code, "indent": row.indent},
                )
            )
    return problems


def _check_columns(definition: FormDefinition) -> list[Problem]:
    problems = []
    if not definition.columns:
        problems.append(
            Problem(
                "empty_form",
                "columns",
                gettext_noop("The form has no numbered value columns."),
            )
        )
        return problems
    numbers = [column.number for column in definition.columns]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(
            Problem(
                "column_numbering",
                "columns",
                gettext_noop(
                    "Value columns must be numbered 1, 2, 3, … in order; found %(numbers)s."
                ),
                {"numbers": ", ".join(str(n) for n in numbers)},
            )
        )
    for column in definition.columns:
        if not column.label.strip():
            problems.append(
                Problem(
                    "column_label_missing",
                    f"column {column.number}",
                    gettext_noop("Column %(number)d has no label."),
                    {"number": column.number},
                )
            )
        if not 0 <= column.decimal_places <= 6:
            problems.append(
                Problem(
                    "column_places_invalid",
                    f"column {column.number}",
                    gettext_noop("Column %(number)d: decimal places must be 0 to 6."),
                    {"number": column.number},
                )
            )
    return problems


def _check_deadlines(definition: FormDefinition) -> list[Problem]:
    problems = []
    for index, rule in enumerate(definition.deadlines, start=1):
        location = f"deadline {index}"
        if rule.kind is DeadlineKind.DAYS_AFTER_PERIOD:
            if rule.days is None or not 0 <= rule.days <= 366:
                problems.append(
                    Problem(
                        "deadline_invalid",
                        location,
                        gettext_noop(
                            "Deadline %(index)d: give the number of days after the period (0 to 366)."
                        ),
                        {"index": index},
                    )
                )
        elif (
            rule.month is None
            or rule.day is None
            or rule.month not in DAYS_IN_MONTH
            or not 1 <= rule.day <= DAYS_IN_MONTH[rule.month]
        ):
            problems.append(
                Problem(
                    "deadline_invalid",
                    location,
                    gettext_noop(
                        "Deadline %(index)d: %(day)s/%(month)s is not a date."
                    ),
                    {"index": index, "day": rule.day, "month": rule.month},
                )
            )
    return problems


def _formula_sources(definition: FormDefinition):
    """Yield (location, kind, text, cells it fills) for every formula written."""
    coded = [row.code for row in definition.coded_rows]
    numbers = [column.number for column in definition.columns]
    numeric = [c.number for c in definition.columns if c.data_type.is_numeric]
    for column in definition.columns:
        if column.formula.strip():
            yield (
                f"column formula of {column.number}",
                FormulaKind.COLUMN,
                column.formula,
                [(code, column.number) for code in coded],
            )
    for row in definition.coded_rows:
        if row.formula.strip():
            yield (
                f"row formula of {row.code}",
                FormulaKind.ROW,
                row.formula,
                [(row.code, number) for number in numeric],
            )
    for cell in definition.cells:
        if cell.row not in coded or cell.column not in numbers:
            yield (
                f"cell {cell.row}/{cell.column}",
                None,
                "",
                [(cell.row, cell.column)],
            )
        elif cell.state is CellState.COMPUTED or cell.formula.strip():
            yield (
                f"cell {cell.row}/{cell.column}",
                FormulaKind.CELL,
                cell.formula,
                [(cell.row, cell.column)],
            )


def _check_formulas(definition: FormDefinition) -> list[Problem]:
    problems = []
    coded = {row.code for row in definition.coded_rows}
    columns = {column.number: column for column in definition.columns}
    for location, kind, text, cells in _formula_sources(definition):
        if kind is None:
            problems.append(
                Problem(
                    "unknown_cell",
                    location,
                    gettext_noop(
                        "Cell %(cell)s is not in the form (no such row code or column)."
                    ),
                    {"cell": location.removeprefix("cell ")},
                )
            )
            continue
        if not text.strip():
            problems.append(
                Problem(
                    "formula_missing",
                    location,
                    gettext_noop("A computed cell needs a formula."),
                )
            )
            continue
        try:
            node = parse_formula(text, kind)
        except FormulaError as error:
            problems.append(formula_problem(error, location))
            continue
        # A column or cell formula fills one column: it must hold numbers. (A row
        # formula fills only the number columns of its row.)
        target = columns[cells[0][1]] if kind is not FormulaKind.ROW and cells else None
        if target is not None and not target.data_type.is_numeric:
            problems.append(
                Problem(
                    "formula_on_text_column",
                    location,
                    gettext_noop(
                        "Column %(number)d holds %(type)s values; only number columns can be computed."
                    ),
                    {"number": target.number, "type": target.data_type.value},
                )
            )
            continue
        for reference in references(node):
            refs = (
                [reference.start, reference.end]
                if isinstance(reference, Range)
                else [reference]
            )
            for ref in refs:
                if ref.row is not None and ref.row not in coded:
                    problems.append(
                        Problem(
                            "unknown_row",
                            location,
                            gettext_noop(
                                "The formula refers to row %(code)s, which the form does not have."
                            ),
                            {"code": ref.row},
                        )
                    )
                if ref.column is not None:
                    referenced = columns.get(ref.column)
                    if referenced is None:
                        problems.append(
                            Problem(
                                "unknown_column",
                                location,
                                gettext_noop(
                                    "The formula refers to column %(number)d, which the form does not have."
                                ),
                                {"number": ref.column},
                            )
                        )
                    elif not referenced.data_type.is_numeric:
                        problems.append(
                            Problem(
                                "formula_uses_text_column",
                                location,
                                gettext_noop(
                                    "The formula uses column %(number)d, which holds %(type)s values, not numbers."
                                ),
                                {
                                    "number": ref.column,
                                    "type": referenced.data_type.value,
                                },
                            )
                        )
    return problems


def _check_cycles(definition: FormDefinition) -> list[Problem]:
    grid = cell_grid(definition)
    depends: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for key, spec in grid.items():
        if spec.state is CellState.COMPUTED and spec.formula is not None:
            depends[key] = [
                target
                for reference in references(spec.formula)
                for target in expand_reference(definition, reference, *key)
            ]
    problems = []
    state: dict[tuple[str, int], int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset] = set()

    def visit(key, path):
        state[key] = 1
        path.append(key)
        for target in depends.get(key, []):
            if state.get(target) == 1:
                cycle = path[path.index(target) :] + [target]
                members = frozenset(cycle)
                if members not in reported:
                    reported.add(members)
                    problems.append(
                        Problem(
                            "formula_cycle",
                            f"cell {key[0]}/{key[1]}",
                            gettext_noop("Circular formulas: %(cycle)s."),
                            {"cycle": " → ".join(f"{r}/{c}" for r, c in cycle)},
                        )
                    )
            elif state.get(target) is None and target in depends:
                visit(target, path)
        path.pop()
        state[key] = 2

    for key in sorted(depends):
        if state.get(key) is None:
            visit(key, [])
    return problems
