"""Read a list of accounts to create from a CSV or Excel (.xlsx) file.

Pure Python: bytes in, rows and problems out. Every problem is reported with its line,
column, code and parameters; the parser never stops at the first one. Messages are
attached by the caller (``accounts.problems``), so this module stays free of Django.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field

import python_calamine

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# An .xlsx is a zip archive: refuse archives that would inflate far beyond any real
# list of accounts (a "zip bomb") before the spreadsheet reader sees them.
MAX_XLSX_INFLATED_BYTES = 50 * 1024 * 1024
MAX_XLSX_MEMBERS = 1000
# The spreadsheet reader allocates the whole rectangle up to the last filled cell: a
# few bytes naming cell XFD1048576 would ask for hundreds of gigabytes and abort the
# process. The filled area is measured from the XML first and kept within these.
MAX_SHEET_ROWS = 2 * MAX_ROWS
MAX_SHEET_COLUMNS = 100
MAX_CELL_CHARS = 1000
# A title ("DANH SÁCH TÀI KHOẢN ...") often sits above the table in Excel files.
HEADER_SEARCH_ROWS = 10

USERNAME_MAX_LENGTH = 150
FULL_NAME_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254
UNIT_CODE_MAX_LENGTH = 32
USERNAME_PATTERN = re.compile(r"^[\w.@+-]+\Z")

CSV = "csv"
XLSX = "xlsx"

USERNAME = "username"
FULL_NAME = "full_name"
EMAIL = "email"
UNIT_CODE = "unit_code"
ROLE = "role"
LEVEL = "level"
VALID_ON = "valid_on"
REQUIRED_COLUMNS = (USERNAME, FULL_NAME, EMAIL, UNIT_CODE, ROLE)
OPTIONAL_COLUMNS = (LEVEL, VALID_ON)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

# Headers are compared folded: lower case, without diacritics, punctuation as spaces.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    USERNAME: (
        "username",
        "user name",
        "login",
        "account",
        "ten dang nhap",
        "tai khoan",
        "ten tai khoan",
    ),
    FULL_NAME: ("full name", "name", "ho va ten", "ho ten", "ten nguoi dung"),
    EMAIL: (
        "email",
        "e mail",
        "email address",
        "thu dien tu",
        "dia chi email",
        "dia chi thu dien tu",
    ),
    UNIT_CODE: ("unit code", "unit", "ma don vi", "ma dv", "ma so don vi"),
    ROLE: ("role", "vai tro", "quyen"),
    LEVEL: ("level", "unit level", "cap", "cap don vi", "cap hanh chinh"),
    VALID_ON: (
        "valid on",
        "date",
        "ngay",
        "ngay hieu luc",
        "hieu luc ngay",
        "ngay ap dung",
    ),
}
_COLUMN_BY_ALIAS = {
    alias: column for column, aliases in COLUMN_ALIASES.items() for alias in aliases
}

ROLES = ("reporter", "reviewer", "designer", "analyst", "administrator")
ROLE_ALIASES: dict[str, tuple[str, ...]] = {
    "reporter": (
        "reporter",
        "nguoi lap bao cao",
        "lap bao cao",
        "nguoi bao cao",
        "bao cao",
        "nhap lieu",
        "can bo nhap lieu",
    ),
    "reviewer": (
        "reviewer",
        "approver",
        "reviewer and approver",
        "nguoi duyet",
        "duyet",
        "phe duyet",
        "nguoi duyet bao cao",
        "nguoi kiem tra va phe duyet",
        "kiem tra va phe duyet",
        "nguoi phe duyet",
    ),
    "designer": (
        "designer",
        "form designer",
        "thiet ke",
        "thiet ke bieu mau",
        "nguoi thiet ke",
        "nguoi thiet ke bieu mau",
    ),
    "analyst": (
        "analyst",
        "phan tich",
        "nguoi phan tich",
        "khai thac",
        "khai thac so lieu",
        "nguoi khai thac so lieu",
    ),
    "administrator": (
        "administrator",
        "admin",
        "quan tri",
        "quan tri vien",
        "nguoi quan tri",
    ),
}
_ROLE_BY_ALIAS = {
    alias: role for role, aliases in ROLE_ALIASES.items() for alias in aliases
}

LEVELS = ("province", "district", "commune")
LEVEL_ALIASES: dict[str, tuple[str, ...]] = {
    "province": ("province", "tinh", "thanh pho", "tinh thanh pho", "cap tinh"),
    "district": ("district", "huyen", "quan", "quan huyen", "thi xa", "cap huyen"),
    "commune": (
        "commune",
        "ward",
        "xa",
        "phuong",
        "thi tran",
        "xa phuong",
        "xa phuong thi tran",
        "cap xa",
    ),
}
_LEVEL_BY_ALIAS = {
    alias: level for level, aliases in LEVEL_ALIASES.items() for alias in aliases
}

_SHEET_TAG = re.compile(
    rb"<(?:[\w.-]+:)?(row|c)\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(/?)>"
)
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_REF = re.compile(rb"([A-Z]{1,3})([1-9]\d{0,6})")
_ROW_REF = re.compile(rb"[1-9]\d{0,6}")
_DATE_PATTERN = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO_DATE_PATTERN = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\x00"))
_MAGIC_NAMES = (
    (b"%PDF", "PDF"),
    (b"\xd0\xcf\x11\xe0", "OLE"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"\x1f\x8b", "GZIP"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7Z"),
)

Cell = str | datetime.date


@dataclass(frozen=True)
class Problem:
    """Something wrong in the file; ``line`` is None for the file as a whole."""

    code: str
    line: int | None = None
    column: str | None = None
    params: dict[str, str | int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class UserRow:
    """One account to create, as read from line ``line`` of the file."""

    line: int
    username: str
    full_name: str
    email: str
    unit_code: str
    role: str
    level: str | None = None
    valid_on: datetime.date | None = None


@dataclass
class UserList:
    """What a file lists. ``rows`` holds every non-blank line, those with problems
    too (their faulty values empty or None), so later checks can cover every line;
    nothing may be created from a list that is not ``ok``."""

    rows: list[UserRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    file_format: str | None = None
    row_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


class _Unreadable(Exception):
    """The content cannot be read as the format its name claims."""

    def __init__(self, code: str = "file_unreadable", **params):
        super().__init__(code)
        self.code = code
        self.params = params


def fold(text: str) -> str:
    """Return ``text`` lower-cased, without Vietnamese diacritics, punctuation as
    single spaces: "Mã đơn vị" -> "ma don vi"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_INVISIBLE))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = bare.replace("đ", "d").replace("Đ", "D").casefold()
    return " ".join(re.sub(r"[\W_]+", " ", bare).split())


def clean_text(value: str) -> str:
    """Return ``value`` in NFC with invisible characters and outer spaces removed and
    inner runs of white space collapsed."""
    return " ".join(unicodedata.normalize("NFC", value.translate(_INVISIBLE)).split())


def file_format_of(filename: str) -> str | None:
    """Return "csv" or "xlsx" from the file name, or None for any other name."""
    suffix = filename.rsplit(".", 1)[-1].casefold() if "." in filename else ""
    return {"csv": CSV, "txt": CSV, "xlsx": XLSX}.get(suffix)


def parse_user_list(data: bytes, filename: str) -> UserList:
    """Read the accounts listed in ``data`` (the content of ``filename``).

    Return every row that could be read and every problem found; a file-level
    problem (empty, too large, not a spreadsheet, missing columns) leaves no rows.
    """
    result = UserList(file_format=file_format_of(filename))
    if not data or not data.strip():
        result.problems.append(Problem("file_empty"))
        return result
    if len(data) > MAX_FILE_BYTES:
        result.problems.append(
            Problem("file_too_large", params={"max_mb": MAX_FILE_BYTES // 2**20})
        )
        return result
    if result.file_format is None:
        result.problems.append(
            Problem("file_type_unsupported", params={"name": filename})
        )
        return result
    try:
        records = (
            list(_xlsx_records(data))
            if result.file_format == XLSX
            else list(_csv_records(data))
        )
    except _Unreadable as error:
        line = error.params.pop("line", None)
        result.problems.append(Problem(error.code, line=line, params=error.params))
        return result
    _read_records(records, result)
    return result


def _sniff(data: bytes) -> str | None:
    for magic, name in _MAGIC_NAMES:
        if data.startswith(magic):
            return name
    if data.startswith(b"PK\x03\x04"):
        return "ZIP"
    return None


def _csv_records(data: bytes) -> Iterator[tuple[int, list[Cell]]]:
    if _sniff(data) is not None or b"\x00" in data:
        raise _Unreadable("file_not_csv")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise _Unreadable("csv_not_utf8", line=line) from None
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(";,\t", key=first_line.count) if first_line else ","
    if first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for cells in reader:
            yield line, list(cells)
            line = reader.line_num + 1
    except csv.Error:
        raise _Unreadable("csv_malformed", line=line) from None


def _xlsx_records(data: bytes) -> Iterator[tuple[int, list[Cell]]]:
    if _sniff(data) != "ZIP":
        raise _Unreadable("file_not_xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _Unreadable("file_not_xlsx") from None
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names:
        raise _Unreadable("file_not_xlsx")
    if (
        len(members) > MAX_XLSX_MEMBERS
        or sum(member.file_size for member in members) > MAX_XLSX_INFLATED_BYTES
    ):
        raise _Unreadable("xlsx_too_large")
    _check_sheet_extent(data, sorted(n for n in names if _is_worksheet(n)))
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        visible = [
            index
            for index, sheet in enumerate(workbook.sheets_metadata)
            if sheet.visible == python_calamine.SheetVisibleEnum.Visible
        ]
        sheet = workbook.get_sheet_by_index(visible[0] if visible else 0)
        # Rows count from the top of the sheet, so index + 1 is Excel's row number.
        for index, cells in enumerate(sheet.iter_rows()):
            yield index + 1, [_xlsx_cell(value) for value in cells]
    except python_calamine.PasswordError:
        raise _Unreadable("xlsx_encrypted") from None
    except (python_calamine.CalamineError, ValueError, OverflowError):
        raise _Unreadable("file_not_xlsx") from None


def _is_worksheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def _check_sheet_extent(data: bytes, worksheets: list[str]) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in worksheets:
                with archive.open(name) as member:
                    xml = member.read(MAX_XLSX_INFLATED_BYTES + 1)
                rows, columns = sheet_extent(xml)
                if rows > MAX_SHEET_ROWS or columns > MAX_SHEET_COLUMNS:
                    raise _Unreadable(
                        "xlsx_sheet_too_large",
                        rows=rows,
                        columns=columns,
                        max_rows=MAX_SHEET_ROWS,
                        max_columns=MAX_SHEET_COLUMNS,
                    )
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        raise _Unreadable("file_not_xlsx") from None


def sheet_extent(xml: bytes) -> tuple[int, int]:
    """Return the last row and column (1-based) holding a cell with content in a
    worksheet's XML; cells written as ``<c .../>`` are empty and do not count.

    Raise ``ValueError`` for a cell or row reference Excel would never write.
    """
    last_row = last_column = 0
    row = column = 0
    for match in _SHEET_TAG.finditer(xml):
        tag, attributes, self_closing = match.groups()
        value = _reference(attributes)
        if tag == b"row":
            if value is not None and not _ROW_REF.fullmatch(value):
                raise ValueError("row reference")
            row = int(value) if value is not None else row + 1
            column = 0
            continue
        if value is None:
            column += 1
        else:
            cell = _CELL_REF.fullmatch(value)
            if cell is None:
                raise ValueError("cell reference")
            column = _column_number(cell.group(1).decode("ascii"))
            row = int(cell.group(2))
        if not self_closing:
            last_row = max(last_row, row)
            last_column = max(last_column, column)
    return last_row, last_column


def _reference(attributes: bytes) -> bytes | None:
    values = [
        match.group(2) if match.group(2) is not None else match.group(3)
        for match in _ATTRIBUTE.finditer(attributes)
        if match.group(1) == b"r"
    ]
    if len(values) > 1:
        raise ValueError("repeated reference")
    return values[0] if values else None


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _xlsx_cell(value) -> Cell:
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return str(value)


def _read_records(records: list[tuple[int, list[Cell]]], result: UserList) -> None:
    rows = [(line, cells) for line, cells in records if not _blank(cells)]
    if not rows:
        result.problems.append(Problem("file_empty"))
        return
    start = _header_index(rows)
    (header_line, header), body = rows[start], rows[start + 1 :]
    positions = _read_header(header_line, header, result.problems)
    if result.problems:
        return
    result.row_count = len(body)
    if not body:
        result.problems.append(Problem("no_rows"))
        return
    if len(body) > MAX_ROWS:
        result.problems.append(
            Problem("too_many_rows", params={"max_rows": MAX_ROWS, "rows": len(body)})
        )
        return
    result.rows = [
        _read_row(line, cells, positions, result.problems) for line, cells in body
    ]


def _header_index(rows: list[tuple[int, list[Cell]]]) -> int:
    """Return the index of the header row: the first row naming at least three known
    columns among the first few, so a title above the table is skipped."""
    for index, (_line, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        known = {_column_of(c) for c in cells if isinstance(c, str)} - {None}
        if len(known) >= 3:
            return index
    return 0


def _blank(cells: Iterable[Cell]) -> bool:
    return all(isinstance(c, str) and not clean_text(c) for c in cells)


def _column_of(header: str) -> str | None:
    folded = fold(header)
    if folded in _COLUMN_BY_ALIAS:
        return _COLUMN_BY_ALIAS[folded]
    # "Tên đăng nhập (username)", "Email*": try outside, then inside the brackets.
    outside = fold(re.sub(r"\(.*?\)|\[.*?\]", " ", header))
    inside = [fold(a or b) for a, b in re.findall(r"\((.*?)\)|\[(.*?)\]", header)]
    for candidate in [outside, *inside]:
        if candidate in _COLUMN_BY_ALIAS:
            return _COLUMN_BY_ALIAS[candidate]
    return None


def _read_header(line: int, header: list[Cell], problems: list[Problem]):
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        column = _column_of(cell) if isinstance(cell, str) else None
        if column is None:
            continue
        if column in positions:
            problems.append(
                Problem(
                    "column_duplicate",
                    line=line,
                    column=column,
                    params={"position": index + 1},
                )
            )
            continue
        positions[column] = index
    for column in REQUIRED_COLUMNS:
        if column not in positions:
            problems.append(Problem("column_missing", line=line, column=column))
    return positions


def _read_row(
    line: int, cells: list[Cell], positions: dict[str, int], problems: list[Problem]
) -> UserRow:
    found: list[Problem] = []

    def value(column: str) -> Cell:
        index = positions.get(column)
        if index is None or index >= len(cells):
            return ""
        cell = cells[index]
        return clean_text(cell) if isinstance(cell, str) else cell

    def text(column: str, max_length: int) -> str:
        raw = value(column)
        content = raw.strftime("%d/%m/%Y") if isinstance(raw, datetime.date) else raw
        if not content:
            found.append(Problem("value_required", line=line, column=column))
        elif len(content) > max_length:
            found.append(
                Problem(
                    "value_too_long",
                    line=line,
                    column=column,
                    params={"max_length": max_length, "length": len(content)},
                )
            )
        return content

    username = text(USERNAME, USERNAME_MAX_LENGTH)
    if username and len(username) <= USERNAME_MAX_LENGTH:
        if not USERNAME_PATTERN.match(username):
            found.append(
                Problem(
                    "username_invalid",
                    line=line,
                    column=USERNAME,
                    params={"value": _shown(username)},
                )
            )
    full_name = text(FULL_NAME, FULL_NAME_MAX_LENGTH)
    email = text(EMAIL, EMAIL_MAX_LENGTH)
    unit_code = text(UNIT_CODE, UNIT_CODE_MAX_LENGTH)
    role = _choice(text(ROLE, MAX_CELL_CHARS), _ROLE_BY_ALIAS)
    if role is None and value(ROLE):
        found.append(
            Problem(
                "role_unknown",
                line=line,
                column=ROLE,
                params={"value": _shown(str(value(ROLE))), "choices": ", ".join(ROLES)},
            )
        )
    level = None
    raw_level = value(LEVEL)
    if raw_level:
        level = _choice(str(raw_level), _LEVEL_BY_ALIAS)
        if level is None:
            found.append(
                Problem(
                    "level_unknown",
                    line=line,
                    column=LEVEL,
                    params={
                        "value": _shown(str(raw_level)),
                        "choices": ", ".join(LEVELS),
                    },
                )
            )
    valid_on = None
    raw_date = value(VALID_ON)
    if raw_date:
        valid_on = parse_date(raw_date)
        if valid_on is None:
            found.append(
                Problem(
                    "date_invalid",
                    line=line,
                    column=VALID_ON,
                    params={"value": _shown(str(raw_date))},
                )
            )
    problems.extend(found)
    return UserRow(
        line=line,
        username=username,
        full_name=full_name,
        email=email,
        unit_code=unit_code,
        role=role or "",
        level=level,
        valid_on=valid_on,
    )


def _choice(raw: str, choices: dict[str, str]) -> str | None:
    return choices.get(fold(raw)) if raw else None


def _shown(value: str, limit: int = 60) -> str:
    """Return ``value`` short enough to quote in a message."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def parse_date(value: Cell) -> datetime.date | None:
    """Return the date written as dd/mm/yyyy (or yyyy-mm-dd), or None."""
    if isinstance(value, datetime.date):
        return value
    match = _DATE_PATTERN.match(value)
    if match:
        day, month, year = (int(part) for part in match.groups())
    else:
        match = _ISO_DATE_PATTERN.match(value)
        if not match:
            return None
        year, month, day = (int(part) for part in match.groups())
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None
