"""Read an Excel sheet laid out like a printed report form and propose its definition.

The official annexes print a form as a table: column headings (group headings merged
over the columns they group), a numbering row that letters the text columns (A label,
B code "Mã số", C unit "Đơn vị tính") and numbers the value columns 1, 2, 3, …,
sometimes with the formula of a column ("1=2+3+4", "(1)=(2)+(3)"), then one line per
form row: group headers without a code, "Trong đó" rows, bold totals, indented parts.

``parse_form_layout`` takes the file's bytes and returns what it found (rows, columns,
column formulas, code, title, unit of measure) and every problem, each at its cell.
It proposes; the designer corrects the proposal in the builder. Pure Python: no Django.

Indentation is read, in this order, from the cells' alignment indent, from spaces
before the labels, or else from the way labels and codes are numbered: "I." above
"1." above "a." above "-" above "+"; a code "I.2.b.1" sits three levels deep; a
"Trong đó" row one level below the row it belongs to.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

MAX_HEADER_ROWS = 4
MAX_SEARCH_ROWS = 60
MAX_FORM_ROWS = 3000
MAX_INDENT = 6


def gettext_noop(message: str) -> str:
    """Mark ``message`` for translation (the extractor knows this name)."""
    return message


@dataclass(frozen=True)
class LayoutProblem:
    """Something the parser could not read, at a cell ("Biểu 01!D10")."""

    code: str
    location: str
    message: str
    params: dict = field(default_factory=dict)

    def render(self, translate=lambda text: text) -> str:
        return translate(self.message) % self.params


@dataclass(frozen=True)
class ProposedRow:
    code: str | None
    label: str
    indent: int = 0
    unit: str = ""
    of_which: bool = False
    bold: bool = False
    sheet_row: int = 0


@dataclass(frozen=True)
class ProposedColumn:
    number: int
    label: str
    group: str = ""
    formula: str = ""
    sheet_column: int = 0


@dataclass(frozen=True)
class LayoutProposal:
    sheet: str = ""
    code: str = ""
    title: str = ""
    unit_of_measure: str = ""
    has_unit_column: bool = True
    rows: tuple[ProposedRow, ...] = ()
    columns: tuple[ProposedColumn, ...] = ()
    problems: tuple[LayoutProblem, ...] = ()

    @property
    def is_usable(self) -> bool:
        """Whether there is a form to correct (some rows and some value columns)."""
        return bool(self.rows) and bool(self.columns)

    @property
    def column_formulas(self) -> dict[int, str]:
        return {
            column.number: column.formula for column in self.columns if column.formula
        }


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value))


def _clean(value) -> str:
    return " ".join(_text(value).split())


# --- The sheet, with merged cells resolved ------------------------------------------


class _Sheet:
    def __init__(self, worksheet):
        self.worksheet = worksheet
        self.name = worksheet.title
        self.merged: dict[tuple[int, int], tuple[int, int, int, int]] = {}
        for cell_range in worksheet.merged_cells.ranges:
            bounds = (
                cell_range.min_row,
                cell_range.min_col,
                cell_range.max_row,
                cell_range.max_col,
            )
            for row in range(cell_range.min_row, cell_range.max_row + 1):
                for column in range(cell_range.min_col, cell_range.max_col + 1):
                    self.merged[(row, column)] = bounds

    @property
    def max_row(self) -> int:
        return self.worksheet.max_row

    @property
    def max_column(self) -> int:
        return self.worksheet.max_column

    def cell(self, row: int, column: int):
        return self.worksheet.cell(row=row, column=column)

    def own(self, row: int, column: int) -> str:
        """The cell's own text (empty for the hidden cells of a merged range)."""
        return _clean(self.cell(row, column).value)

    def source(self, row: int, column: int) -> tuple[int, int, int, int]:
        """The merged range covering the cell, or the cell itself."""
        return self.merged.get((row, column), (row, column, row, column))

    def shown(self, row: int, column: int) -> str:
        """The text a reader sees in the cell: a merged range's text fills it all."""
        top, left, _, _ = self.source(row, column)
        return _clean(self.cell(top, left).value)

    def address(self, row: int, column: int) -> str:
        return f"{self.name}!{get_column_letter(column)}{row}"


# --- The numbering row ------------------------------------------------------------

_LETTER = re.compile(r"\(?\s*([A-E])\s*\)?")
_NUMBER = re.compile(r"\(?\s*(\d{1,3})\s*\)?")
_HEADING_FORMULA = re.compile(r"\(?\s*(\d{1,3})\s*\)?\s*=\s*(?P<formula>.+)")
_FORMULA_BODY = re.compile(r"[\d\s()+\-*/.]+")


def _heading_formula(text: str) -> str | None:
    """Return "2 + 3 + 4" for "(2)+(3)+(4)"; None when it is not a formula."""
    if not _FORMULA_BODY.fullmatch(text) or not re.search(r"\d", text):
        return None
    text = re.sub(r"\(\s*(\d{1,3})\s*\)", r"\1", text)
    text = text.replace("..", "\0")
    text = re.sub(r"\s*([-+*/])\s*", r" \1 ", text).replace("\0", "..")
    return " ".join(text.split())


@dataclass
class _Numbering:
    row: int
    letters: dict[str, int]
    numbers: list[tuple[int, int, str, str]]  # (number, sheet column, formula, raw)


def _read_numbering(sheet: _Sheet, row: int) -> _Numbering | None:
    letters: dict[str, int] = {}
    numbers: list[tuple[int, int, str, str]] = []
    for column in range(1, sheet.max_column + 1):
        value = sheet.cell(row, column).value
        text = _clean(value)
        if not text:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            if float(value).is_integer():
                numbers.append((int(value), column, "", text))
                continue
            return None
        if match := _LETTER.fullmatch(text):
            if numbers or match.group(1) in letters:
                return None
            letters[match.group(1)] = column
        elif match := _NUMBER.fullmatch(text):
            numbers.append((int(match.group(1)), column, "", text))
        elif match := _HEADING_FORMULA.fullmatch(text):
            numbers.append(
                (int(match.group(1)), column, match.group("formula").strip(), text)
            )
        else:
            return None
    if len(letters) >= 2 and numbers:
        return _Numbering(row, letters, numbers)
    return None


# --- The column headings ----------------------------------------------------------


def _header_rows(
    sheet: _Sheet, numbering: int, first_column: int, last_column: int
) -> list[int]:
    """Return the heading rows above the numbering row, top first."""
    rows: list[int] = []
    row = numbering - 1
    while row >= 1 and len(rows) < MAX_HEADER_ROWS:
        shown = [sheet.shown(row, c) for c in range(first_column, last_column + 1)]
        if not any(shown):
            break
        top, left, _, right = sheet.source(row, first_column)
        spans_all = left <= first_column and right >= last_column
        if spans_all or any(
            re.match(r"đơn vị tính\s*:", text, re.IGNORECASE) for text in shown
        ):
            break
        rows.append(row)
        row -= 1
    return rows[::-1]


def _column_heading(sheet: _Sheet, header_rows: list[int], column: int):
    """Return (group, label) of a value column from the heading rows."""
    entries: list[tuple[tuple, str]] = []
    for row in header_rows:
        bounds = sheet.source(row, column)
        text = sheet.shown(row, column)
        if not text or (entries and entries[-1][0] == bounds):
            continue
        entries.append((bounds, text))
    if not entries:
        return "", ""
    label = entries[-1][1]
    group = " – ".join(text for _, text in entries[:-1])
    return group, label


def _text_column_roles(
    sheet: _Sheet, header_rows: list[int], letters: dict[str, int]
) -> dict[str, int]:
    """Find the label, code and unit columns among the lettered ones."""
    roles: dict[str, int] = {}
    for column in sorted(letters.values()):
        heading = " ".join(sheet.shown(row, column) for row in header_rows).casefold()
        if "mã" in heading and "code" not in roles:
            roles["code"] = column
        elif ("đơn vị" in heading or "đvt" in heading) and "unit" not in roles:
            roles["unit"] = column
        elif heading.strip() and "label" not in roles:
            roles["label"] = column
    by_letter = {"A": "label", "B": "code", "C": "unit"}
    for letter, column in sorted(letters.items()):
        role = by_letter.get(letter)
        if role and role not in roles and column not in roles.values():
            roles[role] = column
    return roles


# --- Rows and their indentation ---------------------------------------------------

_FOOTER = re.compile(
    r"^(người lập|người kiểm tra|thủ trưởng|lãnh đạo đơn vị|ghi chú\s*:|lưu ý\s*:"
    r"|.{0,40},?\s*ngày\s*(\d+|\.+|…)\s*tháng)",
    re.IGNORECASE,
)
_OF_WHICH = re.compile(r"^[\s\-–+*•]*trong\s+đó\b", re.IGNORECASE)
_MARKERS = [
    (re.compile(r"^[IVXLC]+[.)/]\s"), 0.0),
    (re.compile(r"^\d+(?:\.\d+)*[.)/]\s|^\d+(?:\.\d+)+\s"), 1.0),
    (re.compile(r"^[a-zđ][.)/]\s"), 2.0),
    (re.compile(r"^[-–—−]"), 3.0),
    (re.compile(r"^\+"), 4.0),
    (re.compile(r"^[*•]"), 5.0),
]
_DOTTED_CODE_RANK = 1.5
_PLAIN_ROW_RANK = 3.0
_PLAIN_HEADER_RANK = 1.0
_TOP_RANK = -1.0


def _marker_rank(label: str) -> float | None:
    for pattern, rank in _MARKERS:
        match = pattern.match(label)
        if match:
            if rank == 1.0:
                depth = match.group(0).strip().rstrip(".)/").count(".")
                return rank + depth / 10
            return rank
    return None


def _infer_indents(rows: list[ProposedRow]) -> list[int]:
    """Indent rows from their numbering when the sheet shows no indentation."""
    indents: list[int] = []
    stack: list[tuple[float, int]] = []
    last_coded = 0
    for row in rows:
        rank = _marker_rank(row.label)
        if row.of_which and row.code:
            indent = min(last_coded + 1, MAX_INDENT)
            indents.append(indent)
            continue
        if row.code and "." in row.code.strip("."):
            indent = min(row.code.strip(".").count("."), MAX_INDENT)
            while stack and stack[-1][1] >= indent:
                stack.pop()
            stack.append((rank if rank is not None else _DOTTED_CODE_RANK, indent))
        else:
            if rank is None:
                if not stack:
                    rank = _TOP_RANK
                else:
                    rank = _PLAIN_ROW_RANK if row.code else _PLAIN_HEADER_RANK
            while stack and stack[-1][0] >= rank:
                stack.pop()
            indent = min(stack[-1][1] + 1, MAX_INDENT) if stack else 0
            stack.append((rank, indent))
        indents.append(indent)
        if row.code:
            last_coded = indent
    return indents


def _code_text(cell) -> str:
    value = cell.value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = int(value) if float(value).is_integer() else value
        text = str(number)
        zeros = re.fullmatch(r"0+", (cell.number_format or "").strip())
        return text.zfill(len(zeros.group(0))) if zeros else text
    return _clean(value)


def _read_rows(sheet: _Sheet, start: int, roles: dict[str, int], value_columns):
    label_column = roles.get("label")
    code_column = roles.get("code")
    unit_column = roles.get("unit")
    rows: list[ProposedRow] = []
    alignment_indents: list[int] = []
    leading_spaces: list[int] = []
    empty_run = 0
    for sheet_row in range(start, min(sheet.max_row, start + MAX_FORM_ROWS) + 1):
        label_cell = sheet.cell(sheet_row, label_column) if label_column else None
        raw_label = _text(label_cell.value) if label_cell is not None else ""
        label = _clean(raw_label)
        code = _code_text(sheet.cell(sheet_row, code_column)) if code_column else ""
        unit = sheet.own(sheet_row, unit_column) if unit_column else ""
        has_values = any(sheet.own(sheet_row, c) for c in value_columns)
        if not (label or code or unit or has_values):
            empty_run += 1
            if rows and empty_run >= 2:
                break
            continue
        empty_run = 0
        if label and not code and _FOOTER.match(label):
            break
        if not label and not code:
            continue
        alignment = label_cell.alignment if label_cell is not None else None
        alignment_indents.append(int(getattr(alignment, "indent", 0) or 0))
        leading_spaces.append(len(raw_label) - len(raw_label.lstrip(" \u00a0")))
        rows.append(
            ProposedRow(
                code=code or None,
                label=label,
                unit=unit,
                of_which=bool(_OF_WHICH.match(label)),
                bold=bool(label_cell is not None and label_cell.font.bold),
                sheet_row=sheet_row,
            )
        )
    if any(alignment_indents):
        indents = alignment_indents
    elif any(leading_spaces):
        step = min(spaces for spaces in leading_spaces if spaces)
        indents = [spaces // step for spaces in leading_spaces]
    else:
        indents = _infer_indents(rows)
    return [
        ProposedRow(
            code=row.code,
            label=row.label,
            indent=min(indent, MAX_INDENT),
            unit=row.unit,
            of_which=row.of_which,
            bold=row.bold,
            sheet_row=row.sheet_row,
        )
        for row, indent in zip(rows, indents, strict=True)
    ]


# --- Title block ------------------------------------------------------------------

_FORM_CODE = re.compile(r"biểu\s*(?:mẫu\s*)?số\s*[:.]?\s*(.+)|(mẫu\s+số\s+\S.*)", re.I)
_UNIT_OF_MEASURE = re.compile(r"đơn vị tính\s*:\s*(.+)", re.IGNORECASE)
_MOTTO = re.compile(r"cộng hòa|cộng hoà|độc lập", re.IGNORECASE)


def _title_block(sheet: _Sheet, above: int) -> tuple[str, str, str]:
    code = title = unit = ""
    for row in range(1, above):
        for column in range(1, sheet.max_column + 1):
            text = sheet.own(row, column)
            if not text:
                continue
            if not code and (match := _FORM_CODE.match(text)):
                code = (match.group(1) or match.group(2)).strip(" .:;,")
                continue
            if not unit and (match := _UNIT_OF_MEASURE.search(text)):
                unit = match.group(1).strip()
                continue
            letters = [ch for ch in text if ch.isalpha()]
            upper = sum(ch.isupper() for ch in letters)
            if (
                len(text) >= 10
                and letters
                and upper / len(letters) > 0.8
                and not _MOTTO.search(text)
                and len(text) > len(title)
            ):
                title = text
    return code, title, unit


# --- The parser -------------------------------------------------------------------


def _problem(code: str, location: str, message: str, **params) -> LayoutProblem:
    return LayoutProblem(code, location, message, params)


def parse_form_layout(data: bytes) -> LayoutProposal:
    """Propose a form definition from an .xlsx sheet laid out like the printed form."""
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        ValueError,
        OSError,
        TypeError,
    ):
        return LayoutProposal(
            problems=(
                _problem(
                    "not_a_workbook",
                    "file",
                    gettext_noop(
                        "The file could not be read as an Excel workbook (.xlsx). Save the layout as an .xlsx file and upload it again."
                    ),
                ),
            )
        )
    for worksheet in workbook.worksheets:
        sheet = _Sheet(worksheet)
        for row in range(1, min(sheet.max_row, MAX_SEARCH_ROWS) + 1):
            numbering = _read_numbering(sheet, row)
            if numbering is not None:
                return _propose(sheet, numbering)
    return LayoutProposal(
        problems=(
            _problem(
                "no_numbering_row",
                "file",
                gettext_noop(
                    "No sheet has a numbering row. Expected under the column headings: a row with the letters A, B, C over the label, code (“Mã số”) and unit columns, then 1, 2, 3, … over the value columns."
                ),
            ),
        )
    )


def _propose(sheet: _Sheet, numbering: _Numbering) -> LayoutProposal:
    problems: list[LayoutProblem] = []
    first_column = min(numbering.letters.values())
    last_column = max(column for _, column, _, _ in numbering.numbers)
    header_rows = _header_rows(sheet, numbering.row, first_column, last_column)
    roles = _text_column_roles(sheet, header_rows, numbering.letters)
    numbers = [number for number, _, _, _ in numbering.numbers]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(
            _problem(
                "numbering_order",
                sheet.address(numbering.row, numbering.numbers[0][1]),
                gettext_noop(
                    "The value columns are numbered %(numbers)s; expected 1, 2, 3, … in order."
                ),
                numbers=", ".join(str(n) for n in numbers),
            )
        )
    for role, message in (
        ("label", gettext_noop("No column holds the row labels (letter A).")),
        ("code", gettext_noop("No column holds the row codes (“Mã số”, letter B).")),
    ):
        if role not in roles:
            problems.append(
                _problem(f"no_{role}_column", sheet.address(numbering.row, 1), message)
            )
    columns = []
    for number, column, formula_text, raw in numbering.numbers:
        group, label = _column_heading(sheet, header_rows, column)
        if not label:
            problems.append(
                _problem(
                    "column_heading_missing",
                    sheet.address(numbering.row, column),
                    gettext_noop(
                        "Column %(number)d has no heading above the numbering row."
                    ),
                    number=number,
                )
            )
        formula = ""
        if formula_text:
            formula = _heading_formula(formula_text) or ""
            if not formula:
                problems.append(
                    _problem(
                        "heading_formula_unreadable",
                        sheet.address(numbering.row, column),
                        gettext_noop(
                            "The formula %(text)r over column %(number)d could not be read; write it like “1 = 2 + 3”."
                        ),
                        text=raw,
                        number=number,
                    )
                )
        columns.append(ProposedColumn(number, label, group, formula, column))
    rows: list[ProposedRow] = []
    if "label" in roles and "code" in roles:
        value_columns = [column for _, column, _, _ in numbering.numbers]
        rows = _read_rows(sheet, numbering.row + 1, roles, value_columns)
        if not rows:
            problems.append(
                _problem(
                    "no_rows",
                    sheet.address(numbering.row + 1, roles["label"]),
                    gettext_noop("No form rows were found below the numbering row."),
                )
            )
    code, title, unit = _title_block(
        sheet, header_rows[0] if header_rows else numbering.row
    )
    return LayoutProposal(
        sheet=sheet.name,
        code=code,
        title=title,
        unit_of_measure=unit,
        has_unit_column="unit" in roles,
        rows=tuple(rows),
        columns=tuple(columns),
        problems=tuple(problems),
    )
