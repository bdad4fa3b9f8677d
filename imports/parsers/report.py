"""The values of one report (form, unit, period) as read from a file, cell by cell."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from forms.definition.layout import column_letter
from imports.parsers.problems import ImportProblem, Severity, gettext_noop, problem
from imports.parsers.values import convert_cell

CellKey = tuple[str, int]


@dataclass(frozen=True)
class ReportSource:
    """Where a report's values are in the file and what the file says they are for."""

    sheet: str
    layout: str  # "template" or "long_table"
    form_code: str
    unit_code: str
    period: str
    version_number: int | None = None
    version_id: int | None = None
    definition_sha256: str = ""
    unit_id: int | None = None


@dataclass
class ReportValues:
    """What the file holds for one report.

    ``values`` are the canonical values of the input cells that hold something;
    ``cells`` is every cell the file had a value for, with its address and the value
    as shown, rejected ones too; ``file_computed`` the values the file shows in the
    form's computed cells (the server computes those itself); ``ignored`` counts the
    values that are not imported (refused, or outside the form).

    Cells read a whole run at a time (``add_cells``) get their entries in ``cells``
    only when it is first asked for: a direct import never asks.
    """

    source: ReportSource
    values: dict[CellKey, str] = field(default_factory=dict)
    file_computed: dict[CellKey, tuple[str, object]] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)
    ignored: int = 0
    _cells: dict[CellKey, tuple[str, str]] = field(default_factory=dict, repr=False)
    _pending: list[tuple] = field(default_factory=list, repr=False)

    @property
    def cells(self) -> dict[CellKey, tuple[str, str]]:
        for keys, rows, column, shown in self._pending:
            where = map(f"{column_letter(column)}{{}}".format, rows)
            self._cells.update(zip(keys, zip(where, shown, strict=True), strict=True))
        self._pending.clear()
        return self._cells

    def add_cells(
        self, keys: list[CellKey], rows: Sequence[int], column: int, shown: list[str]
    ) -> None:
        """Record that cells ``keys`` were found in sheet rows ``rows`` of sheet
        column ``column``, showing ``shown``."""
        self._pending.append((keys, rows, column, shown))

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)

    def add(self, found: ImportProblem, **where) -> None:
        self.problems.append(
            found.at(
                sheet=found.sheet or self.source.sheet,
                unit=self.source.unit_code,
                period=self.source.period,
                **where,
            )
        )


class _CellNames(dict):
    """Cell names ("01:2") by cell key, each made once: every report of a form
    names the same cells."""

    MAX_REMEMBERED = 100_000

    def __missing__(self, key: CellKey) -> str:
        if len(self) >= self.MAX_REMEMBERED:
            self.clear()
        name = self[key] = f"{key[0]}:{key[1]}"
        return name


_CELL_NAMES = _CellNames()


def values_by_name(values: dict[CellKey, str]) -> dict[str, str]:
    """Return ``values`` keyed by cell name ("01:2"), as reports store them."""
    return dict(zip(map(_CELL_NAMES.__getitem__, values), values.values(), strict=True))


def address(row: int, column: int) -> str:
    return f"{column_letter(column)}{row}"


def read_cell(report: ReportValues, key: CellKey, spec, raw, where: str, **options):
    """Convert one input cell's ``raw`` value by its spec and record the outcome."""
    converted = convert_cell(raw, spec.data_type.value, **options)
    if raw not in (None, ""):
        report.cells[key] = (where, _shown(raw))
    if converted.problem is not None:
        report.add(converted.problem, cell=where, row_code=key[0], column=key[1])
        if converted.rejected:
            report.ignored += 1
            return
    if converted.value is not None:
        report.values[key] = converted.value


def _shown(raw) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def not_an_input(report: ReportValues, key: CellKey, spec, raw, where: str) -> None:
    """Record a value found in a computed or disabled cell."""
    if spec.state.value == "computed":
        report.file_computed[key] = (where, raw)
        return
    report.ignored += 1
    report.cells[key] = (where, _shown(raw))
    report.add(
        problem(
            "cell_takes_no_value",
            gettext_noop(
                "Cell %(row)s/%(column)d takes no value on this form; what it holds was not imported."
            ),
            severity=Severity.WARNING,
            cell_value=raw,
            row=key[0],
            column=key[1],
        ),
        cell=where,
        row_code=key[0],
        column=key[1],
    )


def match_code(text: str, codes: set[str], padded: dict[str, str]) -> str | None:
    """Return the form's row code ``text`` stands for: itself, or the one code that
    differs only by leading zeros (a code typed as a number, 1 for "01")."""
    if text in codes:
        return text
    return padded.get(text.lstrip("0") or "0")


def padded_codes(codes: set[str]) -> dict[str, str]:
    """Map codes without leading zeros to the form's codes, when unambiguous."""
    found: dict[str, list[str]] = {}
    for code in codes:
        found.setdefault(code.lstrip("0") or "0", []).append(code)
    return {short: full[0] for short, full in found.items() if len(full) == 1}


def code_text(value) -> str:
    """Return a row code as text ("01"; 5.0 read from a number cell is "5")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())
