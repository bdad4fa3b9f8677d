"""Writes about reports: drafts, revisions, submission, receipts, lock exceptions.

Every save makes a new immutable revision; nothing is overwritten in place. Two people
saving the same report are told of the conflict, never silently overwritten.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_context
from core.bulk import bulk_create_by_copy, bulk_update_by_values, draw_keys
from core.text import nfc
from forms.definition.grid import cell_grid
from forms.definition.model import CellState, DataType
from forms.definition.periods import parse_period
from forms.models import FormTemplate, FormVersion
from orgunits.models import OrgUnit
from orgunits.selectors import user_has_role
from reporting.bulk_selectors import AssignmentFinder
from reporting.engine.compute import computed_values
from reporting.engine.digest import values_digest
from reporting.engine.values import CellValueError, canonical_number, parse_number
from reporting.engine.window import WindowState
from reporting.models import (
    Assignment,
    LockException,
    Receipt,
    Revision,
    RevisionSource,
    Submission,
    SubmissionStatus,
)
from reporting.selectors import (
    assignment_covering,
    entry_window_of,
    user_can_grant_lock_exception,
    window_for,
)

EDITABLE_STATUSES = {SubmissionStatus.DRAFT, SubmissionStatus.RETURNED}
MAX_TEXT_LENGTH = 2000
_PLAIN_INTEGER = re.compile(r"-?[0-9]{1,15}")  # ASCII digits, below 1e15
# Numbers already in their canonical form (what an import hands on): a whole
# number below 1e15 without leading zeros, and a decimal comma followed by at most
# MAX_DECIMAL_PLACES digits, the last one not zero.
_CANONICAL_INTEGER = re.compile(r"-?[1-9][0-9]{0,14}|0")
_CANONICAL_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]{0,14}),[0-9]{0,5}[1-9]")


# --- Errors a user can act on --------------------------------------------------------


@dataclass(frozen=True)
class CellProblem:
    """A value refused at one cell: "01:2" with an English message and params."""

    cell: str
    code: str
    message: str
    params: dict = field(default_factory=dict)

    def render(self) -> str:
        return _(self.message) % self.params if self.params else _(self.message)


class ReportError(Exception):
    """A refusal with a message for the user (translated at raise time)."""


class SubmissionValuesInvalid(ReportError):
    def __init__(self, problems: list[CellProblem]):
        super().__init__(
            _("%(count)d cells need attention.") % {"count": len(problems)}
        )
        self.problems = problems


class SubmissionConflict(ReportError):
    """Someone saved the report after the revision the user started from."""

    def __init__(self, submission: Submission, base: int, theirs: dict, mine: dict):
        super().__init__(
            _(
                "Someone else saved this report (revision %(current)d) after you opened "
                "revision %(base)d. Compare the values and save again."
            )
            % {"current": submission.revision_count, "base": base}
        )
        self.submission = submission
        self.base = base
        cells = sorted(set(theirs) | set(mine))
        self.differences = [
            (cell, theirs.get(cell, ""), mine.get(cell, ""))
            for cell in cells
            if theirs.get(cell, "") != mine.get(cell, "")
        ]


class SubmissionNotEditable(ReportError):
    pass


# --- Opening a report ------------------------------------------------------------------


def submission_open(
    *,
    acting_user,
    form_version: FormVersion,
    unit: OrgUnit,
    period: str,
    to_compile: bool = False,
) -> Submission:
    """Return the unit's report of the form for the period, creating the draft.

    ``to_compile``: the report is opened to be compiled from the reports below, which
    the unit's reviewers may do as well as its reporters."""
    period_obj = parse_period(period)
    if not user_has_role(acting_user, "reporter", unit) and not (
        to_compile and user_has_role(acting_user, "reviewer", unit)
    ):
        raise SubmissionNotEditable(
            _("You do not report for %(unit)s.") % {"unit": unit.name}
        )
    if not unit.is_valid_on(period_obj.start) and not unit.is_valid_on(period_obj.end):
        raise SubmissionNotEditable(
            _("%(unit)s did not exist in %(period)s.")
            % {"unit": unit.name, "period": period_obj.label}
        )
    if assignment_covering(form_version.template, unit, period_obj) is None:
        raise SubmissionNotEditable(
            _("%(unit)s does not report %(form)s for %(period)s.")
            % {
                "unit": unit.name,
                "form": form_version.template.code,
                "period": period_obj.label,
            }
        )
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="submission_open"),
    ):
        submission, _created = Submission.objects.get_or_create(
            template=form_version.template,
            org_unit=unit,
            period=period_obj.id,
            defaults={
                "form_version": form_version,
                "period_start": period_obj.start,
                "period_end": period_obj.end,
            },
        )
        return submission


# --- Values ------------------------------------------------------------------------------


def parse_submitted_values(
    version: FormVersion, raw_values: dict[str, str], *, grid: dict | None = None
) -> tuple[dict[str, str], list[CellProblem]]:
    """Check what was typed against the form; return canonical values of the input
    cells and every problem, by cell. Unknown cells, computed and disabled cells are
    refused by name. ``grid`` is the version's cell grid, if the caller has it."""
    if grid is None:
        grid = cell_grid(version.form_definition)
    return _parse_values(grid, raw_values)


def cell_specs(grid: dict) -> dict[str, object]:
    """Return the specs of ``grid`` by cell name ("01:2"), as values are keyed."""
    return {f"{row}:{column}": spec for (row, column), spec in grid.items()}


def _parse_values(
    grid: dict, raw_values: dict[str, str], specs: dict | None = None
) -> tuple[dict[str, str], list[CellProblem]]:
    values: dict[str, str] = {}
    problems: list[CellProblem] = []
    for cell, raw in raw_values.items():
        spec = specs.get(cell) if specs is not None else None
        if spec is None:  # not by its usual name: "01:02" is cell 01:2 too
            row, _sep, column = cell.rpartition(":")
            try:
                spec = grid.get((row, int(column)))
            except ValueError:
                spec = None
        if spec is None:
            problems.append(
                CellProblem(
                    cell,
                    "unknown_cell",
                    "The form has no cell %(cell)s.",
                    {"cell": cell},
                )
            )
            continue
        if isinstance(raw, str) and raw.isascii():
            text = raw.replace("\x00", "").strip()  # NFC already
        else:
            text = nfc(str(raw if raw is not None else "")).strip()
        if not text:
            continue
        if spec.state is not CellState.INPUT:
            problems.append(
                CellProblem(
                    cell,
                    "not_input",
                    "Cell %(cell)s is computed or closed; it takes no input.",
                    {"cell": cell},
                )
            )
            continue
        if spec.data_type is DataType.TEXT:
            if len(text) > MAX_TEXT_LENGTH:
                problems.append(
                    CellProblem(
                        cell,
                        "text_too_long",
                        "At most %(max)d characters.",
                        {"max": MAX_TEXT_LENGTH},
                    )
                )
                continue
            values[cell] = text
            continue
        if spec.data_type is DataType.BOOLEAN:
            truth = text.casefold()
            if truth in {"có", "co", "x", "1", "yes", "true"}:
                values[cell] = "1"
            elif truth in {"không", "khong", "0", "no", "false"}:
                values[cell] = "0"
            else:
                problems.append(
                    CellProblem(cell, "not_yes_no", "Write Có or Không.", {})
                )
            continue
        if _CANONICAL_INTEGER.fullmatch(text):
            values[cell] = text
            continue
        if spec.data_type is not DataType.INTEGER and _CANONICAL_DECIMAL.fullmatch(
            text
        ):
            values[cell] = text.replace(",", ".")
            continue
        if _PLAIN_INTEGER.fullmatch(text):
            # The common case (and every number an import hands on) is read without
            # the general rules, which give the same value for it.
            values[cell] = canonical_number(Decimal(text))
            continue
        try:
            number = parse_number(text, data_type=spec.data_type.value)
        except CellValueError as error:
            problems.append(CellProblem(cell, error.code, error.message, error.params))
            continue
        if number is not None:
            values[cell] = canonical_number(number)
    return values, problems


def with_computed_cells(
    version: FormVersion, values: dict[str, str], *, grid: dict | None = None
) -> dict[str, str]:
    """Return ``values`` plus the computed cells, evaluated from them."""
    definition = version.form_definition
    if grid is None:
        grid = cell_grid(definition)
    return _with_computed(definition, grid, values)


def _with_computed(
    definition, grid: dict, values: dict[str, str], *, computes: bool | None = None
) -> dict[str, str]:
    """``computes``: whether the grid has computed cells, if known."""
    if computes is None:
        computes = any(spec.state is CellState.COMPUTED for spec in grid.values())
    if not computes:
        return dict(values)
    numbers = {}
    for cell, text in values.items():
        row, _sep, column = cell.rpartition(":")
        key = (row, int(column))
        if grid[key].data_type.is_numeric:
            numbers[key] = Decimal(text)
    computed = computed_values(definition, grid, numbers)
    result = dict(values)
    for (row, column), value in computed.items():
        if value is not None:
            result[f"{row}:{column}"] = canonical_number(value)
    return result


def _digest(submission: Submission, values: dict[str, str]) -> str:
    return values_digest(
        values,
        form_code=submission.template.code,
        version=submission.form_version.number,
        unit_code=submission.org_unit.code,
        period=submission.period,
    )


def submission_check_editable(
    acting_user, submission: Submission, *, today: datetime.date
) -> WindowState:
    """Raise SubmissionNotEditable unless ``acting_user`` may change the report
    today; return the entry window's state (open or late)."""
    return _check_editable_in(
        acting_user,
        submission,
        today=today,
        window=lambda: entry_window_of(submission),
        exception_until=lambda: _exception_until(submission),
    )


def _check_editable_in(
    acting_user,
    submission: Submission,
    *,
    today: datetime.date,
    window,
    exception_until,
) -> WindowState:
    """Check as ``submission_check_editable`` does, the window and the lock exception coming
    from the callables ``window`` and ``exception_until`` (cached by bulk saves)."""
    if not user_has_role(acting_user, "reporter", submission.org_unit):
        raise SubmissionNotEditable(
            _("Only reporters of %(unit)s can change this report.")
            % {"unit": submission.org_unit.name}
        )
    if submission.status not in EDITABLE_STATUSES:
        raise SubmissionNotEditable(
            _("This report is %(status)s and can no longer be changed.")
            % {"status": submission.get_status_display().lower()}
        )
    state = window().state_on(today, exception_until=exception_until())
    if state is WindowState.LOCKED:
        raise SubmissionNotEditable(
            _(
                "Entry for %(period)s closed after its deadline. A reviewer of the level "
                "above can reopen it for your unit."
            )
            % {"period": parse_period(submission.period).label}
        )
    if state is WindowState.NOT_OPEN:
        raise SubmissionNotEditable(
            _("Entry for %(period)s is not open yet.")
            % {"period": parse_period(submission.period).label}
        )
    return state


def _exception_until(submission: Submission) -> datetime.date | None:
    exception = LockException.objects.filter(
        template=submission.template,
        org_unit=submission.org_unit,
        period=submission.period,
    ).first()
    return exception.until if exception else None


def _new_revision(
    *,
    submission: Submission,
    acting_user,
    values: dict,
    comments: dict,
    source: str,
    restored_from=None,
) -> Revision:
    revision = Revision.objects.create(
        submission=submission,
        number=submission.revision_count + 1,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
        source=source,
        values=values,
        comments=comments,
        digest=_digest(submission, values),
        restored_from=restored_from,
    )
    submission.revision_count = revision.number
    submission.current_revision = revision
    submission.save(update_fields=["revision_count", "current_revision", "updated_at"])
    return revision


@dataclass(frozen=True)
class SaveResult:
    revision: Revision | None
    created: bool


def submission_save_draft(
    *,
    acting_user,
    submission: Submission,
    raw_values: dict[str, str],
    comments: dict[str, str] | None = None,
    base_revision: int,
    source: str = RevisionSource.WEB,
    today: datetime.date | None = None,
) -> SaveResult:
    """Save what was typed as a new revision (computed cells filled by the server).

    ``raw_values`` are every input cell of the form as typed; ``base_revision`` is the
    revision the user started from. Nothing is saved if any cell is refused, if the
    report is not editable, or if someone saved in between (SubmissionConflict).
    """
    today = today or timezone.localdate()
    version = submission.form_version
    values, problems = parse_submitted_values(version, raw_values)
    clean_comments = {
        cell: nfc(text).strip()[:MAX_TEXT_LENGTH]
        for cell, text in (comments or {}).items()
        if text and text.strip()
    }
    grid_cells = {f"{r}:{c}" for r, c in cell_grid(version.form_definition)}
    problems += [
        CellProblem(
            cell, "unknown_cell", "The form has no cell %(cell)s.", {"cell": cell}
        )
        for cell in clean_comments
        if cell not in grid_cells
    ]
    if problems:
        raise SubmissionValuesInvalid(problems)
    values = with_computed_cells(version, values)
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="submission_save"),
    ):
        locked = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("template", "form_version", "org_unit", "current_revision")
            .get(pk=submission.pk)
        )
        submission_check_editable(acting_user, locked, today=today)
        current = locked.current_revision
        if locked.revision_count != base_revision:
            raise SubmissionConflict(
                locked, base_revision, current.values if current else {}, values
            )
        if (
            current is not None
            and current.values == values
            and current.comments == clean_comments
        ):
            return SaveResult(current, False)
        revision = _new_revision(
            submission=locked,
            acting_user=acting_user,
            values=values,
            comments=clean_comments,
            source=source,
        )
        return SaveResult(revision, True)


def submission_save_consolidated(
    *, acting_user, submission: Submission, values: dict[str, str]
) -> Revision:
    """Store values compiled from the reports below as a new revision with source
    "consolidated" (computed cells are recomputed here).

    A person compiles only a draft or returned report; the system (``acting_user``
    None) also recompiles a report awaiting its first review, whose values are
    machine-made. The caller checks who may compile."""
    version = submission.form_version
    grid = cell_grid(version.form_definition)
    inputs = {
        cell: text
        for cell, text in values.items()
        if (spec := grid.get(_cell_key(cell))) is not None
        and spec.state is CellState.INPUT
    }
    values = _with_computed(version.form_definition, grid, inputs)
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="submission_save_consolidated"),
    ):
        locked = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("template", "form_version", "org_unit", "current_revision")
            .get(pk=submission.pk)
        )
        by_system = getattr(acting_user, "pk", None) is None
        editable = locked.status in EDITABLE_STATUSES or (
            by_system
            and locked.status == SubmissionStatus.AWAITING_REVIEW
            and not locked.approved_levels
        )
        if not editable:
            raise SubmissionNotEditable(
                _("This report is %(status)s and can no longer be compiled again.")
                % {"status": locked.get_status_display().lower()}
            )
        current = locked.current_revision
        return _new_revision(
            submission=locked,
            acting_user=acting_user,
            values=values,
            comments=dict(current.comments) if current else {},
            source=RevisionSource.CONSOLIDATED,
        )


def _cell_key(cell: str) -> tuple[str, int] | None:
    row, _sep, column = cell.rpartition(":")
    return (row, int(column)) if column.isdigit() else None


def submission_restore(
    *,
    acting_user,
    submission: Submission,
    revision_number: int,
    base_revision: int,
    today=None,
) -> Revision:
    """Make an earlier revision's values current again, as a new revision."""
    today = today or timezone.localdate()
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="submission_restore"),
    ):
        locked = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("template", "form_version", "org_unit", "current_revision")
            .get(pk=submission.pk)
        )
        submission_check_editable(acting_user, locked, today=today)
        if locked.revision_count != base_revision:
            old = locked.revisions.get(number=revision_number)
            raise SubmissionConflict(
                locked,
                base_revision,
                locked.current_revision.values if locked.current_revision else {},
                old.values,
            )
        old = locked.revisions.get(number=revision_number)
        return _new_revision(
            submission=locked,
            acting_user=acting_user,
            values=old.values,
            comments=old.comments,
            source=RevisionSource.RESTORE,
            restored_from=old.number,
        )


def receipt_issue(*, acting_user, submission: Submission) -> Receipt:
    """Issue the receipt for the submission of ``submission``'s current revision."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('reporting_receipt_number_seq')")
        (sequence,) = cursor.fetchone()
    issued = timezone.localtime(submission.submitted_at or timezone.now())
    return Receipt.objects.create(
        number=f"BN{issued:%Y%m%d}-{sequence:07d}",
        submission=submission,
        revision=submission.current_revision,
        submitted_by=acting_user,
        digest=submission.current_revision.digest,
    )


def lock_exception_grant(
    *,
    acting_user,
    submission_template,
    unit: OrgUnit,
    period: str,
    until: datetime.date,
    reason: str,
) -> LockException:
    """Reopen entry for one unit and period until ``until``; only from above."""
    if not user_can_grant_lock_exception(acting_user, unit):
        raise ReportError(
            _("Only a reviewer of a level above %(unit)s can reopen its entry.")
            % {"unit": unit.name}
        )
    reason = nfc(reason).strip()
    if not reason:
        raise ReportError(_("Give the reason for reopening entry."))
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="lock_exception_grant"),
    ):
        exception, _created = LockException.objects.update_or_create(
            template=submission_template,
            org_unit=unit,
            period=parse_period(period).id,
            defaults={"until": until, "reason": reason, "granted_by": acting_user},
        )
        return exception


def assignment_create(
    *,
    acting_user,
    form_version: FormVersion,
    root: OrgUnit,
    levels=(),
    kinds=(),
    units=(),
    first_period: str,
    last_period: str = "",
    periods_ahead: int = 0,
    grace_days: int | None = 30,
) -> Assignment:
    """Oblige units to report a published form from ``first_period`` on."""
    if not form_version.is_published:
        raise ReportError(_("Only a published form version can be assigned."))
    first = parse_period(first_period).id
    last = parse_period(last_period).id if last_period else ""
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="assignment_create"),
    ):
        assignment = Assignment(
            form_version=form_version,
            template=form_version.template,
            root=root,
            kinds=list(kinds),
            first_period=first,
            last_period=last,
            periods_ahead=periods_ahead,
            grace_days=grace_days,
        )
        assignment.full_clean()
        assignment.save()
        assignment.levels.set(levels)
        assignment.units.set(units)
        return assignment


# --- Many reports at once (Excel imports) ---------------------------------------------


@dataclass(frozen=True)
class BulkSaveItem:
    """One report of a bulk save: what was typed and the revision it started from."""

    submission: Submission
    raw_values: dict[str, str]
    base_revision: int
    comments: dict[str, str] | None = None
    # Values the caller has already checked and put in canonical form, as
    # ``parse_submitted_values`` returns them: input cells of the submission's form
    # version (checked here by name; if one is not, all are checked as typed) and
    # their canonical text, stored without being parsed again. Give only values
    # matched against reporting.engine.values.CANONICAL_INTEGER/CANONICAL_DECIMAL
    # for the cell's data type (an API push does); everything else goes in raw_values.
    canonical_values: dict[str, str] | None = None


@dataclass(frozen=True)
class BulkSaveResult:
    """The outcome of one item: a revision (``created`` when new) or the refusal."""

    submission: Submission
    revision: Revision | None = None
    created: bool = False
    error: ReportError | None = None


class _BulkContext:
    """Look-ups a bulk save or open makes once: grids and definitions per form
    version, assignments per form, windows per (assignment, period)."""

    def __init__(self) -> None:
        self._versions: dict[int, FormVersion] = {}
        self._grids: dict[int, dict] = {}
        self._grid_cells: dict[int, set[str]] = {}
        self._input_cells: dict[int, frozenset[str]] = {}
        self._specs: dict[int, dict] = {}
        self._computes: dict[int, bool] = {}
        self._finder = AssignmentFinder()
        self._windows: dict[tuple, object] = {}

    def version(self, version: FormVersion) -> FormVersion:
        """Return one shared instance per version, so its definition is parsed once."""
        return self._versions.setdefault(version.pk, version)

    def grid(self, version: FormVersion) -> dict:
        if version.pk not in self._grids:
            grid = cell_grid(self.version(version).form_definition)
            self._grids[version.pk] = grid
            self._grid_cells[version.pk] = {f"{r}:{c}" for r, c in grid}
        return self._grids[version.pk]

    def grid_cells(self, version: FormVersion) -> set[str]:
        self.grid(version)
        return self._grid_cells[version.pk]

    def input_cells(self, version: FormVersion) -> frozenset[str]:
        if version.pk not in self._input_cells:
            self._input_cells[version.pk] = frozenset(
                f"{row}:{column}"
                for (row, column), spec in self.grid(version).items()
                if spec.state is CellState.INPUT
            )
        return self._input_cells[version.pk]

    def computes(self, version: FormVersion) -> bool:
        """Whether the form version has computed cells."""
        if version.pk not in self._computes:
            self._computes[version.pk] = any(
                spec.state is CellState.COMPUTED for spec in self.grid(version).values()
            )
        return self._computes[version.pk]

    def specs(self, version: FormVersion) -> dict:
        if version.pk not in self._specs:
            self._specs[version.pk] = cell_specs(self.grid(version))
        return self._specs[version.pk]

    def assignment(self, template, unit: OrgUnit, period) -> Assignment | None:
        return self._finder.covering(template, unit, period)

    def window(self, submission: Submission):
        period = parse_period(submission.period)
        assignment = self.assignment(submission.template, submission.org_unit, period)
        key = (submission.form_version_id, assignment and assignment.pk, period.id)
        if key not in self._windows:
            self._windows[key] = window_for(
                self.version(submission.form_version), assignment, period
            )
        return self._windows[key]


def submissions_open_bulk(
    *, acting_user, keys: list[tuple[FormVersion, OrgUnit, str]], create: bool = True
) -> dict[tuple[int, int, str], Submission | ReportError]:
    """Open many reports as ``submission_open`` does, in one transaction.

    Return, by (form version id, unit id, period id) of ``keys``, the report or the
    refusal ``submission_open`` would have raised; a refused key opens nothing.
    Without ``create``, reports not stored yet are returned unsaved, for
    ``submissions_save_bulk`` to store with their first revision.
    """
    context = _BulkContext()
    wanted: dict[tuple[int, int, str], tuple] = {}
    results: dict[tuple[int, int, str], Submission | ReportError] = {}
    for version, unit, period in keys:
        period_obj = parse_period(period)
        key = (version.pk, unit.pk, period_obj.id)
        if not user_has_role(acting_user, "reporter", unit):
            results[key] = SubmissionNotEditable(
                _("You do not report for %(unit)s.") % {"unit": unit.name}
            )
        elif not unit.is_valid_on(period_obj.start) and not unit.is_valid_on(
            period_obj.end
        ):
            results[key] = SubmissionNotEditable(
                _("%(unit)s did not exist in %(period)s.")
                % {"unit": unit.name, "period": period_obj.label}
            )
        elif context.assignment(version.template, unit, period_obj) is None:
            results[key] = SubmissionNotEditable(
                _("%(unit)s does not report %(form)s for %(period)s.")
                % {
                    "unit": unit.name,
                    "form": version.template.code,
                    "period": period_obj.label,
                }
            )
        else:
            wanted[key] = (version, unit, period_obj)
    if not wanted:
        return results
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="submission_open"),
    ):
        found = _submissions_of(wanted.values())
        missing = [
            (version, unit, period_obj)
            for version, unit, period_obj in wanted.values()
            if (version.template_id, unit.pk, period_obj.id) not in found
        ]
        if missing:
            found.update(
                _submissions_create(missing) if create else _submissions_new(missing)
            )
    for key, (version, unit, period_obj) in wanted.items():
        submission = found[(version.template_id, unit.pk, period_obj.id)]
        if submission.form_version_id == version.pk:
            submission.form_version = version  # not fetched again, one per report
        results[key] = submission
    return results


def _submissions_of(keys) -> dict[tuple[int, int, str], Submission]:
    """The stored reports of ``keys`` (form version, unit, period), by (form, unit,
    period id), with their current revisions."""
    keys = list(keys)
    return {
        (s.template_id, s.org_unit_id, s.period): s
        for s in Submission.objects.filter(
            template__in={v.template_id for v, _u, _p in keys},
            org_unit__in={u.pk for _v, u, _p in keys},
            period__in={p.id for _v, _u, p in keys},
        ).select_related("current_revision")
    }


def _submissions_new(keys) -> dict[tuple[int, int, str], Submission]:
    """Unsaved reports of ``keys``, by (form, unit, period id)."""
    return {
        (version.template_id, unit.pk, period_obj.id): Submission(
            template=version.template,
            form_version=version,
            org_unit=unit,
            period=period_obj.id,
            period_start=period_obj.start,
            period_end=period_obj.end,
            current_revision=None,
        )
        for version, unit, period_obj in keys
    }


def _submissions_create(keys) -> dict[tuple[int, int, str], Submission]:
    """Create the reports of ``keys``, none stored a moment ago, with COPY; should
    one have been created meanwhile, insert the others around it and read it."""
    new = list(_submissions_new(keys).values())
    try:
        with transaction.atomic():
            bulk_create_by_copy(new)
    except IntegrityError:  # one was opened meanwhile
        for submission in new:
            submission.pk = None
            submission._state.adding = True
        Submission.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
        return _submissions_of(keys)
    return {(s.template_id, s.org_unit_id, s.period): s for s in new}


def _attach_related(
    locked_by_id: dict[int, Submission], items: list[BulkSaveItem]
) -> None:
    """Give each locked submission its form and unit: the items' own (forms and
    units do not change under a report), the others read in one query each."""
    templates, units = {}, {}
    for item in items:
        given = item.submission
        if Submission.template.is_cached(given):
            templates[given.template_id] = given.template
        if Submission.org_unit.is_cached(given):
            units[given.org_unit_id] = given.org_unit
    locked = locked_by_id.values()
    missing = {s.template_id for s in locked} - templates.keys()
    templates.update(FormTemplate.objects.in_bulk(missing) if missing else {})
    missing = {s.org_unit_id for s in locked} - units.keys()
    units.update(OrgUnit.objects.in_bulk(missing) if missing else {})
    for submission in locked:
        submission.template = templates[submission.template_id]
        submission.org_unit = units[submission.org_unit_id]


def _attach_current_revisions(
    locked_by_id: dict[int, Submission], items: list[BulkSaveItem]
) -> None:
    """Give each locked submission its current revision: the one the item's
    submission already holds when it is still current (revisions never change),
    the others read in one query."""
    known = {}
    for item in items:
        given = item.submission
        if Submission.current_revision.is_cached(given) and given.current_revision:
            known[given.current_revision.pk] = given.current_revision
    missing = {
        s.current_revision_id
        for s in locked_by_id.values()
        if s.current_revision_id is not None and s.current_revision_id not in known
    }
    if missing:
        known.update(Revision.objects.in_bulk(missing))
    for submission in locked_by_id.values():
        revision_id = submission.current_revision_id
        submission.current_revision = known[revision_id] if revision_id else None


def submissions_save_bulk(
    *,
    acting_user,
    items: list[BulkSaveItem],
    source: str,
    today: datetime.date | None = None,
) -> list[BulkSaveResult]:
    """Save many reports as ``submission_save_draft`` saves one, in one transaction.

    Each item is checked by the same rules (cells refused, report not editable,
    someone saved in between); a refused item is reported in its result's ``error``
    (SubmissionValuesInvalid, SubmissionNotEditable or SubmissionConflict) and the
    others are saved. Results are in the order of ``items``.

    An item's report may be one not stored yet, as ``submissions_open_bulk`` gives
    it with ``create=False``: it is stored with its first revision. Should another
    request have stored that report meanwhile, IntegrityError is raised and
    nothing is saved.
    """
    today = today or timezone.localdate()
    context = _BulkContext()
    prepared: list[tuple[dict, dict] | ReportError] = []
    for item in items:
        version = item.submission.form_version
        grid = context.grid(version)
        raw_values, trusted = item.raw_values, item.canonical_values
        if trusted and not trusted.keys() <= context.input_cells(version):
            # Checked as typed, then: a typed number takes a decimal comma.
            typed = {cell: text.replace(".", ",") for cell, text in trusted.items()}
            raw_values, trusted = {**typed, **raw_values}, None
        values, problems = _parse_values(grid, raw_values, context.specs(version))
        if trusted:
            values = {**trusted, **values}
        clean_comments = {
            cell: nfc(text).strip()[:MAX_TEXT_LENGTH]
            for cell, text in (item.comments or {}).items()
            if text and text.strip()
        }
        grid_cells = context.grid_cells(version)
        problems += [
            CellProblem(
                cell, "unknown_cell", "The form has no cell %(cell)s.", {"cell": cell}
            )
            for cell in clean_comments
            if cell not in grid_cells
        ]
        if problems:
            prepared.append(SubmissionValuesInvalid(problems))
            continue
        definition = context.version(version).form_definition
        computed = _with_computed(
            definition, grid, values, computes=context.computes(version)
        )
        prepared.append((computed, clean_comments))
    results: list[BulkSaveResult | None] = [None] * len(items)
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="submission_save"),
    ):
        ids = {item.submission.pk for item in items if item.submission.pk is not None}
        # Reports not stored yet (``submissions_open_bulk(create=False)``) are stored
        # below, with their first revision.
        unsaved = {
            id(item.submission): item.submission
            for item in items
            if item.submission.pk is None
        }
        locked_by_id = {
            s.pk: s
            for s in Submission.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
        }
        _attach_related(locked_by_id, items)
        _attach_current_revisions(locked_by_id, items)
        # The items' versions are shared: each definition is decoded once.
        versions = {
            item.submission.form_version_id: context.version(
                item.submission.form_version
            )
            for item in items
        }
        missing = {s.form_version_id for s in locked_by_id.values()} - set(versions)
        versions.update(FormVersion.objects.select_related("template").in_bulk(missing))
        for submission in locked_by_id.values():
            submission.form_version = versions[submission.form_version_id]
        reports = [*locked_by_id.values(), *unsaved.values()]
        exceptions = {
            (e.template_id, e.org_unit_id, e.period): e.until
            for e in LockException.objects.filter(
                template__in={s.template_id for s in reports},
                org_unit__in={s.org_unit_id for s in reports},
                period__in={s.period for s in reports},
            )
        }
        new_revisions: list[Revision] = []
        new_positions: list[int] = []
        touched: dict[int, Submission] = {}
        for position, (item, ready) in enumerate(zip(items, prepared, strict=True)):
            locked = (
                item.submission
                if item.submission.pk is None
                else locked_by_id[item.submission.pk]
            )
            if isinstance(ready, ReportError):
                results[position] = BulkSaveResult(locked, error=ready)
                continue
            values, clean_comments = ready
            try:
                _check_editable_in(
                    acting_user,
                    locked,
                    today=today,
                    window=lambda s=locked: context.window(s),
                    exception_until=lambda s=locked: exceptions.get(
                        (s.template_id, s.org_unit_id, s.period)
                    ),
                )
                current = locked.current_revision
                if locked.revision_count != item.base_revision:
                    raise SubmissionConflict(
                        locked,
                        item.base_revision,
                        current.values if current else {},
                        values,
                    )
            except ReportError as error:
                results[position] = BulkSaveResult(locked, error=error)
                continue
            if (
                current is not None
                and current.values == values
                and current.comments == clean_comments
            ):
                results[position] = BulkSaveResult(locked, current, False)
                continue
            revision = Revision(
                submission=locked,
                number=locked.revision_count + 1,
                created_by=acting_user if getattr(acting_user, "pk", None) else None,
                source=source,
                values=values,
                comments=clean_comments,
                digest=_digest(locked, values),
            )
            # A report given twice is saved once, the later item meeting a conflict.
            locked.revision_count = revision.number
            locked.current_revision = revision
            new_revisions.append(revision)
            new_positions.append(position)
            touched[id(locked)] = locked
        created = [s for s in touched.values() if s.pk is None]
        for submission, key in zip(
            created, draw_keys(Submission, len(created)) if created else (), strict=True
        ):
            submission.pk = key
        for revision in new_revisions:
            revision.submission = revision.submission  # its key, drawn just now
        bulk_create_by_copy(new_revisions)
        now = timezone.now()
        for submission in touched.values():
            # The revisions have their ids only now that they are stored.
            submission.current_revision = submission.current_revision
            submission.updated_at = now
        # New reports are stored with their revision (the keys refer to each
        # other; PostgreSQL checks them at commit); a report stored meanwhile
        # raises IntegrityError and nothing is saved.
        bulk_create_by_copy(created)
        created_now = {id(s) for s in created}.__contains__
        bulk_update_by_values(
            [s for s in touched.values() if not created_now(id(s))],
            ["revision_count", "current_revision", "updated_at"],
        )
        for position, revision in zip(new_positions, new_revisions, strict=True):
            results[position] = BulkSaveResult(revision.submission, revision, True)
    return results
