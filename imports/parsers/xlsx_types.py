"""The limits, the refusal and the description of a checked spreadsheet upload.

Shared by the modules of the safety scan (``xlsx_safety`` and the modules it calls).
"""

from __future__ import annotations

from dataclasses import dataclass, field


def gettext_noop(message: str) -> str:
    """Mark ``message`` for translation (the extractor knows this name)."""
    return message


MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * MIB
    max_members: int = 500
    max_inflated_bytes: int = 200 * MIB
    max_ratio: int = 100
    # Cells of a sheet's used rectangle; the reader holds it as one array.
    max_sheet_cells: int = 4_000_000


DEFAULT_LIMITS = Limits()
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384


class UnsafeFile(Exception):
    """The file is refused as a whole: ``code``, an English ``message``, ``params``."""

    def __init__(self, code: str, message: str, **params):
        super().__init__(message % params if params else message)
        self.code = code
        self.message = message
        self.params = params


@dataclass(frozen=True)
class SheetPart:
    """A worksheet of the archive, as its XML shows it (rows and columns 1-based)."""

    name: str
    path: str
    state: str = "visible"
    rows: int = 0
    columns: int = 0
    formulas_without_value: frozenset[tuple[int, int]] = frozenset()
    percent_cells: frozenset[tuple[int, int]] = frozenset()

    @property
    def visible(self) -> bool:
        return self.state == "visible"


@dataclass(frozen=True)
class CheckedWorkbook:
    sheets: tuple[SheetPart, ...] = ()
    members: int = 0
    inflated_bytes: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def sheet(self, name: str) -> SheetPart | None:
        return next((sheet for sheet in self.sheets if sheet.name == name), None)
