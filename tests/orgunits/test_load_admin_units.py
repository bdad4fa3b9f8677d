"""The country's administrative units, before and after the 1 July 2025 reform.

The session fixture (tests/conftest.py) has already run the loader once.
"""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection

from orgunits.models import OrgUnit, OrgUnitSuccessor
from orgunits.selectors import subtree_of
from orgunits.services import LEGACY_END, REFORM_DATE, admin_units_load

pytestmark = pytest.mark.django_db

LEGACY = {"valid_to": LEGACY_END}
CURRENT = {"valid_from": REFORM_DATE}


def unit(level, code, *, legacy):
    return OrgUnit.objects.get(
        level__code=level, code=code, **(LEGACY if legacy else CURRENT)
    )


@pytest.mark.parametrize(
    ("level", "validity", "expected"),
    [
        ("province", LEGACY, 63),
        ("district", LEGACY, 696),
        ("commune", LEGACY, 10035),
        ("province", CURRENT, 34),
        ("district", CURRENT, 0),
        ("commune", CURRENT, 3321),
    ],
)
def test_counts_per_level_in_each_set(level, validity, expected):
    assert OrgUnit.objects.filter(level__code=level, **validity).count() == expected


@pytest.mark.parametrize(
    ("level", "width"), [("province", 2), ("district", 3), ("commune", 5)]
)
def test_codes_are_zero_padded_as_the_official_lists_write_them(level, width):
    codes = OrgUnit.objects.filter(level__code=level).values_list("code", flat=True)
    assert codes
    assert all(re.fullmatch(rf"\d{{{width}}}", code) for code in codes)


def test_units_hang_from_the_right_parents():
    # Given the legacy three tiers and the new two tiers
    phuc_xa = unit("commune", "00001", legacy=True)
    new_ba_dinh = unit("commune", "00004", legacy=False)
    # Then a legacy commune sits under its district, a new one directly under its province
    assert phuc_xa.parent.name == "Quận Ba Đình"
    assert phuc_xa.parent.parent.name == "Thành phố Hà Nội"
    assert new_ba_dinh.parent.level.code == "province"
    assert new_ba_dinh.parent.code == "01"
    assert new_ba_dinh.parent.valid_from == REFORM_DATE


def test_identity_is_code_and_validity_not_code_alone():
    old = unit("commune", "00004", legacy=True)
    new = unit("commune", "00004", legacy=False)
    assert old.pk != new.pk
    assert (old.name, new.name) == ("Phường Trúc Bạch", "Phường Ba Đình")


@pytest.mark.parametrize(
    ("level", "code", "successor_level", "successor_code", "successor_name", "kind"),
    [
        ("province", "02", "province", "08", "Tỉnh Tuyên Quang", "merged"),
        ("province", "01", "province", "01", "Thành phố Hà Nội", "unchanged"),
        ("commune", "00001", "commune", "00097", "Phường Hồng Hà", "merged"),
        ("commune", "00004", "commune", "00004", "Phường Ba Đình", "merged"),
        ("district", "001", "province", "01", "Thành phố Hà Nội", "abolished"),
    ],
)
def test_successor_map_facts(
    level, code, successor_level, successor_code, successor_name, kind
):
    old = unit(level, code, legacy=True)
    link = OrgUnitSuccessor.objects.select_related("successor").get(
        predecessor=old,
        successor__level__code=successor_level,
        successor__code=successor_code,
    )
    assert link.successor.name == successor_name
    assert link.kind == kind
    assert link.successor.valid_from == REFORM_DATE


def test_every_legacy_commune_has_a_default_successor():
    legacy_communes = OrgUnit.objects.filter(level__code="commune", **LEGACY)
    without = legacy_communes.exclude(successor_links__is_default=True)
    assert without.count() == 0


def test_split_communes_name_one_default_successor():
    split = OrgUnitSuccessor.objects.filter(kind="split")
    assert split.exists()
    for predecessor_id in split.values_list("predecessor_id", flat=True).distinct()[
        :50
    ]:
        links = OrgUnitSuccessor.objects.filter(
            predecessor_id=predecessor_id, kind="split"
        )
        assert links.count() >= 2
        assert links.filter(is_default=True).count() == 1


def test_second_run_changes_nothing():
    before = OrgUnit.objects.count(), OrgUnitSuccessor.objects.count()
    report = admin_units_load()
    assert not report.changed
    assert sum(report.created.values()) == 0
    assert report.unchanged["legacy", "commune"] == 10035
    assert report.unchanged["current", "commune"] == 3321
    assert (OrgUnit.objects.count(), OrgUnitSuccessor.objects.count()) == before


def test_command_prints_counts_per_level_and_says_nothing_changed():
    out = io.StringIO()
    call_command("load_admin_units", stdout=out)
    text = out.getvalue()
    assert "10035" in text and "3321" in text and "696" in text
    assert "63" in text and "34" in text
    assert "Không có thay đổi" in text or "Nothing changed" in text


def test_subtree_query_returns_the_right_units():
    district = unit("district", "001", legacy=True)
    codes = set(subtree_of(district).values_list("code", flat=True))
    assert "001" in codes and "00001" in codes
    assert len(codes) == 1 + district.children.count()
    sibling = unit("district", "002", legacy=True)
    assert codes.isdisjoint(sibling.children.values_list("code", flat=True))


def test_subtree_query_uses_the_path_index():
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orgunits_orgunit")
    district = unit("district", "001", legacy=True)
    plan = subtree_of(district).explain()
    assert "orgunit_path_prefix_idx" in plan, plan
    assert "Seq Scan" not in plan, plan
