"""A test tree with an approval chain district → province → national that compiles
at each level, a monthly form reported by every unit of it, and its people."""

import datetime
import json
from dataclasses import dataclass, field

from django.utils import timezone

from forms.definition.model import PeriodType
from forms.definition.periods import period_containing
from forms.services import form_import
from orgunits.models import OrgUnit
from orgunits.services import org_levels_ensure, org_unit_create
from reporting.services import submission_open, submission_save_draft
from tests.factories import make_user
from tests.reporting.factories import CATALOG, assign
from workflow.chains import approval_chain_create
from workflow.services import (
    submission_approve,
    submission_submit,
    submission_validation_record,
)

# Rows of the 0603 form given another aggregation in ``consolidation_version``.
AGGREGATIONS = {"12": "average", "13": "max", "14": "min", "15": "none"}


@dataclass
class ChainWorld:
    national: OrgUnit
    province: OrgUnit
    district: OrgUnit
    communes: list[OrgUnit]
    version: object
    period: str
    users: dict = field(default_factory=dict)


def consolidation_version(code: str = "T07.T/TONG-HOP", *, decimal_columns=()):
    """Return a published monthly form (0603 re-coded) whose rows 12-15 aggregate by
    average, max, min and none; ``decimal_columns`` hold numbers with one decimal
    place instead of whole numbers."""
    document = json.loads((CATALOG / "0603.N_BNV-TDKT.form.json").read_text())
    for column in document["columns"]:
        if column["number"] in decimal_columns:
            column.update(data_type="decimal", decimal_places=1)
    for row in document["rows"]:
        if row.get("code") in AGGREGATIONS:
            row["aggregation"] = AGGREGATIONS[row["code"]]
    document.update(
        code=code,
        title=f"Biểu thử nghiệm tổng hợp {code}",
        period_type="month",
        deadlines=[{"kind": "days_after_period", "days": 10, "label": "10 ngày"}],
    )
    version, _created = form_import(
        acting_user=None, text=json.dumps(document).encode()
    )
    return version


def make_chain_world(*, communes: int = 3, decimal_columns=()) -> ChainWorld:
    """Build VN > T9 > T91 > communes T9001…, assign the form to all of them, put the
    chain district → province → national (consolidating, national accepts) in force
    and give each unit its reporter and each upper unit its reviewer."""
    levels = org_levels_ensure()

    def unit(code, name, level, parent):
        return org_unit_create(
            acting_user=None, code=code, name=name, level=levels[level], parent=parent
        )

    national = OrgUnit.objects.filter(level=levels["national"], code="VN").first()
    national = national or unit("VN", "Việt Nam", "national", None)
    province = unit("T9", "Tỉnh Thử Nghiệm", "province", national)
    district = unit("T91", "Huyện An Bình", "district", province)
    below = [
        unit(f"T900{n}", f"Xã Thử {n}", "commune", district)
        for n in range(1, communes + 1)
    ]
    version = consolidation_version(decimal_columns=decimal_columns)
    assign(version, province, level=None, first_period="2024M1")
    assign(version, national, level="national", first_period="2024M1")
    approval_chain_create(
        acting_user=None,
        regime=version.template.regime,
        valid_from=datetime.date(2020, 1, 1),
        levels=["district", "province", "national"],
        top_accepts=True,
    )
    period = period_containing(PeriodType.MONTH, timezone.localdate()).id
    world = ChainWorld(national, province, district, below, version, period)
    for number, commune in enumerate(below, start=1):
        world.users[f"commune{number}"] = make_user(role="reporter", unit=commune)
    for name, place in (
        ("district", district),
        ("province", province),
        ("national", national),
    ):
        world.users[f"{name}_reporter"] = make_user(role="reporter", unit=place)
        world.users[f"{name}_reviewer"] = make_user(role="reviewer", unit=place)
    return world


def entered(world: ChainWorld, unit: OrgUnit, reporter, values: dict[str, str]):
    """Open ``unit``'s report and save ``values`` as its first revision."""
    submission = submission_open(
        acting_user=reporter, form_version=world.version, unit=unit, period=world.period
    )
    submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values=values,
        base_revision=submission.revision_count,
    )
    submission.refresh_from_db()
    return submission


def sent_and_checked(submission, reporter):
    """Submit and record a clean check (what the worker's task does)."""
    submission_submit(
        acting_user=reporter,
        submission=submission,
        base_revision=submission.revision_count,
    )
    submission.refresh_from_db()
    submission_validation_record(
        submission_id=submission.pk,
        revision_id=submission.current_revision_id,
        errors=0,
    )
    submission.refresh_from_db()
    return submission


def approved_commune(world: ChainWorld, number: int, values: dict[str, str]):
    """Commune ``number``'s report entered, submitted, checked and approved by the
    district."""
    reporter = world.users[f"commune{number}"]
    submission = entered(world, world.communes[number - 1], reporter, values)
    sent_and_checked(submission, reporter)
    submission_approve(
        acting_user=world.users["district_reviewer"], submission_id=submission.pk
    )
    submission.refresh_from_db()
    return submission
