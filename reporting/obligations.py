"""Expected reports: every (form, unit, period) an assignment obliges, built in SQL.

An assignment covers few periods and many units. The periods (with their deadlines
and locking dates) are computed here in Python, one ``Slot`` per assignment and
period; the units stay in PostgreSQL: each assignment's rule (below a root, of some
levels and kinds, plus named units, valid during the period) becomes one branch of a
query joining the slots with ``orgunits_orgunit`` over the indexed path prefix. The
inbox, the completeness matrix and the reminders all read through ``expected_sql``.
"""

# ruff: noqa: S608 (the SQL is built from fixed fragments; every value is a parameter)

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch

from forms.definition.model import PeriodType
from forms.definition.periods import Period, parse_period, period_containing
from orgunits.models import OrgUnit
from reporting.models import Assignment, SubmissionStatus
from reporting.selectors import window_for

# Generous: 50 years of monthly reports. Only a runaway first period reaches it.
MAX_PERIODS_PER_ASSIGNMENT = 600

# Statuses as pages show them: "accepted" (approved at the top) reads as approved.
NOT_STARTED = "not_started"
SHOWN_STATUSES = (
    NOT_STARTED,
    SubmissionStatus.DRAFT.value,
    SubmissionStatus.SUBMITTED.value,
    SubmissionStatus.RETURNED.value,
    SubmissionStatus.AWAITING_REVIEW.value,
    SubmissionStatus.APPROVED.value,
)
# A report counts as sent (DHIS2's "actual report") once submitted and until returned.
SENT_STATUSES = (
    SubmissionStatus.SUBMITTED.value,
    SubmissionStatus.AWAITING_REVIEW.value,
    SubmissionStatus.APPROVED.value,
    SubmissionStatus.ACCEPTED.value,
)
TO_DO_STATUSES = (
    NOT_STARTED,
    SubmissionStatus.DRAFT.value,
    SubmissionStatus.RETURNED.value,
)

SHOWN_STATUS_SQL = (
    "CASE WHEN s.status IS NULL THEN 'not_started' "
    "WHEN s.status IN ('approved', 'accepted') THEN 'approved' "
    "ELSE s.status END"
)


@dataclass(frozen=True)
class Slot:
    """One assignment in one period, with the dates its reports are held to."""

    assignment: Assignment
    period: Period
    deadline: datetime.date | None
    locks_after: datetime.date | None
    priority: int

    @property
    def template_id(self) -> int:
        return self.assignment.template_id


def next_period(period: Period) -> Period:
    """Return the period just after ``period``, of the same type."""
    return period_containing(
        period.period_type, period.end + datetime.timedelta(days=1)
    )


def assignment_slots(
    assignment: Assignment, *, today: datetime.date, priority: int = 0
) -> list[Slot]:
    """Return the assignment's periods from its first one up to the last open on
    ``today`` (periods opened ahead included; never past its last period)."""
    period = parse_period(assignment.first_period)
    last = parse_period(assignment.last_period) if assignment.last_period else None
    slots: list[Slot] = []
    while len(slots) < MAX_PERIODS_PER_ASSIGNMENT:
        if last is not None and period.start > last.start:
            break
        window = window_for(assignment.form_version, assignment, period)
        if window.opens_on > today:
            break
        slots.append(
            Slot(assignment, period, window.deadline, window.locks_after, priority)
        )
        if period.period_type is PeriodType.AD_HOC:
            break
        period = next_period(period)
    return slots


def assignments_touching(
    *,
    paths: Iterable[str] = (),
    unit_ids: Iterable[int] = (),
    template_id: int | None = None,
    everywhere: bool = False,
) -> list[Assignment]:
    """Return the assignments that may oblige a unit below one of ``paths`` (or one
    of ``unit_ids`` itself; any unit when ``everywhere``), newest form version first:
    the order in which ``reporting.selectors.assignment_covering`` picks among
    overlapping ones."""
    paths = list(paths)
    unit_ids = set(unit_ids)
    unit_paths = list(
        OrgUnit.objects.filter(pk__in=unit_ids).values_list("path", flat=True)
    )
    assignments = (
        Assignment.objects.select_related("form_version", "template", "root")
        .prefetch_related(
            "levels", Prefetch("units", queryset=OrgUnit.objects.only("id", "path"))
        )
        .order_by("-form_version__number", "-id")
    )
    if template_id is not None:
        assignments = assignments.filter(template_id=template_id)
    if everywhere:
        return list(assignments)
    found = []
    for assignment in assignments:
        root = assignment.root.path
        if (
            any(root.startswith(path) or path.startswith(root) for path in paths)
            or any(path.startswith(root) for path in unit_paths)
            or any(
                unit.pk in unit_ids or any(unit.path.startswith(p) for p in paths)
                for unit in assignment.units.all()
            )
        ):
            found.append(assignment)
    return found


def slots_of(
    assignments: Iterable[Assignment],
    *,
    today: datetime.date,
    template_id: int | None = None,
    period_id: str | None = None,
) -> list[Slot]:
    """Return the slots of ``assignments`` open on ``today``, optionally of one form
    and one period. ``assignments`` come newest first; earlier ones win overlaps."""
    slots = []
    for priority, assignment in enumerate(assignments):
        if template_id is not None and assignment.template_id != template_id:
            continue
        slots += [
            slot
            for slot in assignment_slots(assignment, today=today, priority=priority)
            if period_id is None or slot.period.id == period_id
        ]
    return slots


def like_prefix(path: str, *, strictly_below: bool = False) -> str:
    """Return a LIKE pattern for the units below ``path`` (itself included unless
    ``strictly_below``); paths hold digits and slashes only, nothing to escape."""
    return path + ("_%" if strictly_below else "%")


@dataclass(frozen=True)
class UnitScope:
    """Which units a query may return: an SQL condition on ``u`` and its params."""

    sql: str
    params: tuple = ()

    @classmethod
    def units(cls, unit_ids: Iterable[int]) -> UnitScope:
        return cls("u.id = ANY(%s)", (sorted(set(unit_ids)),))

    @classmethod
    def below(cls, paths: Iterable[str], *, strictly: bool = False) -> UnitScope:
        paths = sorted(set(paths))
        if not paths:
            return cls("FALSE")
        clause = " OR ".join(["u.path LIKE %s"] * len(paths))
        return cls(
            f"({clause})",
            tuple(like_prefix(path, strictly_below=strictly) for path in paths),
        )


SLOT_COLUMNS = (
    "assignment_id, template_id, period, period_start, period_end, deadline, "
    "locks_after, priority"
)
EXPECTED_COLUMNS = (
    "template_id, unit_id, unit_path, period, period_start, deadline, locks_after"
)


def slot_values_sql(slots: list[Slot]) -> tuple[str, list]:
    """Return ``slot(...) AS (...)`` for a WITH clause: the slots as one array per
    column, so a statement holds eight parameters however many slots there are."""
    columns = [
        ("bigint", [slot.assignment.pk for slot in slots]),
        ("bigint", [slot.template_id for slot in slots]),
        ("varchar", [slot.period.id for slot in slots]),
        ("date", [slot.period.start for slot in slots]),
        ("date", [slot.period.end for slot in slots]),
        ("date", [slot.deadline for slot in slots]),
        ("date", [slot.locks_after for slot in slots]),
        ("int", [slot.priority for slot in slots]),
    ]
    arrays = ", ".join(f"%s::{kind}[]" for kind, _values in columns)
    return (
        f"slot({SLOT_COLUMNS}) AS (SELECT * FROM unnest({arrays}))",
        [values for _kind, values in columns],
    )


def _rule_sql(assignment: Assignment) -> tuple[str, list]:
    clauses = ["u.path LIKE %s"]
    params: list = [like_prefix(assignment.root.path)]
    levels = sorted(level.pk for level in assignment.levels.all())
    if levels:
        clauses.append("u.level_id = ANY(%s)")
        params.append(levels)
    if assignment.kinds:
        clauses.append("u.kind = ANY(%s)")
        params.append(list(assignment.kinds))
    return " AND ".join(clauses), params


def expected_sql(slots: list[Slot], scope: UnitScope) -> tuple[str, list]:
    """Return a SELECT of the expected reports of ``slots`` for units in ``scope``
    (columns ``EXPECTED_COLUMNS``), to be used after ``WITH`` + ``slot_values_sql``.

    Where assignments of one form overlap on a unit and period, the first listed
    (``priority``) wins, as in ``assignment_covering``.
    """
    branches: list[str] = []
    params: list = []
    # Units outside, the assignment's few slots inside: one pass over the units.
    select = (
        "SELECT s.template_id, u.id AS unit_id, u.path AS unit_path, s.period, "
        "s.period_start, s.deadline, s.locks_after, s.priority "
        "FROM orgunits_orgunit u CROSS JOIN LATERAL ("
        "SELECT * FROM slot WHERE slot.assignment_id = %s "
        "AND (u.valid_from IS NULL OR u.valid_from <= slot.period_end) "
        "AND (u.valid_to IS NULL OR u.valid_to >= slot.period_start)) s "
    )
    # Units valid at some time during the assignment's slots; each slot then checks
    # its own period. Cuts the units of the other side of the 2025 reform early.
    during = (
        "(u.valid_from IS NULL OR u.valid_from <= %s) "
        "AND (u.valid_to IS NULL OR u.valid_to >= %s)"
    )
    assignments = {slot.assignment.pk: slot.assignment for slot in slots}
    for assignment in assignments.values():
        rule, rule_params = _rule_sql(assignment)
        periods = [slot.period for slot in slots if slot.assignment is assignment]
        span = [max(p.end for p in periods), min(p.start for p in periods)]
        branches.append(f"{select}WHERE {rule} AND {during} AND {scope.sql}")
        params += [assignment.pk, *rule_params, *span, *scope.params]
        named = sorted(unit.pk for unit in assignment.units.all())
        if named:
            branches.append(
                f"{select}WHERE u.id = ANY(%s) AND NOT ({rule}) AND {during} "
                f"AND {scope.sql}"
            )
            params += [assignment.pk, named, *rule_params, *span, *scope.params]
    union = " UNION ALL ".join(branches)
    templates = [assignment.template_id for assignment in assignments.values()]
    if len(templates) == len(set(templates)):
        return f"SELECT {EXPECTED_COLUMNS} FROM ({union}) e", params
    return (
        f"SELECT DISTINCT ON (template_id, unit_id, period) {EXPECTED_COLUMNS} "
        f"FROM ({union}) e ORDER BY template_id, unit_id, period, priority",
        params,
    )
