"""Permission-checked reads of reports, and the rules that say when entry is open."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from forms.definition.periods import Period, PeriodError, parse_period
from forms.models import FormTemplate
from orgunits.models import OrgUnit
from orgunits.selectors import (
    access_org_unit_by_id,
    grants_of,
    user_has_role,
    visible_to,
)
from reporting.engine.window import EntryWindow, entry_window
from reporting.models import Assignment, Submission, SubmissionStatus


def _valid_during(period: Period) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=period.end)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=period.start)
    )


def assignment_covering(
    template: FormTemplate, unit: OrgUnit, period: Period
) -> Assignment | None:
    """Return the assignment that obliges ``unit`` to report ``template`` for
    ``period`` (the newest when several do), or None."""
    candidates = (
        Assignment.objects.filter(template=template)
        .select_related("form_version", "root")
        .prefetch_related("levels", "units")
        .order_by("-form_version__number", "-id")
    )
    for assignment in candidates:
        first = parse_period(assignment.first_period)
        if period.start < first.start:
            continue
        if (
            assignment.last_period
            and period.start > parse_period(assignment.last_period).start
        ):
            continue
        if assignment_includes(assignment, unit):
            return assignment
    return None


def assignment_includes(assignment: Assignment, unit: OrgUnit) -> bool:
    if any(named.pk == unit.pk for named in assignment.units.all()):
        return True
    if not unit.path.startswith(assignment.root.path):
        return False
    levels = {level.pk for level in assignment.levels.all()}
    if levels and unit.level_id not in levels:
        return False
    return not assignment.kinds or unit.kind in assignment.kinds


def assignment_units(assignment: Assignment, period: Period) -> QuerySet[OrgUnit]:
    """Return every unit that must report under ``assignment`` for ``period``."""
    levels = list(assignment.levels.values_list("pk", flat=True))
    by_rule = Q(path__startswith=assignment.root.path)
    if levels:
        by_rule &= Q(level__in=levels)
    if assignment.kinds:
        by_rule &= Q(kind__in=assignment.kinds)
    named = Q(pk__in=assignment.units.values("pk"))
    return OrgUnit.objects.filter(by_rule | named).filter(_valid_during(period))


def entry_window_of(submission: Submission) -> EntryWindow:
    """Return the entry window of a report (from its assignment and form deadline)."""
    period = parse_period(submission.period)
    assignment = assignment_covering(submission.template, submission.org_unit, period)
    return window_for(submission.form_version, assignment, period)


def window_for(
    form_version, assignment: Assignment | None, period: Period
) -> EntryWindow:
    from forms.definition.periods import deadline_for

    definition = form_version.form_definition
    deadline = (
        deadline_for(definition.deadlines[0], period) if definition.deadlines else None
    )
    ahead = assignment.periods_ahead if assignment else 0
    starts = []
    cursor = period
    for _ in range(ahead):
        cursor = cursor.previous()
        starts.append(cursor.start)
    grace = assignment.grace_days if assignment else None
    return entry_window(
        period_start=period.start,
        previous_period_starts=starts,
        deadline=deadline,
        grace_days=grace,
    )


def submissions_visible_to(user) -> QuerySet[Submission]:
    """Reports of the units the user may see (their own unit, or their subtree)."""
    return Submission.objects.select_related(
        "template", "form_version", "org_unit", "org_unit__level", "current_revision"
    ).filter(org_unit__in=visible_to(user).values("pk"))


def access_submission_by_id(user, submission_id: int) -> Submission:
    """Return the report if the user may see it; 404 otherwise."""
    try:
        return submissions_visible_to(user).get(pk=submission_id)
    except (Submission.DoesNotExist, ValueError, TypeError):
        raise Http404("No such report") from None


def user_can_edit(user, submission: Submission) -> bool:
    return user_has_role(user, "reporter", submission.org_unit)


def user_can_grant_lock_exception(user, unit: OrgUnit) -> bool:
    """A reviewer whose scope starts strictly above ``unit`` may reopen its entry."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return any(
        grant.role == "reviewer"
        and unit.path.startswith(grant.path)
        and grant.unit_id != unit.pk
        for grant in grants_of(user)
    )


def other_period_values(submission: Submission) -> dict[str, dict[str, str]]:
    """Return the current values of the previous period and of the same period last
    year, for showing beside each cell: {"previous": {...}, "last_year": {...}}."""
    period = parse_period(submission.period)
    wanted = {
        "previous": period.previous().id,
        "last_year": period.same_period_last_year().id,
    }
    found = {
        row.period: row.current_revision.values if row.current_revision else {}
        for row in Submission.objects.filter(
            template=submission.template,
            org_unit=submission.org_unit,
            period__in=wanted.values(),
        ).select_related("current_revision")
    }
    return {name: found.get(period_id, {}) for name, period_id in wanted.items()}


@dataclass(frozen=True)
class ReportAccess:
    """A report as one user may reach it: the form, unit and period it is about, the
    report itself (None until someone opens it) and, while it is unopened, the
    assignment that obliges the unit to report it."""

    template: FormTemplate
    unit: OrgUnit
    period: Period
    assignment: Assignment | None
    submission: Submission | None
    can_report: bool


def access_report_by_key(
    user, *, template_id: int, unit_id: int, period_id: str
) -> ReportAccess:
    """Return the report of form ``template_id`` for ``unit_id`` and ``period_id`` as
    ``user`` may reach it; 404 when the unit is not theirs to see, when the form or
    period does not exist, or when nothing obliges the unit to report it."""
    unit = access_org_unit_by_id(user, unit_id)
    try:
        period = parse_period(str(period_id))
    except PeriodError:
        raise Http404("No such period") from None
    template = FormTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise Http404("No such form")
    submission = (
        submissions_visible_to(user)
        .filter(template=template, org_unit=unit, period=period.id)
        .first()
    )
    # An opened report carries its form version; only an unopened one needs the
    # assignment to know which version to show.
    assignment = (
        assignment_covering(template, unit, period) if submission is None else None
    )
    if submission is None and assignment is None:
        raise Http404("The unit does not report this form for this period")
    return ReportAccess(
        template=template,
        unit=unit,
        period=period,
        assignment=assignment,
        submission=submission,
        can_report=user_has_role(user, "reporter", unit),
    )


def version_usage(version) -> dict:
    """Say how a form version is used: its assignments and, per period (newest
    first, at most 12), how many reports of each status were made on it."""
    from django.db.models import Count

    rows = (
        Submission.objects.filter(form_version=version)
        .values("period", "period_start", "status")
        .annotate(count=Count("pk"))
        .order_by("-period_start", "status")
    )
    periods: dict[str, dict] = {}
    for row in rows:
        entry = periods.setdefault(
            row["period"], {"period": row["period"], "total": 0, "statuses": {}}
        )
        entry["statuses"][row["status"]] = (
            SubmissionStatus(row["status"]).label,
            row["count"],
        )
        entry["total"] += row["count"]
    return {
        "assignments": version.assignments.select_related("root").order_by("-id"),
        "periods": list(periods.values())[:12],
        "total": sum(entry["total"] for entry in periods.values()),
    }
