"""Writes about reports: drafts, revisions, submission, receipts, lock exceptions.

Every save makes a new immutable revision; nothing is overwritten in place. Two people
saving the same report are told of the conflict, never silently overwritten.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_context
from core.text import nfc
from forms.definition.grid import cell_grid
from forms.definition.model import CellState, DataType
from forms.definition.periods import parse_period
from forms.models import FormVersion
from orgunits.models import OrgUnit
from orgunits.selectors import user_has_role
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


def clean_cell_comments(
    comments: dict[str, str] | None, grid_cells
) -> tuple[dict[str, str], list[CellProblem]]:
    """Return the non-empty comments in NFC, trimmed to the text limit, and a
    problem for each one on a cell the form (``grid_cells``) does not have."""
    clean = {
        cell: nfc(text).strip()[:MAX_TEXT_LENGTH]
        for cell, text in (comments or {}).items()
        if text and text.strip()
    }
    return clean, [
        CellProblem(
            cell, "unknown_cell", "The form has no cell %(cell)s.", {"cell": cell}
        )
        for cell in clean
        if cell not in grid_cells
    ]


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
    grid_cells = {f"{r}:{c}" for r, c in cell_grid(version.form_definition)}
    clean_comments, refused = clean_cell_comments(comments, grid_cells)
    problems += refused
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
