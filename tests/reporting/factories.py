"""Reports for tests: a real form assigned to real (or test) units."""

import json
from pathlib import Path

from django.utils import timezone

from forms.definition.periods import parse_period
from forms.models import FormVersion
from forms.services import form_import
from orgunits.models import OrgLevel
from reporting.models import Submission, SubmissionStatus
from reporting.services import assignment_create

CATALOG = Path(__file__).resolve().parents[2] / "forms" / "catalog"


def catalog_version(name: str = "0603.N_BNV-TDKT.form.json") -> FormVersion:
    version, _created = form_import(
        acting_user=None, text=(CATALOG / name).read_bytes()
    )
    return version


def assign(version, root, *, level="commune", first_period="2024", **options):
    return assignment_create(
        acting_user=None,
        form_version=version,
        root=root,
        levels=[OrgLevel.objects.get(code=level)] if level else [],
        first_period=first_period,
        **options,
    )


def monthly_version(
    code: str = "T01.T/THU-NGHIEM", *, deadline_days: int = 10
) -> FormVersion:
    """Return a published monthly form (a catalog form re-coded), due
    ``deadline_days`` after each month ends."""
    document = json.loads((CATALOG / "0603.N_BNV-TDKT.form.json").read_text())
    document.update(
        code=code,
        title=f"Biểu thử nghiệm hằng tháng {code}",
        period_type="month",
        deadlines=[
            {
                "kind": "days_after_period",
                "days": deadline_days,
                "label": f"{deadline_days} ngày sau kỳ",
            }
        ],
    )
    version, _created = form_import(
        acting_user=None, text=json.dumps(document).encode()
    )
    return version


def make_submission(version, unit, period_id: str, status: str, *, late=False):
    """Put a report straight into ``status`` (for tests of what reads reports)."""
    period = parse_period(period_id)
    sent = status != SubmissionStatus.DRAFT
    return Submission.objects.create(
        template=version.template,
        form_version=version,
        org_unit=unit,
        period=period.id,
        period_start=period.start,
        period_end=period.end,
        status=status,
        submitted_at=timezone.now() if sent else None,
        submitted_late=late,
    )
