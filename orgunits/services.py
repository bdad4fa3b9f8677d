"""Writes to the org-unit tree. Each service is atomic and audited."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction

from core.audit import audit_context
from core.text import nfc
from orgunits.models import (
    OrgLevel,
    OrgUnit,
    OrgUnitKind,
    OrgUnitSuccessor,
    path_segment,
)
from orgunits.sources import (
    CURRENT,
    LEGACY,
    AdminUnitSource,
    read_admin_unit_source,
)

REFORM_DATE = datetime.date(2025, 7, 1)
LEGACY_END = REFORM_DATE - datetime.timedelta(days=1)
NATIONAL_CODE = "VN"
NATIONAL_SET = "national"

DEFAULT_LEVELS = [
    ("national", "Trung ương", 0),
    ("province", "Tỉnh, thành phố", 1),
    ("district", "Quận, huyện", 2),
    ("commune", "Xã, phường, thị trấn", 3),
]


@dataclass
class AdminUnitsLoadReport:
    """Counts keyed by (unit set, level code): the set is "legacy", "current" or
    "national"."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    successors_created: int = 0
    successors_total: int = 0

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values())) or bool(
            self.successors_created
        )


def _allocate_ids(count: int) -> list[int]:
    """Reserve ``count`` ids from the unit table's sequence, so paths can be built
    before the rows are inserted in bulk."""
    if count == 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [OrgUnit._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def org_levels_ensure() -> dict[str, OrgLevel]:
    """Create the default levels where missing; return every level by code."""
    for code, name, rank in DEFAULT_LEVELS:
        OrgLevel.objects.get_or_create(code=code, defaults={"name": name, "rank": rank})
    return {level.code: level for level in OrgLevel.objects.all()}


def org_unit_create(
    *,
    acting_user,
    code: str,
    name: str,
    level: OrgLevel,
    parent: OrgUnit | None,
    kind: str = OrgUnitKind.AREA,
    type_name: str = "",
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
) -> OrgUnit:
    """Create one unit below ``parent`` (or a root) and return it."""
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="org_unit_create"),
    ):
        (unit_id,) = _allocate_ids(1)
        prefix = parent.path if parent else ""
        unit = OrgUnit(
            id=unit_id,
            code=nfc(code).strip(),
            name=nfc(name).strip(),
            type_name=nfc(type_name).strip(),
            level=level,
            kind=kind,
            parent=parent,
            path=prefix + path_segment(unit_id),
            depth=(parent.depth + 1) if parent else 0,
            valid_from=valid_from,
            valid_to=valid_to,
        )
        unit.full_clean()
        unit.save(force_insert=True)
        return unit


def org_unit_rename(
    *, acting_user, unit: OrgUnit, name: str, short_name: str, type_name: str
) -> OrgUnit:
    """Change what a unit is called; its code, level, place and validity stay."""
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="org_unit_rename"),
    ):
        unit.name = nfc(name).strip()
        unit.short_name = nfc(short_name).strip()
        unit.type_name = nfc(type_name).strip()
        unit.full_clean()
        unit.save(update_fields=["name", "short_name", "type_name"])
        return unit


def admin_units_load(
    *, acting_user=None, source: AdminUnitSource | None = None
) -> AdminUnitsLoadReport:
    """Load both sets of administrative units and the successor map; idempotent.

    Units are matched on (level, code, validity); names that changed upstream are
    updated in place, so a second run changes nothing.
    """
    source = source or read_admin_unit_source()
    report = AdminUnitsLoadReport()
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="admin_units_load"),
    ):
        levels = org_levels_ensure()
        national = OrgUnit.objects.filter(
            level=levels["national"], code=NATIONAL_CODE, valid_from=None
        ).first()
        if national is None:
            national = org_unit_create(
                acting_user=acting_user,
                code=NATIONAL_CODE,
                name="Việt Nam",
                type_name="Quốc gia",
                level=levels["national"],
                parent=None,
            )
            report.created[NATIONAL_SET, "national"] += 1
        else:
            report.unchanged[NATIONAL_SET, "national"] += 1

        units_by_key: dict[str, OrgUnit] = {}
        for set_name, units, valid_from, valid_to in (
            (LEGACY, source.legacy, None, LEGACY_END),
            (CURRENT, source.current, REFORM_DATE, None),
        ):
            units_by_key.update(
                _load_unit_set(
                    set_name, units, valid_from, valid_to, national, levels, report
                )
            )
        _load_successors(source, units_by_key, report)
    return report


def _load_unit_set(set_name, units, valid_from, valid_to, national, levels, report):
    existing = {
        (unit.level_id, unit.code): unit
        for unit in OrgUnit.objects.filter(
            valid_from=valid_from, valid_to=valid_to
        ).exclude(pk=national.pk)
    }
    new_ids = iter(
        _allocate_ids(
            sum(
                1
                for unit in units
                if (levels[unit.level].pk, unit.code) not in existing
            )
        )
    )
    by_key: dict[str, OrgUnit] = {}
    to_create: list[OrgUnit] = []
    to_update: list[OrgUnit] = []
    for item in units:
        level = levels[item.level]
        parent = by_key[item.parent_key] if item.parent_key else national
        current = existing.get((level.pk, item.code))
        if current is None:
            unit_id = next(new_ids)
            unit = OrgUnit(
                id=unit_id,
                code=item.code,
                name=item.name,
                short_name=item.short_name,
                type_name=item.type_name,
                level=level,
                kind=OrgUnitKind.AREA,
                parent=parent,
                path=parent.path + path_segment(unit_id),
                depth=parent.depth + 1,
                valid_from=valid_from,
                valid_to=valid_to,
            )
            to_create.append(unit)
            report.created[set_name, item.level] += 1
            by_key[item.key] = unit
            continue
        fields = {
            "name": item.name,
            "short_name": item.short_name,
            "type_name": item.type_name,
        }
        if any(getattr(current, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(current, name, value)
            to_update.append(current)
            report.updated[set_name, item.level] += 1
        else:
            report.unchanged[set_name, item.level] += 1
        by_key[item.key] = current
    OrgUnit.objects.bulk_create(to_create, batch_size=2000)
    OrgUnit.objects.bulk_update(
        to_update, ["name", "short_name", "type_name"], batch_size=2000
    )
    return by_key


def _load_successors(source, units_by_key, report):
    existing = set(
        OrgUnitSuccessor.objects.values_list("predecessor_id", "successor_id")
    )
    to_create = []
    for link in source.links:
        predecessor = units_by_key[link.predecessor_key]
        successor = units_by_key[link.successor_key]
        pair = (predecessor.pk, successor.pk)
        if pair in existing:
            continue
        existing.add(pair)
        to_create.append(
            OrgUnitSuccessor(
                predecessor=predecessor,
                successor=successor,
                kind=link.kind,
                is_default=link.is_default,
                effective_on=REFORM_DATE,
            )
        )
    OrgUnitSuccessor.objects.bulk_create(to_create, batch_size=2000)
    report.successors_created = len(to_create)
    report.successors_total = len(existing)
