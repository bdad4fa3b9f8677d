"""The definition of one version of a report form, as the official annex prints it.

A form is a grid: rows addressed by their code ("mã số"), columns by their number. The
lettered text columns A (label), B (code) and C (unit) are implied and always present.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

FORMAT_VERSION = 1


class DataType(enum.StrEnum):
    INTEGER = "integer"
    DECIMAL = "decimal"
    PERCENT = "percent"
    TEXT = "text"
    BOOLEAN = "boolean"

    @property
    def is_numeric(self) -> bool:
        return self in _NUMERIC_TYPES


_NUMERIC_TYPES = frozenset({DataType.INTEGER, DataType.DECIMAL, DataType.PERCENT})


class PeriodType(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    NINE_MONTHS = "nine_months"
    YEAR = "year"
    SCHOOL_YEAR = "school_year"
    AD_HOC = "ad_hoc"


class CellState(enum.StrEnum):
    INPUT = "input"
    COMPUTED = "computed"
    DISABLED = "disabled"


class Aggregation(enum.StrEnum):
    """How a row's figures of the units below add up into the upper unit's report."""

    SUM = "sum"
    AVERAGE = "average"
    MAX = "max"
    MIN = "min"
    NONE = "none"  # not additive (rates): the upper unit's own figures are kept


class DeadlineKind(enum.StrEnum):
    DAYS_AFTER_PERIOD = "days_after_period"
    FIXED_DATE_SAME_YEAR = "fixed_date_same_year"
    FIXED_DATE_NEXT_YEAR = "fixed_date_next_year"


@dataclass(frozen=True)
class DeadlineRule:
    """When a report is due: N days after its period ends, or a fixed day and month of
    the reporting year or of the next year ("20/01 năm sau")."""

    kind: DeadlineKind
    days: int | None = None
    day: int | None = None
    month: int | None = None
    label: str = ""


@dataclass(frozen=True)
class RowDef:
    code: str | None
    label: str
    indent: int = 0
    unit: str = ""
    of_which: bool = False
    bold: bool = False
    guidance: str = ""
    formula: str = ""
    aggregation: str = Aggregation.SUM.value

    @property
    def is_header(self) -> bool:
        """A group header ("1. Chia theo ...") has no code and holds no values."""
        return self.code is None


@dataclass(frozen=True)
class ColumnDef:
    number: int
    label: str
    data_type: DataType = DataType.INTEGER
    decimal_places: int = 0
    group: str = ""
    unit: str = ""
    formula: str = ""


@dataclass(frozen=True)
class CellOverride:
    """A cell that departs from its row and column: disabled, or its own formula."""

    row: str
    column: int
    state: CellState
    formula: str = ""


@dataclass(frozen=True)
class ReporterSpec:
    """Who reports: units of some levels, of some kinds, or a list of unit codes."""

    levels: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    unit_codes: tuple[str, ...] = ()
    receiver: str = "parent"


@dataclass(frozen=True)
class FormDefinition:
    code: str
    title: str
    period_type: PeriodType = PeriodType.YEAR
    unit_of_measure: str = ""
    notes: str = ""
    legal_basis: str = ""
    deadlines: tuple[DeadlineRule, ...] = ()
    reporters: ReporterSpec = field(default_factory=ReporterSpec)
    rows: tuple[RowDef, ...] = ()
    columns: tuple[ColumnDef, ...] = ()
    cells: tuple[CellOverride, ...] = ()
    has_unit_column: bool = True

    def row(self, code: str) -> RowDef | None:
        return next((row for row in self.rows if row.code == code), None)

    def column(self, number: int) -> ColumnDef | None:
        return next(
            (column for column in self.columns if column.number == number), None
        )

    @property
    def coded_rows(self) -> tuple[RowDef, ...]:
        return tuple(row for row in self.rows if not row.is_header)
