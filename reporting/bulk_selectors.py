"""Reads made once for many reports at a time (imports, bulk saves)."""

from __future__ import annotations

from forms.definition.periods import Period, parse_period
from orgunits.models import OrgUnit
from reporting.models import Assignment
from reporting.selectors import assignment_includes


class AssignmentFinder:
    """Answer ``assignment_covering`` for many units, each form's assignments read
    once instead of once per unit."""

    def __init__(self) -> None:
        self._candidates: dict[int, list[Assignment]] = {}

    def covering(self, template, unit: OrgUnit, period: Period) -> Assignment | None:
        """Return what ``reporting.selectors.assignment_covering`` returns."""
        if template.pk not in self._candidates:
            self._candidates[template.pk] = list(
                Assignment.objects.filter(template=template)
                .select_related("form_version", "root")
                .prefetch_related("levels", "units")
                .order_by("-form_version__number", "-id")
            )
        for assignment in self._candidates[template.pk]:
            if period.start < parse_period(assignment.first_period).start:
                continue
            if (
                assignment.last_period
                and period.start > parse_period(assignment.last_period).start
            ):
                continue
            if assignment_includes(assignment, unit):
                return assignment
        return None
