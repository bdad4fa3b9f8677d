"""Reports for tests: a real form assigned to real (or test) units."""

from pathlib import Path

from forms.models import FormVersion
from forms.services import form_import
from orgunits.models import OrgLevel
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
