"""Lines pasted from a spreadsheet into the form builder, read as parts of a definition.

The builder shows each part of a form as plain text, one item a line, with fields
separated by tabs (what a spreadsheet puts on the clipboard) or by ``|`` (what a
person can type):

rows        ``code | label | unit | indent | options | guidance``
            An empty code makes a group header. Indentation is the indent field, or
            else one level per empty field between code and label, or per two spaces
            before the label. Options: ``bold``/``đậm``, ``of which``/``trong đó``,
            and how the row adds up when an upper unit compiles the reports below:
            ``average``/``trung bình``, ``max``/``lớn nhất``, ``min``/``nhỏ nhất``,
            ``no sum``/``không cộng`` (sum is the default); a
            label starting "Trong đó" is an of-which row anyway. Lines copied straight
            from the annex (label, code, unit) are recognised too.
columns     ``number | label | type | group | decimal places | unit``; types are
            integer, decimal, percent, text and yes-no (or their Vietnamese names).
formulas    ``1 = 2 + 3 + 4`` (column), ``01 = 02 + 03`` (row), ``[05:3] = [06:3] * 2``
            (cell), ``disable 03:1`` (a cell that takes no value). ``column 1``,
            ``row 1`` or ``(1)`` settle a target that could be either.
deadlines   ``15 ngày sau kỳ``, ``15/12``, ``20/01 năm sau``; the line is kept as the
            rule's label.

Every parser returns what it could read and every problem, each on its line; the
``*_to_text`` functions write a definition back so that it parses to the same thing.
``assemble_definition`` puts the parts together and runs the design checks, placing
each problem in its part and on its line.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field, replace

from forms.definition.checks import check_definition
from forms.definition.formula import (
    FormulaError,
    FormulaKind,
    format_formula,
    formula_problem,
    parse_formula,
)
from forms.definition.model import (
    Aggregation,
    CellOverride,
    CellState,
    ColumnDef,
    DataType,
    DeadlineKind,
    DeadlineRule,
    FormDefinition,
    RowDef,
)
from forms.definition.problems import Problem, gettext_noop

MAX_INDENT = 6
SPACES_PER_LEVEL = 2


class Section(enum.StrEnum):
    """The parts of the builder, in the order a designer fills them in."""

    METADATA = "metadata"
    ROWS = "rows"
    COLUMNS = "columns"
    FORMULAS = "formulas"


@dataclass(frozen=True)
class Pasted:
    """What a parser read: the items, the line each came from, and the problems."""

    items: tuple = ()
    lines: tuple[int, ...] = ()
    problems: tuple[Problem, ...] = ()


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _lines(text: str):
    """Yield (line number, line) for each line that says something."""
    for number, line in enumerate(_nfc(text or "").splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield number, line.rstrip("\r\n")


def _fields(line: str) -> list[str]:
    if "\t" in line:
        return line.split("\t")
    if "|" in line:
        # One space after a bar is typography; more spaces before a label indent it.
        return [part.rstrip().removeprefix(" ") for part in line.split("|")]
    return [line]


def _line_problem(code: str, line: int, message: str, **params) -> Problem:
    return Problem(code, f"line {line}", message, {"line": line, **params})


# --- Rows -------------------------------------------------------------------------

_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._\-]{0,15}")
_OF_WHICH = re.compile(r"^[\s\-–+*•]*trong\s+đó\b", re.IGNORECASE)
_BOLD_WORDS = {"bold", "đậm", "in đậm", "b"}
_OF_WHICH_WORDS = {"of which", "of_which", "trong đó", "trong do"}
# How the row adds up when an upper unit compiles the reports below (sum by default).
_AGGREGATION_WORDS = {
    "average": Aggregation.AVERAGE,
    "trung bình": Aggregation.AVERAGE,
    "max": Aggregation.MAX,
    "lớn nhất": Aggregation.MAX,
    "min": Aggregation.MIN,
    "nhỏ nhất": Aggregation.MIN,
    "no sum": Aggregation.NONE,
    "none": Aggregation.NONE,
    "không cộng": Aggregation.NONE,
    "sum": Aggregation.SUM,
    "cộng": Aggregation.SUM,
}


def is_of_which_label(label: str) -> bool:
    """Return whether ``label`` introduces a subset ("Trong đó: ...")."""
    return bool(_OF_WHICH.match(_nfc(label)))


def _looks_like_code(value: str) -> bool:
    return bool(_CODE.fullmatch(value.strip()))


def _label_first(split_lines: list[list[str]]) -> bool:
    """Guess whether the lines come in the annex's order (label, code, unit)."""
    code_first = label_first = 0
    for fields in split_lines:
        if len(fields) < 2:
            continue
        first, second = _looks_like_code(fields[0]), _looks_like_code(fields[1])
        if first and not second:
            code_first += 1
        elif second and not first:
            label_first += 1
    return label_first > code_first


def _leading_levels(label: str) -> int:
    spaces = len(label) - len(label.lstrip(" \u00a0"))
    return spaces // SPACES_PER_LEVEL


def parse_rows(text: str) -> Pasted:
    """Read pasted rows; return RowDefs, their lines and every problem."""
    numbered = [(number, _fields(line)) for number, line in _lines(text)]
    label_first = _label_first([fields for _, fields in numbered])
    rows, lines, problems = [], [], []
    for number, fields in numbered:
        if len(fields) == 1:
            code, skipped, label, rest = "", 0, fields[0], []
        elif label_first:
            code = fields[1].strip()
            skipped, label, rest = 0, fields[0], fields[2:]
        else:
            code = fields[0].strip()
            position = next(
                (i for i in range(1, len(fields)) if fields[i].strip()), None
            )
            if position is None:
                label, skipped, rest = "", 0, []
            else:
                label, skipped, rest = (
                    fields[position],
                    position - 1,
                    fields[position + 1 :],
                )
        unit, indent_text, options, guidance = (rest + ["", "", "", ""])[:4]
        if len(rest) > 4:
            problems.append(
                _line_problem(
                    "too_many_fields",
                    number,
                    gettext_noop(
                        "This line has more fields than code, label, unit, indent, options and guidance."
                    ),
                )
            )
        indent = skipped + _leading_levels(label)
        if indent_text.strip():
            try:
                indent = int(indent_text.strip())
            except ValueError:
                problems.append(
                    _line_problem(
                        "indent_invalid",
                        number,
                        gettext_noop(
                            "The indent %(value)r is not a whole number from 0 to 6."
                        ),
                        value=indent_text.strip(),
                    )
                )
        if not 0 <= indent <= MAX_INDENT:
            problems.append(
                _line_problem(
                    "indent_invalid",
                    number,
                    gettext_noop(
                        "The indent %(value)r is not a whole number from 0 to 6."
                    ),
                    value=str(indent),
                )
            )
            indent = max(0, min(indent, MAX_INDENT))
        bold = of_which = False
        aggregation = Aggregation.SUM
        for word in filter(None, (w.strip().casefold() for w in options.split(","))):
            if word in _BOLD_WORDS:
                bold = True
            elif word in _OF_WHICH_WORDS:
                of_which = True
            elif word in _AGGREGATION_WORDS:
                aggregation = _AGGREGATION_WORDS[word]
            else:
                problems.append(
                    _line_problem(
                        "option_unknown",
                        number,
                        gettext_noop(
                            "Unknown option %(value)r (use “bold”, “of which”, "
                            "“average”, “max”, “min” or “no sum”)."
                        ),
                        value=word,
                    )
                )
        label = " ".join(label.split())
        rows.append(
            RowDef(
                code=code or None,
                label=label,
                indent=indent,
                unit=unit.strip(),
                of_which=of_which or is_of_which_label(label),
                bold=bold,
                guidance=guidance.strip(),
                aggregation=aggregation.value,
            )
        )
        lines.append(number)
    return Pasted(tuple(rows), tuple(lines), tuple(problems))


def rows_to_text(rows) -> str:
    """Write rows as tab-separated lines that ``parse_rows`` reads back."""
    lines = []
    for row in rows:
        options = []
        if row.bold:
            options.append("bold")
        if row.of_which and not is_of_which_label(row.label):
            options.append("of which")
        if row.aggregation != Aggregation.SUM:
            options.append(
                "no sum" if row.aggregation == Aggregation.NONE else row.aggregation
            )
        fields = [
            row.code or "",
            row.label,
            row.unit,
            str(row.indent),
            ", ".join(options),
            row.guidance,
        ]
        while fields[-1] == "" and len(fields) > 4:
            fields.pop()
        lines.append("\t".join(fields))
    return "\n".join(lines)


# --- Columns ----------------------------------------------------------------------

_TYPE_NAMES = {
    DataType.INTEGER: {"integer", "int", "số nguyên", "nguyên", "so nguyen"},
    DataType.DECIMAL: {"decimal", "số thập phân", "thập phân", "số thực", "so thap phan"},
    DataType.PERCENT: {"percent", "%", "phần trăm", "tỷ lệ", "tỉ lệ", "phan tram"},
    DataType.TEXT: {"text", "chữ", "văn bản", "ghi chú", "van ban"},
    DataType.BOOLEAN: {"yes-no", "yes/no", "boolean", "có/không", "có-không", "co/khong"},
}  # fmt: skip
_TYPE_BY_NAME = {name: kind for kind, names in _TYPE_NAMES.items() for name in names}
_TYPE_TEXT = {
    DataType.INTEGER: "integer",
    DataType.DECIMAL: "decimal",
    DataType.PERCENT: "percent",
    DataType.TEXT: "text",
    DataType.BOOLEAN: "yes-no",
}
_COLUMN_NUMBER = re.compile(r"\(?\s*(\d{1,3})\s*\)?")


def _default_places(data_type: DataType) -> int:
    return 2 if data_type in {DataType.DECIMAL, DataType.PERCENT} else 0


def parse_columns(text: str) -> Pasted:
    """Read pasted value columns; return ColumnDefs, their lines and every problem."""
    columns, lines, problems = [], [], []
    previous = 0
    for number_line, line in _lines(text):
        fields = [part.strip() for part in _fields(line)]
        match = _COLUMN_NUMBER.fullmatch(fields[0])
        if match:
            number, rest = int(match.group(1)), fields[1:]
        else:
            number, rest = previous + 1, fields
        previous = number
        label, type_text, group, places_text, unit = (rest + [""] * 5)[:5]
        if len(rest) > 5:
            problems.append(
                _line_problem(
                    "too_many_fields",
                    number_line,
                    gettext_noop(
                        "This line has more fields than number, label, type, group, decimal places and unit."
                    ),
                )
            )
        data_type = DataType.INTEGER
        if type_text:
            data_type = _TYPE_BY_NAME.get(type_text.casefold())
            if data_type is None:
                problems.append(
                    _line_problem(
                        "type_unknown",
                        number_line,
                        gettext_noop(
                            "Unknown type %(value)r (use integer, decimal, percent, text or yes-no)."
                        ),
                        value=type_text,
                    )
                )
                data_type = DataType.INTEGER
        places = _default_places(data_type)
        if places_text:
            try:
                places = int(places_text)
            except ValueError:
                problems.append(
                    _line_problem(
                        "places_invalid",
                        number_line,
                        gettext_noop("Decimal places %(value)r is not a whole number."),
                        value=places_text,
                    )
                )
        columns.append(
            ColumnDef(
                number=number,
                label=" ".join(label.split()),
                data_type=data_type,
                decimal_places=places,
                group=" ".join(group.split()),
                unit=unit,
            )
        )
        lines.append(number_line)
    return Pasted(tuple(columns), tuple(lines), tuple(problems))


def columns_to_text(columns) -> str:
    """Write columns as tab-separated lines that ``parse_columns`` reads back."""
    lines = []
    for column in columns:
        places = (
            str(column.decimal_places)
            if column.decimal_places != _default_places(column.data_type)
            or column.data_type in {DataType.DECIMAL, DataType.PERCENT}
            else ""
        )
        fields = [
            str(column.number),
            column.label,
            _TYPE_TEXT[column.data_type],
            column.group,
            places,
            column.unit,
        ]
        while fields[-1] == "" and len(fields) > 3:
            fields.pop()
        lines.append("\t".join(fields))
    return "\n".join(lines)


# --- Formulas ---------------------------------------------------------------------

_DISABLE = re.compile(r"(?:disable|tắt|khóa|khoá)\s+(?P<cells>.+)", re.IGNORECASE)
_CELL = re.compile(r"\[?\s*(?P<row>[^\]\[:\s,;]+)\s*:\s*(?P<column>\d+)\s*\]?")
_CELL_TARGET = re.compile(r"\[\s*(?P<row>[^\]:\s]+)\s*:\s*(?P<column>\d+)\s*\]")
_COLUMN_TARGET = re.compile(
    r"(?:(?:column|cột|cot|col)\s*(?P<word>\d+)|\(\s*(?P<paren>\d+)\s*\))",
    re.IGNORECASE,
)
_ROW_TARGET = re.compile(r"(?:row|dòng|dong|hàng)\s+(?P<code>\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class Formulas:
    """Formulas read from the formulas box, each with the line it came from."""

    columns: dict[int, str] = field(default_factory=dict)
    rows: dict[str, str] = field(default_factory=dict)
    cells: tuple[CellOverride, ...] = ()
    column_lines: dict[int, int] = field(default_factory=dict)
    row_lines: dict[str, int] = field(default_factory=dict)
    cell_lines: dict[tuple[str, int], int] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()


def parse_formulas(text: str, *, row_codes, column_numbers) -> Formulas:
    """Read formula lines for a form with ``row_codes`` and ``column_numbers``."""
    row_codes = set(row_codes)
    column_numbers = set(column_numbers)
    result = Formulas()
    problems: list[Problem] = []
    cells: list[CellOverride] = []

    def canonical(expression: str, kind: FormulaKind, line: int) -> str | None:
        try:
            return format_formula(parse_formula(expression, kind), kind)
        except FormulaError as error:
            problem = formula_problem(error, f"line {line}")
            problems.append(replace(problem, params={**problem.params, "line": line}))
            return None

    def duplicate(line: int, target: str, first: int):
        problems.append(
            _line_problem(
                "formula_duplicate",
                line,
                gettext_noop("%(target)s already has a formula (line %(first)d)."),
                target=target,
                first=first,
            )
        )

    for line, raw in _lines(text):
        statement = raw.strip()
        disable = _DISABLE.fullmatch(statement)
        if disable:
            found = list(_CELL.finditer(disable.group("cells")))
            if not found:
                problems.append(
                    _line_problem(
                        "disable_syntax",
                        line,
                        gettext_noop(
                            "Write the cells to disable as row:column, e.g. “disable 03:1”."
                        ),
                    )
                )
            for match in found:
                key = (match.group("row"), int(match.group("column")))
                if key in result.cell_lines:
                    duplicate(line, f"{key[0]}:{key[1]}", result.cell_lines[key])
                    continue
                cells.append(CellOverride(key[0], key[1], CellState.DISABLED))
                result.cell_lines[key] = line
            continue
        target, equals, expression = statement.partition("=")
        target = target.strip()
        if not equals or not target or not expression.strip():
            problems.append(
                _line_problem(
                    "formula_line_syntax",
                    line,
                    gettext_noop(
                        "Write “target = formula”, e.g. “1 = 2 + 3”, “01 = 02 + 03” or “[05:3] = [06:3] * 2”."
                    ),
                )
            )
            continue
        cell = _CELL_TARGET.fullmatch(target)
        column = _COLUMN_TARGET.fullmatch(target)
        row = _ROW_TARGET.fullmatch(target)
        if cell:
            key = (cell.group("row"), int(cell.group("column")))
            if key in result.cell_lines:
                duplicate(line, f"[{key[0]}:{key[1]}]", result.cell_lines[key])
                continue
            formula = canonical(expression, FormulaKind.CELL, line)
            if formula is not None:
                cells.append(CellOverride(*key, CellState.COMPUTED, formula))
                result.cell_lines[key] = line
            continue
        if column:
            kind, number = "column", int(column.group("word") or column.group("paren"))
        elif row:
            kind, code = "row", row.group("code")
        else:
            is_row = target in row_codes
            is_column = (
                target.isdigit()
                and str(int(target)) == target
                and int(target) in column_numbers
            )
            if is_row and is_column:
                problems.append(
                    _line_problem(
                        "formula_target_ambiguous",
                        line,
                        gettext_noop(
                            "%(target)s is both a row code and a column number; write “row %(target)s = …” or “column %(target)s = …”."
                        ),
                        target=target,
                    )
                )
                continue
            if is_row or not (target.isdigit() and str(int(target)) == target):
                kind, code = "row", target
            else:
                kind, number = "column", int(target)
        if kind == "column":
            if number not in column_numbers:
                problems.append(
                    _line_problem(
                        "formula_target_unknown",
                        line,
                        gettext_noop("The form has no column %(target)s."),
                        target=str(number),
                    )
                )
                continue
            if number in result.column_lines:
                duplicate(line, str(number), result.column_lines[number])
                continue
            formula = canonical(expression, FormulaKind.COLUMN, line)
            if formula is not None:
                result.columns[number] = formula
                result.column_lines[number] = line
            continue
        if code not in row_codes:
            problems.append(
                _line_problem(
                    "formula_target_unknown",
                    line,
                    gettext_noop("The form has no row %(target)s."),
                    target=code,
                )
            )
            continue
        if code in result.row_lines:
            duplicate(line, code, result.row_lines[code])
            continue
        formula = canonical(expression, FormulaKind.ROW, line)
        if formula is not None:
            result.rows[code] = formula
            result.row_lines[code] = line
    return replace(result, cells=tuple(cells), problems=tuple(problems))


def formulas_to_text(definition: FormDefinition) -> str:
    """Write the formulas and cell overrides of ``definition`` as formula lines."""
    numbers = {column.number for column in definition.columns}
    codes = {row.code for row in definition.coded_rows}
    lines = []
    for column in definition.columns:
        if column.formula.strip():
            target = str(column.number)
            if target in codes:
                target = f"column {target}"
            lines.append(f"{target} = {column.formula}")
    for row in definition.coded_rows:
        if row.formula.strip():
            target = row.code
            reads_as_other = (
                _COLUMN_TARGET.fullmatch(target)
                or _CELL_TARGET.fullmatch(target)
                or (
                    target.isdigit()
                    and str(int(target)) == target
                    and int(target) in numbers
                )
            )
            if reads_as_other:
                target = f"row {target}"
            lines.append(f"{target} = {row.formula}")
    for cell in definition.cells:
        if cell.state is CellState.DISABLED:
            lines.append(f"disable {cell.row}:{cell.column}")
        elif cell.formula.strip():
            lines.append(f"[{cell.row}:{cell.column}] = {cell.formula}")
    return "\n".join(lines)


# --- Deadlines --------------------------------------------------------------------

_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.\-](\d{1,2})(?![/.\-]?\d)")
_DATE_WORDS = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})", re.IGNORECASE)
_DAYS = re.compile(r"(?<!\d)(\d{1,3})\s*(?:ngày|days?)\b", re.IGNORECASE)
_NEXT_YEAR = re.compile(
    r"năm\s+sau|năm\s+tiếp\s+theo|next\s+year|following\s+year", re.IGNORECASE
)


def _deadline_from_line(line: str) -> DeadlineRule | None:
    date = _DATE_WORDS.search(line) or _DATE.search(line)
    if date:
        kind = (
            DeadlineKind.FIXED_DATE_NEXT_YEAR
            if _NEXT_YEAR.search(line)
            else DeadlineKind.FIXED_DATE_SAME_YEAR
        )
        return DeadlineRule(
            kind=kind, day=int(date.group(1)), month=int(date.group(2)), label=line
        )
    days = _DAYS.search(line)
    if days:
        return DeadlineRule(
            kind=DeadlineKind.DAYS_AFTER_PERIOD, days=int(days.group(1)), label=line
        )
    return None


def parse_deadlines(text: str) -> Pasted:
    """Read deadline lines; each line becomes a rule labelled with the line itself."""
    rules, lines, problems = [], [], []
    for number, raw in _lines(text):
        line = " ".join(raw.split())
        rule = _deadline_from_line(line)
        if rule is None:
            problems.append(
                _line_problem(
                    "deadline_syntax",
                    number,
                    gettext_noop(
                        "%(value)r is not a deadline; write “15 ngày sau kỳ”, “15/12” or “20/01 năm sau”."
                    ),
                    value=line,
                )
            )
            continue
        rules.append(rule)
        lines.append(number)
    return Pasted(tuple(rules), tuple(lines), tuple(problems))


def deadline_text(rule: DeadlineRule) -> str:
    """Return the shortest line that names ``rule`` ("15/12", "20/01 năm sau")."""
    if rule.kind is DeadlineKind.DAYS_AFTER_PERIOD:
        return f"{rule.days} ngày sau kỳ"
    text = f"{rule.day or 0:02d}/{rule.month or 0:02d}"
    if rule.kind is DeadlineKind.FIXED_DATE_NEXT_YEAR:
        text += " năm sau"
    return text


def deadlines_to_text(rules) -> str:
    """Write rules as lines: each one's label when it reads back as the same rule."""
    lines = []
    for rule in rules:
        label = " ".join(rule.label.split())
        parsed = _deadline_from_line(label) if label else None
        if parsed is not None and replace(parsed, label="") == replace(rule, label=""):
            lines.append(label)
        else:
            lines.append(deadline_text(rule))
    return "\n".join(lines)


# --- Putting the parts together ---------------------------------------------------


@dataclass(frozen=True)
class LocatedProblem:
    """A problem placed in a part of the builder, on a line of it when there is one.

    ``field`` names the metadata field ("code", "title", "deadlines") for problems
    of the metadata part.
    """

    section: Section
    problem: Problem
    line: int | None = None
    field: str = ""


@dataclass(frozen=True)
class Assembly:
    definition: FormDefinition
    problems: tuple[LocatedProblem, ...]

    def in_section(self, section: Section) -> list[LocatedProblem]:
        return [located for located in self.problems if located.section is section]


def assemble_definition(
    header: FormDefinition,
    *,
    deadlines_text: str = "",
    rows_text: str = "",
    columns_text: str = "",
    formulas_text: str = "",
) -> Assembly:
    """Build a definition from ``header`` (metadata) and the pasted parts; return it
    with every problem, paste and design alike, each at its part and line."""
    deadlines = parse_deadlines(deadlines_text)
    rows = parse_rows(rows_text)
    columns = parse_columns(columns_text)
    formulas = parse_formulas(
        formulas_text,
        row_codes=[row.code for row in rows.items if row.code],
        column_numbers=[column.number for column in columns.items],
    )
    definition = replace(
        header,
        deadlines=deadlines.items,
        rows=tuple(
            replace(row, formula=formulas.rows.get(row.code, "")) if row.code else row
            for row in rows.items
        ),
        columns=tuple(
            replace(column, formula=formulas.columns.get(column.number, ""))
            for column in columns.items
        ),
        cells=formulas.cells,
    )
    located = [
        *(
            LocatedProblem(Section.METADATA, p, p.params["line"], "deadlines")
            for p in deadlines.problems
        ),
        *(LocatedProblem(Section.ROWS, p, p.params["line"]) for p in rows.problems),
        *(
            LocatedProblem(Section.COLUMNS, p, p.params["line"])
            for p in columns.problems
        ),
        *(
            LocatedProblem(Section.FORMULAS, p, p.params["line"])
            for p in formulas.problems
        ),
    ]
    places = _Places(deadlines, rows, columns, formulas)
    located += [places.locate(problem) for problem in check_definition(definition)]
    return Assembly(definition, tuple(located))


@dataclass(frozen=True)
class _Places:
    deadlines: Pasted
    rows: Pasted
    columns: Pasted
    formulas: Formulas

    def _row_line(self, problem: Problem) -> int | None:
        position = problem.params.get("second") or problem.params.get("position")
        if isinstance(position, int) and 0 < position <= len(self.rows.lines):
            return self.rows.lines[position - 1]
        code = problem.params.get("code") or problem.location.removeprefix("row ")
        for row, line in zip(self.rows.items, self.rows.lines, strict=True):
            if row.code == code:
                return line
        return None

    def _with_lines(self, problem: Problem) -> Problem:
        """Name rows by the line they are on, not by their place among the rows
        (they differ when the box has blank or comment lines)."""
        params = dict(problem.params)
        for key in ("position", "first", "second"):
            position = params.get(key)
            if isinstance(position, int) and 0 < position <= len(self.rows.lines):
                params[key] = self.rows.lines[position - 1]
        return replace(problem, params=params)

    def _column_line(self, number: int) -> int | None:
        for column, line in zip(self.columns.items, self.columns.lines, strict=True):
            if column.number == number:
                return line
        return None

    def locate(self, problem: Problem) -> LocatedProblem:
        location = problem.location
        if location in {"code", "title"}:
            return LocatedProblem(Section.METADATA, problem, field=location)
        if location.startswith("deadline "):
            index = int(location.removeprefix("deadline "))
            line = (
                self.deadlines.lines[index - 1]
                if index <= len(self.deadlines.lines)
                else None
            )
            return LocatedProblem(Section.METADATA, problem, line, "deadlines")
        if location.startswith("column formula of "):
            number = int(location.removeprefix("column formula of "))
            return LocatedProblem(
                Section.FORMULAS, problem, self.formulas.column_lines.get(number)
            )
        if location.startswith("row formula of "):
            code = location.removeprefix("row formula of ")
            return LocatedProblem(
                Section.FORMULAS, problem, self.formulas.row_lines.get(code)
            )
        if location.startswith("cell "):
            row, _, column = location.removeprefix("cell ").rpartition("/")
            line = (
                self.formulas.cell_lines.get((row, int(column)))
                if column.isdigit()
                else None
            )
            return LocatedProblem(Section.FORMULAS, problem, line)
        if location == "rows" or location.startswith("row "):
            line = None if location == "rows" else self._row_line(problem)
            return LocatedProblem(Section.ROWS, self._with_lines(problem), line)
        if location == "columns" or location.startswith("column "):
            number = location.removeprefix("column ")
            line = self._column_line(int(number)) if number.isdigit() else None
            return LocatedProblem(Section.COLUMNS, problem, line)
        return LocatedProblem(Section.METADATA, problem)


def definition_texts(definition: FormDefinition) -> dict[str, str]:
    """Return the builder's boxes for ``definition``: deadlines, rows, columns and
    formulas as text."""
    return {
        "deadlines": deadlines_to_text(definition.deadlines),
        "rows": rows_to_text(definition.rows),
        "columns": columns_to_text(definition.columns),
        "formulas": formulas_to_text(definition),
    }
