"""Load the demo accounts; idempotent, so `make demo` can run again and again."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.services import role_grant, user_create
from demo.data import (
    DEMO_AGENCIES,
    DEMO_ASSIGNMENTS,
    DEMO_CHAINS,
    DEMO_DIMENSIONS,
    DEMO_INDICATORS,
    DEMO_MAPPINGS,
    DEMO_PASSWORD,
    DEMO_USERS,
)
from forms.models import FormVersion, Regime, VersionStatus
from forms.services import form_import
from orgunits.models import OrgLevel, OrgUnit, OrgUnitKind
from orgunits.services import LEGACY_END, REFORM_DATE, org_unit_create
from reporting.models import Assignment
from reporting.services import assignment_create


def demo_users_load() -> list[str]:
    """Create the demo accounts that are missing; return the usernames created."""
    User = get_user_model()
    created = []
    with transaction.atomic():
        for spec in DEMO_USERS:
            if User.objects.filter(username=spec.username).exists():
                continue
            user = user_create(
                acting_user=None,
                username=spec.username,
                password=DEMO_PASSWORD,
                email=f"{spec.username}@demo.invalid",
                full_name=spec.full_name,
                is_staff=spec.role is None,
                is_superuser=spec.role is None,
            )
            if spec.role is not None:
                units = OrgUnit.objects.filter(
                    level__code=spec.unit_level, code=spec.unit_code
                )
                if spec.unit_level != "national":
                    units = units.filter(
                        valid_to=LEGACY_END if spec.legacy else None,
                        valid_from=None if spec.legacy else REFORM_DATE,
                    )
                role_grant(
                    acting_user=None, user=user, unit=units.get(), role=spec.role
                )
            created.append(spec.username)
    return created


def demo_forms_load() -> list[str]:
    """Import the real forms of forms/catalog/; return the codes newly imported."""
    created = []
    for path in sorted((Path(settings.BASE_DIR) / "forms" / "catalog").glob("*.json")):
        version, is_new = form_import(acting_user=None, text=path.read_bytes())
        if is_new:
            created.append(version.template.code)
    return created


def demo_agencies_load() -> list[str]:
    """Create the demo agencies attached to provinces; return the codes created."""
    created = []
    for code, name, level, province_code in DEMO_AGENCIES:
        level_obj = OrgLevel.objects.get(code=level)
        if OrgUnit.objects.filter(
            level=level_obj, code=code, valid_from=REFORM_DATE
        ).exists():
            continue
        province = OrgUnit.objects.get(
            level__code="province", code=province_code, valid_from=REFORM_DATE
        )
        org_unit_create(
            acting_user=None,
            code=code,
            name=name,
            level=level_obj,
            parent=province,
            kind=OrgUnitKind.AGENCY,
            type_name="Sở",
            valid_from=REFORM_DATE,
        )
        created.append(code)
    return created


def demo_assignments_load() -> list[str]:
    """Assign the catalog forms to the units their legal basis names."""
    created = []
    national = OrgUnit.objects.get(level__code="national", code="VN")
    for form_code, level, kind, first_period in DEMO_ASSIGNMENTS:
        version = (
            FormVersion.objects.filter(
                template__code=form_code, status=VersionStatus.PUBLISHED
            )
            .order_by("-number")
            .first()
        )
        if (
            version is None
            or Assignment.objects.filter(template=version.template).exists()
        ):
            continue
        assignment_create(
            acting_user=None,
            form_version=version,
            root=national,
            levels=[OrgLevel.objects.get(code=level)],
            kinds=[kind],
            first_period=first_period,
        )
        created.append(form_code)
    return created


def demo_chains_load() -> list[str]:
    """Put the demo regimes' approval chains in force; return the regimes changed."""
    import datetime

    from workflow.chains import approval_chain_create
    from workflow.models import ApprovalChain

    created = []
    for regime_code, levels, top_accepts in DEMO_CHAINS:
        regime = Regime.objects.filter(code=regime_code).first()
        if regime is None or ApprovalChain.objects.filter(regime=regime).exists():
            continue
        approval_chain_create(
            acting_user=None,
            regime=regime,
            valid_from=datetime.date(2000, 1, 1),
            levels=levels,
            top_accepts=top_accepts,
        )
        created.append(regime_code)
    return created


def demo_indicators_load() -> list[str]:
    """Create the demo indicator catalogue and map the commendation form's cells to
    it; return the indicator codes created."""
    from indicators.models import CellMapping, Indicator
    from indicators.services import cell_mapping_set, dimension_save, indicator_save

    created = []
    for code, name, codes in DEMO_DIMENSIONS:
        dimension_save(acting_user=None, code=code, name=name, codes=codes)
    for spec in DEMO_INDICATORS:
        if not Indicator.objects.filter(code=spec["code"]).exists():
            created.append(spec["code"])
        indicator_save(acting_user=None, **spec)
    form_code, rows, columns = DEMO_MAPPINGS
    version = (
        FormVersion.objects.filter(
            template__code=form_code, status=VersionStatus.PUBLISHED
        )
        .order_by("-number")
        .first()
    )
    if (
        version is not None
        and not CellMapping.objects.filter(form_version=version).exists()
    ):
        cell_mapping_set(
            acting_user=None,
            form_version=version,
            mappings=[
                {
                    "row": row,
                    "column": column,
                    "indicator": DEMO_INDICATORS[0]["code"],
                    "dims": {"DOI_TUONG": who, "HINH_THUC": how},
                }
                for row, who in rows.items()
                for column, how in columns.items()
            ],
        )
    return created
