"""The texts around the grid of an official form: code, legal basis, deadline, the
reporting and receiving units, the period and the place of signature.

Call them with Vietnamese active: the form is a legal document. A part that is not
known yet prints as a dotted line, to be filled in by hand.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from forms.definition.model import DeadlineKind, DeadlineRule, PeriodType
from forms.definition.periods import Period, deadline_for
from orgunits.models import OrgUnitKind
from orgunits.selectors import ancestors_of

if TYPE_CHECKING:
    from forms.models import FormVersion
    from orgunits.models import OrgUnit

DOTS = "……………………"
LEVEL_CODE = re.compile(r"[a-z_]+")


def captioned(caption: str, text: str) -> str:
    return f"{caption} {text}"


def form_code_line(code: str) -> str:
    """Return "Biểu số: <code>"; a code that names itself ("Mẫu số 04/…") stays bare."""
    if code.casefold().startswith(("mẫu số", "biểu số", "biểu mẫu")):
        return code
    return captioned(_("Form no.:"), code)


def legal_basis_line(version: FormVersion) -> str:
    definition = version.form_definition
    if definition.legal_basis:
        return definition.legal_basis
    basis = version.template.regime.legal_basis
    return _("Issued with %(basis)s") % {"basis": basis} if basis else ""


def deadline_line(version: FormVersion, period: Period | None) -> str:
    """Return when the report is due: the date for ``period``, else the rule."""
    deadlines = version.form_definition.deadlines
    if not deadlines:
        return captioned(_("Report due:"), DOTS)
    rule = deadlines[0]
    if period is not None:
        due = f"{deadline_for(rule, period):%d/%m/%Y}"
    else:
        due = rule.label or _deadline_rule_text(rule)
    return captioned(_("Report due:"), due)


def _deadline_rule_text(rule: DeadlineRule) -> str:
    if rule.kind is DeadlineKind.DAYS_AFTER_PERIOD:
        return _("%(days)s days after the end of the period") % {"days": rule.days}
    date = f"{rule.day:02d}/{rule.month:02d}"
    if rule.kind is DeadlineKind.FIXED_DATE_NEXT_YEAR:
        return _("%(date)s of the following year") % {"date": date}
    return date


def reporting_unit_line(unit: OrgUnit | None) -> str:
    return captioned(_("Reporting unit:"), unit.name if unit is not None else DOTS)


def receiving_unit_line(version: FormVersion, unit: OrgUnit | None) -> str:
    return captioned(_("Receiving unit:"), receiver_name(version, unit) or DOTS)


def receiver_name(version: FormVersion, unit: OrgUnit | None) -> str:
    """Return who receives the report, or "" when that depends on an unknown unit.

    ``reporters.receiver`` is "parent" (the unit's parent), "national" (the agency
    that issued the regime), another level code (the unit's ancestor at that level)
    or the receiver's name itself.
    """
    receiver = version.form_definition.reporters.receiver.strip()
    if receiver == "parent":
        parent = unit.parent if unit is not None else None
        return parent.name if parent is not None else ""
    if receiver == "national":
        return version.template.regime.issuing_agency
    if unit is not None:
        for ancestor in ancestors_of(unit):
            if ancestor.level.code == receiver:
                return ancestor.name
    return "" if LEVEL_CODE.fullmatch(receiver) else receiver


def period_line(version: FormVersion, period: Period | None) -> str:
    if period is not None:
        label = period.label
    else:
        label = blank_period_label(version.form_definition.period_type)
    return captioned(_("Reporting period:"), label)


def blank_period_label(period_type: PeriodType) -> str:
    dots = "……"
    labels = {
        PeriodType.MONTH: _("Month %(dots)s year %(dots)s"),
        PeriodType.QUARTER: _("Quarter %(dots)s year %(dots)s"),
        PeriodType.HALF_YEAR: _("Half-year %(dots)s, year %(dots)s"),
        PeriodType.NINE_MONTHS: _("Nine months of year %(dots)s"),
        PeriodType.YEAR: _("Year %(dots)s"),
        PeriodType.SCHOOL_YEAR: _("School year %(dots)s"),
        PeriodType.AD_HOC: _("As of %(dots)s"),
    }
    return labels[period_type] % {"dots": dots}


def unit_of_measure_line(version: FormVersion) -> str:
    unit_of_measure = version.form_definition.unit_of_measure
    return captioned(_("Unit of measure:"), unit_of_measure) if unit_of_measure else ""


def place_and_date_line(unit: OrgUnit | None) -> str:
    """Return the line above the head's signature, naming the unit's place."""
    if unit is not None and unit.kind != OrgUnitKind.AREA:
        unit = unit.parent  # an agency signs where its area is
    if unit is None:
        return _("……………, day …… month …… year ……")
    return _("%(place)s, day …… month …… year ……") % {
        "place": unit.short_name or unit.name
    }
