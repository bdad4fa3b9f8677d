"""What the entry page shows of a report: the form's grid with the values of the
current revision (or what the user typed), the computed cells and their formulas for
the page's script, the previous period's and last year's values beside each cell, and
whether the user may type into it (and if not, why).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from forms.definition.grid import CellSpec, cell_grid
from forms.definition.model import CellState, DataType
from forms.definition.periods import parse_period
from forms.definition.table import FormTable, HeaderCell, form_table
from forms.models import FormVersion
from reporting.engine.formulas import computed_formulas
from reporting.engine.values import display_number
from reporting.engine.window import WindowState
from reporting.models import Submission
from reporting.selectors import user_can_edit
from reporting.services import EDITABLE_STATUSES
from reporting.windows import WindowBanner, window_banner_of

_LAYOUT_CACHE_SIZE = 64


# --- The layout of a form version (immutable once published, so cached) -------------


@dataclass(frozen=True)
class HeaderView:
    cell: HeaderCell
    column: int | None = None

    @property
    def dom_id(self) -> str:
        return f"col-{self.column}" if self.column is not None else ""


@dataclass(frozen=True)
class VersionLayout:
    table: FormTable
    grid: dict[tuple[str, int], CellSpec]
    formulas: dict[str, dict | None]
    header_rows: tuple[tuple[HeaderView, ...], ...]
    column_labels: dict[int, str]


_layouts: dict[int, VersionLayout] = {}


def _header_views(table: FormTable, numbers: list[int]):
    """Name the heading cell that labels each value column, so every input can say
    which column it belongs to (aria-labelledby)."""
    remaining = iter(numbers)
    grouped: list[int] = []
    top: list[HeaderView] = []
    for cell in table.header_rows[0]:
        if cell.text_column:
            top.append(HeaderView(cell))
        elif cell.is_group:
            grouped += [next(remaining) for _ in range(cell.colspan)]
            top.append(HeaderView(cell))
        else:
            top.append(HeaderView(cell, next(remaining)))
    rows = [tuple(top)]
    if len(table.header_rows) > 1:
        rows.append(
            tuple(
                HeaderView(cell, number)
                for cell, number in zip(table.header_rows[1], grouped, strict=True)
            )
        )
    return tuple(rows)


def version_layout(version: FormVersion) -> VersionLayout:
    """Return the table, cells and formulas of ``version`` (cached once published)."""
    cached = _layouts.get(version.pk) if version.is_published else None
    if cached is not None:
        return cached
    definition = version.form_definition
    table = form_table(definition)
    grid = cell_grid(definition)
    layout = VersionLayout(
        table=table,
        grid=grid,
        formulas=computed_formulas(definition, grid),
        header_rows=_header_views(table, [c.number for c in definition.columns]),
        column_labels={c.number: c.label for c in definition.columns},
    )
    if version.is_published:
        if len(_layouts) >= _LAYOUT_CACHE_SIZE:
            _layouts.clear()
        _layouts[version.pk] = layout
    return layout


# --- The grid with its values --------------------------------------------------------


@dataclass(frozen=True)
class EntryCell:
    key: str
    column: int
    state: str
    data_type: str
    text: str = ""
    comment: str = ""
    previous: str = ""
    last_year: str = ""
    error: str = ""
    formula: str = ""

    @property
    def dom_id(self) -> str:
        return "cell-" + self.key.replace(":", "-")

    @property
    def is_numeric(self) -> bool:
        return DataType(self.data_type).is_numeric


@dataclass(frozen=True)
class EntryRow:
    index: int
    code: str | None
    label: str
    indent: int
    unit: str
    is_header: bool
    of_which: bool
    bold: bool
    guidance: str
    cells: tuple[EntryCell, ...] = ()

    @property
    def dom_id(self) -> str:
        return f"row-{self.index}"


@dataclass(frozen=True)
class EntryGrid:
    layout: VersionLayout
    rows: tuple[EntryRow, ...]
    has_prior_values: bool

    @property
    def header_rows(self):
        return self.layout.header_rows

    @property
    def numbering(self):
        return self.layout.table.numbering

    @property
    def value_columns(self) -> int:
        return self.layout.table.value_columns

    @property
    def has_unit_column(self) -> bool:
        return self.layout.table.has_unit_column


def display_value(text: str | None, data_type: DataType | str) -> str:
    """Return a stored value as the page shows it (numbers as 1.234,5)."""
    if text is None or text == "":
        return ""
    data_type = DataType(data_type)
    if data_type.is_numeric:
        try:
            return display_number(Decimal(text))
        except (InvalidOperation, ValueError):
            return text
    if data_type is DataType.BOOLEAN:
        return {"1": _("Yes"), "0": _("No")}.get(text, text)
    return text


def entry_grid(
    version: FormVersion,
    *,
    values: dict[str, str],
    comments: dict[str, str],
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    previous: dict[str, str] | None = None,
    last_year: dict[str, str] | None = None,
) -> EntryGrid:
    """Return the grid of ``version`` filled with ``values`` (canonical, as stored);
    ``typed`` overrides input cells with what the user typed, ``errors`` marks cells."""
    layout = version_layout(version)
    typed = typed or {}
    errors = errors or {}
    previous = previous or {}
    last_year = last_year or {}
    rows = []
    for index, row in enumerate(layout.table.rows):
        cells = []
        for cell in row.cells:
            key = f"{row.code}:{cell.column}"
            state = cell.state.value
            if key in typed and cell.state is CellState.INPUT:
                text = typed[key]
            else:
                text = display_value(values.get(key), cell.data_type)
            cells.append(
                EntryCell(
                    key=key,
                    column=cell.column,
                    state=state,
                    data_type=cell.data_type.value,
                    text=text,
                    comment=comments.get(key, ""),
                    previous=display_value(previous.get(key), cell.data_type),
                    last_year=display_value(last_year.get(key), cell.data_type),
                    error=errors.get(key, ""),
                    formula=cell.formula,
                )
            )
        rows.append(
            EntryRow(
                index=index,
                code=row.code,
                label=row.label,
                indent=row.indent,
                unit=row.unit,
                is_header=row.is_header,
                of_which=row.of_which,
                bold=row.bold,
                guidance=row.guidance,
                cells=tuple(cells),
            )
        )
    return EntryGrid(
        layout=layout, rows=tuple(rows), has_prior_values=bool(previous or last_year)
    )


# --- May the user type? --------------------------------------------------------------


@dataclass(frozen=True)
class EntryState:
    editable: bool
    reason: str = ""
    banner: WindowBanner | None = None


def entry_state_of(
    user, submission: Submission, *, today: datetime.date | None = None
) -> EntryState:
    """Return whether ``user`` may type into ``submission`` today, and why not.

    The same rules as the services apply when saving; this only lets the page say so
    before anyone types."""
    banner = window_banner_of(submission, user=user, today=today)
    period_label = parse_period(submission.period).label
    if not user_can_edit(user, submission):
        return EntryState(
            False,
            _("You are viewing this report; only reporters of %(unit)s can change it.")
            % {"unit": submission.org_unit.name},
            banner,
        )
    if submission.status not in EDITABLE_STATUSES:
        return EntryState(
            False,
            _("This report is %(status)s and can no longer be changed.")
            % {"status": submission.get_status_display().lower()},
            banner,
        )
    if banner.state is WindowState.LOCKED:
        return EntryState(
            False,
            _(
                "Entry for %(period)s closed after its deadline. A reviewer of the level "
                "above can reopen it for your unit."
            )
            % {"period": period_label},
            banner,
        )
    if banner.state is WindowState.NOT_OPEN:
        return EntryState(
            False,
            _("Entry for %(period)s is not open yet.") % {"period": period_label},
            banner,
        )
    return EntryState(True, "", banner)
