"""Reads made once for many reports at a time (imports, bulk saves)."""

from __future__ import annotations

from forms.definition.periods import Period, parse_period
from orgunits.models import OrgUnit
from reporting.models import Assignment


class AssignmentFinder:
    """Answer ``assignment_covering`` for many units, each form's assignments read
    once instead of once per unit, and what each covers worked out once."""

    def __init__(self) -> None:
        self._candidates: dict[int, list[tuple]] = {}

    def covering(self, template, unit: OrgUnit, period: Period) -> Assignment | None:
        """Return what ``reporting.selectors.assignment_covering`` returns."""
        if template.pk not in self._candidates:
            self._candidates[template.pk] = [
                _Rule.of(assignment)
                for assignment in Assignment.objects.filter(template=template)
                .select_related("form_version", "root")
                .prefetch_related("levels", "units")
                .order_by("-form_version__number", "-id")
            ]
        for rule in self._candidates[template.pk]:
            if period.start < rule.first_start:
                continue
            if rule.last_start is not None and period.start > rule.last_start:
                continue
            if rule.includes(unit):
                return rule.assignment
        return None


class _Rule:
    """An assignment's periods and units, as ``assignment_includes`` reads them."""

    __slots__ = ("assignment", "first_start", "last_start", "units", "path", "levels")

    @classmethod
    def of(cls, assignment: Assignment) -> _Rule:
        rule = cls()
        rule.assignment = assignment
        rule.first_start = parse_period(assignment.first_period).start
        rule.last_start = (
            parse_period(assignment.last_period).start
            if assignment.last_period
            else None
        )
        rule.units = {named.pk for named in assignment.units.all()}
        rule.path = assignment.root.path
        rule.levels = {level.pk for level in assignment.levels.all()}
        return rule

    def includes(self, unit: OrgUnit) -> bool:
        """Return ``assignment_includes(self.assignment, unit)``."""
        if unit.pk in self.units:
            return True
        if not unit.path.startswith(self.path):
            return False
        if self.levels and unit.level_id not in self.levels:
            return False
        kinds = self.assignment.kinds
        return not kinds or unit.kind in kinds
