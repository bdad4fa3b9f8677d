"""What the upload parsers report: one problem per cell (or per sheet, or per file).

Every problem carries a ``code``, an English ``message`` with ``%(name)s``
placeholders (marked for translation, filled from ``params``) and where it is: the
sheet and cell address of the file, and, once known, the unit, period, row code and
column number of the form. The parsers never stop at the first problem.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum


def gettext_noop(message: str) -> str:
    """Mark ``message`` for translation (the extractor knows this name)."""
    return message


class Severity(StrEnum):
    """An error keeps its report out of the import; a warning only informs."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class ImportProblem:
    code: str
    message: str
    params: dict = field(default_factory=dict)
    severity: Severity = Severity.ERROR
    sheet: str = ""
    cell: str = ""
    unit: str = ""
    period: str = ""
    row_code: str = ""
    column: int | None = None
    value: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def render(self, translate=lambda text: text) -> str:
        """Return the message in the reader's language, its placeholders filled."""
        text = translate(self.message)
        return text % self.params if self.params else text

    def at(self, **where) -> ImportProblem:
        """Return this problem placed somewhere more precisely."""
        return replace(self, **where)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


def problem(
    code: str,
    message: str,
    /,
    *,
    severity: Severity = Severity.ERROR,
    cell_value: object = None,
    **params,
) -> ImportProblem:
    """Build a problem; ``cell_value`` is what the cell held (by default the
    ``value`` parameter of the message), shown as text."""
    if cell_value is None:
        cell_value = params.get("value", "")
    return ImportProblem(
        code=code,
        message=message,
        params=params,
        severity=severity,
        value=shown(cell_value),
    )


def shown(value: object, limit: int = 80) -> str:
    """Return ``value`` as a short text for a message ("" for an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
