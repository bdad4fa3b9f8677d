"""Read an uploaded workbook: its template sheets, long tables and what is left over.

``read_workbook`` checks the file (``xlsx_safety``), reads the values with
python-calamine, and sorts the sheets:

* a template sheet is a form sheet named by a hidden ``_metadata`` sheet (one per
  form sheet in a bulk workbook: ``_metadata``, ``_metadata_2``, ...);
* a long table is a visible sheet whose header row names the columns unit code,
  period, row code, column number and value (``long_table``);
* a visible sheet with content that is neither is reported; hidden helper sheets
  and empty sheets are skipped.

Nothing here knows any form: mapping values to form cells is ``template`` and
``long_table``'s job, once the caller has found the form version.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import python_calamine

from imports.parsers.long_table import LongTable, find_long_table
from imports.parsers.problems import ImportProblem, Severity, gettext_noop, problem
from imports.parsers.xlsx_safety import (
    DEFAULT_LIMITS,
    Limits,
    SheetPart,
    UnsafeFile,
    check_xlsx,
)

METADATA_PREFIX = "_metadata"
METADATA_FORMAT = "ebaocao.template"
METADATA_FORMAT_VERSION = 1
CELL_TABLE_COLUMN = 4  # column D of the metadata sheet


@dataclass(frozen=True)
class TemplateMetadata:
    """What the hidden metadata sheet says about its form sheet."""

    sheet: str
    form_code: str
    version_number: int | None
    version_id: int | None
    definition_sha256: str
    unit_code: str
    unit_id: int | None
    period: str
    # (row code, column number) -> address, as the template printed them
    addresses: dict[tuple[str, int], str] = field(default_factory=dict)


@dataclass
class TemplateSheet:
    name: str
    metadata: TemplateMetadata
    rows: list[list]
    part: SheetPart

    def value(self, row: int, column: int):
        """Return the value at 1-based (row, column), None beyond the data."""
        if row < 1 or row > len(self.rows):
            return None
        cells = self.rows[row - 1]
        return cells[column - 1] if 0 < column <= len(cells) else None


@dataclass
class WorkbookContent:
    templates: list[TemplateSheet] = field(default_factory=list)
    long_tables: list[LongTable] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    sheet_count: int = 0

    @property
    def refused(self) -> bool:
        """Whether the file as a whole was refused (nothing was read)."""
        return any(p.is_error and not p.sheet for p in self.problems)


def read_workbook(
    data: bytes, filename: str = "", *, limits: Limits = DEFAULT_LIMITS
) -> WorkbookContent:
    """Read ``data`` (an uploaded file); file-level refusals become problems."""
    content = WorkbookContent()
    try:
        checked = check_xlsx(data, filename, limits=limits)
    except UnsafeFile as refusal:
        content.problems.append(
            ImportProblem(refusal.code, refusal.message, dict(refusal.params))
        )
        return content
    content.sheet_count = len(checked.sheets)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        content.problems.append(
            problem(
                "file_encrypted",
                gettext_noop(
                    "The workbook is protected by a password (encrypted). Remove the password in Excel (File › Info › Protect Workbook › Encrypt with Password), save, and upload it again."
                ),
            )
        )
        return content
    except (python_calamine.CalamineError, ValueError, OverflowError):
        content.problems.append(_damaged())
        return content
    with workbook:
        try:
            _sort_sheets(workbook, checked.sheets, content)
        except (python_calamine.CalamineError, ValueError, OverflowError):
            content.templates.clear()
            content.long_tables.clear()
            content.problems.append(_damaged())
    return content


def _damaged() -> ImportProblem:
    return problem(
        "file_damaged",
        gettext_noop(
            "The workbook could not be read; it may be damaged. Open it in Excel, save it again and upload the new copy."
        ),
    )


def _rows(workbook, part: SheetPart) -> list[list]:
    sheet = workbook.get_sheet_by_name(part.name)
    return sheet.to_python(skip_empty_area=False) if part.rows else []


def _sort_sheets(workbook, parts: tuple[SheetPart, ...], content: WorkbookContent):
    metadata_parts = [p for p in parts if p.name.casefold().startswith(METADATA_PREFIX)]
    form_parts = [p for p in parts if p not in metadata_parts]
    paired: set[str] = set()
    for meta_part in metadata_parts:
        metadata, problems = parse_metadata(_rows(workbook, meta_part), meta_part.name)
        content.problems.extend(problems)
        if metadata is None:
            continue
        target = next((p for p in form_parts if p.name == metadata.sheet), None)
        if target is None and len(metadata_parts) == 1 and len(form_parts) == 1:
            target = form_parts[0]  # the only form sheet, renamed by its user
        if target is None or target.name in paired:
            content.problems.append(
                problem(
                    "template_sheet_missing",
                    gettext_noop(
                        "The workbook's template information names the sheet “%(sheet)s”, which is not in the workbook (renamed or deleted?). Give the sheet its name back, or download the template again."
                    ),
                    sheet=metadata.sheet,
                ).at(sheet=metadata.sheet)
            )
            continue
        paired.add(target.name)
        content.templates.append(
            TemplateSheet(target.name, metadata, _rows(workbook, target), target)
        )
    for part in form_parts:
        if part.name in paired or not part.visible or not part.rows:
            continue
        rows = _rows(workbook, part)
        table = find_long_table(part.name, rows)
        if table is not None:
            content.long_tables.append(table)
        elif _looks_like_template(rows):
            content.problems.append(
                problem(
                    "template_without_metadata",
                    gettext_noop(
                        "Sheet “%(sheet)s” looks like a report template but carries none of the template's hidden information (it was copied from another workbook or typed by hand), so its cells cannot be mapped safely. Download the template from the system and fill that in."
                    ),
                    sheet=part.name,
                ).at(sheet=part.name)
            )
        elif any(value not in (None, "") for row in rows for value in row):
            content.problems.append(
                problem(
                    "sheet_not_recognized",
                    gettext_noop(
                        "Sheet “%(sheet)s” is neither a report template nor a long table (unit code, period, row code, column, value); it was not imported."
                    ),
                    severity=Severity.WARNING,
                    sheet=part.name,
                ).at(sheet=part.name)
            )


def _looks_like_template(rows: list[list]) -> bool:
    from imports.parsers.template import find_numbering_row

    return find_numbering_row(rows) is not None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _integer(value) -> int | None:
    text = _text(value)
    return int(text) if text.isdigit() else None


def parse_metadata(
    rows: list[list], sheet: str
) -> tuple[TemplateMetadata | None, list[ImportProblem]]:
    """Read a metadata sheet: ``key | value`` rows in A:B, the cell table in D:H."""
    values: dict[str, object] = {}
    for row in rows:
        if len(row) >= 2 and _text(row[0]):
            values[_text(row[0])] = row[1]
    if (
        _text(values.get("format")) != METADATA_FORMAT
        or _integer(values.get("format_version")) != METADATA_FORMAT_VERSION
    ):
        return None, [
            problem(
                "metadata_unknown",
                gettext_noop(
                    "The hidden sheet “%(sheet)s” is not template information this system wrote (or was altered). Download the template again."
                ),
                sheet=sheet,
            ).at(sheet=sheet)
        ]
    addresses: dict[tuple[str, int], str] = {}
    first = CELL_TABLE_COLUMN - 1
    for row in rows[1:]:
        if len(row) > first + 2:
            code, column, address = row[first : first + 3]
            number = _integer(column)
            if _text(code) and number is not None:
                addresses[(_text(code), number)] = _text(address)
    metadata = TemplateMetadata(
        sheet=_text(values.get("sheet")),
        form_code=_text(values.get("form_code")),
        version_number=_integer(values.get("form_version")),
        version_id=_integer(values.get("version_id")),
        definition_sha256=_text(values.get("definition_sha256")),
        unit_code=_text(values.get("unit_code")),
        unit_id=_integer(values.get("unit_id")),
        period=_text(values.get("period_id")),
        addresses=addresses,
    )
    return metadata, []
