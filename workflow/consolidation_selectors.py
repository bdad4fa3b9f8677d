"""Reads about compiled reports: which reports an upper unit compiles, which block an
unapproval, and each unit's share of a compiled cell (permission-checked)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.http import Http404

from forms.definition.model import Aggregation
from forms.definition.periods import Period
from orgunits.models import OrgUnit
from orgunits.selectors import user_has_role
from reporting.bulk_selectors import AssignmentFinder
from reporting.engine.aggregate import aggregate, average_places
from reporting.models import Submission, SubmissionStatus
from reporting.selectors import access_submission_by_id
from workflow.models import Consolidation, ConsolidationSource


def counts_for_upper(submission: Submission | None, upper_level: str) -> bool:
    """Return whether a report below may be compiled into its upper unit's report:
    approved at the upper unit's level, or finally accepted."""
    return submission is not None and (
        upper_level in submission.approved_levels
        or submission.status == SubmissionStatus.ACCEPTED
    )


def units_below(unit: OrgUnit, period: Period):
    """Return the units directly below ``unit`` that exist during ``period``."""
    return (
        OrgUnit.objects.filter(parent=unit)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=period.end))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=period.start))
        .select_related("level")
        .order_by("code")
    )


@dataclass
class Sources:
    """The reports of the units below that an upper unit's report compiles."""

    included: list[Submission] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)


def compile_sources(template, unit: OrgUnit, period: Period) -> Sources:
    """Split the units directly below ``unit`` that must report ``template`` for
    ``period`` into the approved reports to include and the units missing (with the
    status of their report, "not_started" when they have none)."""
    finder = AssignmentFinder()
    children = [
        child
        for child in units_below(unit, period)
        if finder.covering(template, child, period) is not None
    ]
    reports = {
        report.org_unit_id: report
        for report in Submission.objects.filter(
            template=template, period=period.id, org_unit__in=children
        ).select_related("current_revision", "org_unit")
    }
    sources = Sources()
    for child in children:
        report = reports.get(child.pk)
        if counts_for_upper(report, unit.level.code) and report.current_revision_id:
            sources.included.append(report)
        else:
            sources.missing.append(
                {
                    "unit_id": child.pk,
                    "code": child.code,
                    "name": child.name,
                    "status": report.status if report else "not_started",
                }
            )
    return sources


def has_units_below(template, unit: OrgUnit, period: Period) -> bool:
    """Return whether any unit directly below ``unit`` reports ``template``."""
    finder = AssignmentFinder()
    return any(
        finder.covering(template, child, period) is not None
        for child in units_below(unit, period)
    )


def approved_compilation_of(submission_id: int) -> Submission | None:
    """Return a compiled report that includes report ``submission_id`` and is itself
    approved at some level (or finally approved): its approval locks the source."""
    return (
        Submission.objects.filter(
            consolidation__sources__source_id=submission_id,
        )
        .filter(
            ~Q(approved_levels=[])
            | Q(status__in=[SubmissionStatus.APPROVED, SubmissionStatus.ACCEPTED])
        )
        .select_related("org_unit")
        .first()
    )


def compilation_out_of_date(submission: Submission) -> bool:
    """Return whether a compiled report read a report below that has changed or is
    no longer approved since (before the effects task has flagged it stale)."""
    upper_level = submission.org_unit.level.code
    links = ConsolidationSource.objects.filter(
        consolidation__submission_id=submission.pk
    ).select_related("source")
    return any(
        link.source.current_revision_id != link.source_revision_id
        or not counts_for_upper(link.source, upper_level)
        for link in links
    )


def user_may_compile(user, unit: OrgUnit) -> bool:
    """Reporters of the upper unit and reviewers holding the role on it (or above)."""
    return user_has_role(user, "reporter", unit) or user_has_role(
        user, "reviewer", unit
    )


def access_compiled_report_by_id(user, submission_id: int) -> Submission:
    """Return an upper unit's report for its compilation page: only reporters and
    reviewers of that unit (or reviewers above it) reach it; 404 otherwise."""
    submission = access_submission_by_id(user, submission_id)
    if not user_may_compile(user, submission.org_unit):
        raise Http404("No such report")
    return submission


@dataclass(frozen=True)
class Contribution:
    unit: OrgUnit
    value: str  # canonical text; "" when the unit left the cell empty


@dataclass(frozen=True)
class CellDrillDown:
    cell: str
    aggregation: str
    contributions: list[Contribution]
    aggregate: Decimal | None
    compiled: str  # the compiled report's value of the cell

    @property
    def is_empty(self) -> bool:
        """Whether there is nothing to break down: the compiled report and every
        included unit left the cell empty."""
        return self.compiled == "" and not any(
            item.value for item in self.contributions
        )


def cell_contributions(consolidation: Consolidation, cell: str) -> CellDrillDown:
    """Return each included unit's value of ``cell`` as compiled, and the aggregate."""
    definition = consolidation.submission.form_version.form_definition
    row_code, _sep, column = cell.rpartition(":")
    row = next((row for row in definition.coded_rows if row.code == row_code), None)
    if row is None or not column.isdigit():
        raise Http404("No such cell")
    sources = ConsolidationSource.objects.filter(
        consolidation=consolidation
    ).select_related("org_unit", "source_revision")
    contributions = [
        Contribution(source.org_unit, source.source_revision.values.get(cell, ""))
        for source in sources
    ]
    numbers = []
    for item in contributions:
        try:
            if item.value:
                numbers.append(Decimal(item.value))
        except ArithmeticError:
            continue
    places = average_places(definition).get(int(column), 0)
    total = (
        aggregate(row.aggregation, numbers, places)
        if numbers and row.aggregation != Aggregation.NONE
        else None
    )
    return CellDrillDown(
        cell=cell,
        aggregation=row.aggregation,
        contributions=contributions,
        aggregate=total,
        compiled=consolidation.revision.values.get(cell, ""),
    )
