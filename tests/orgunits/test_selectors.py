"""Scope follows the tree: each role sees its own subtree (or unit), never a sibling's."""

import pytest
from django.contrib.auth.models import Group
from django.http import Http404
from guardian.shortcuts import assign_perm

from orgunits.models import OrgUnit
from orgunits.selectors import (
    access_org_unit_by_code,
    access_org_unit_by_id,
    user_has_role,
    visible_to,
)
from orgunits.services import LEGACY_END, REFORM_DATE
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def legacy(level, code):
    return OrgUnit.objects.get(level__code=level, code=code, valid_to=LEGACY_END)


def current(level, code):
    return OrgUnit.objects.get(level__code=level, code=code, valid_from=REFORM_DATE)


def national():
    return OrgUnit.objects.get(level__code="national")


# (role, where the role is granted) -> (units that must be visible, units that must not)
UNITS = {
    "national": national,
    "hanoi_legacy": lambda: legacy("province", "01"),
    "ba_dinh_district": lambda: legacy("district", "001"),
    "hoan_kiem_district": lambda: legacy("district", "002"),
    "phuc_xa": lambda: legacy("commune", "00001"),
    "truc_bach": lambda: legacy("commune", "00004"),
    "hang_bac": lambda: legacy("commune", "00046"),
    "hcm_legacy": lambda: legacy("province", "79"),
    "hanoi_new": lambda: current("province", "01"),
    "ba_dinh_new": lambda: current("commune", "00004"),
    "hong_ha_new": lambda: current("commune", "00097"),
    "hcm_new": lambda: current("province", "79"),
}

SCOPE_TABLE = [
    ("reporter", "phuc_xa", ["phuc_xa"],
     ["truc_bach", "ba_dinh_district", "hanoi_legacy", "hang_bac", "national"]),
    ("reporter", "ba_dinh_new", ["ba_dinh_new"], ["hong_ha_new", "hanoi_new", "truc_bach"]),
    ("reviewer", "ba_dinh_district", ["ba_dinh_district", "phuc_xa", "truc_bach"],
     ["hoan_kiem_district", "hang_bac", "hanoi_legacy", "hcm_legacy", "ba_dinh_new"]),
    ("reviewer", "hanoi_legacy", ["hanoi_legacy", "ba_dinh_district", "hoan_kiem_district",
                                  "phuc_xa", "hang_bac"],
     ["hcm_legacy", "national", "hanoi_new", "ba_dinh_new"]),
    ("reviewer", "hanoi_new", ["hanoi_new", "ba_dinh_new", "hong_ha_new"],
     ["hcm_new", "hanoi_legacy", "phuc_xa", "national"]),
    ("analyst", "national", list(UNITS), []),
    ("designer", "national", list(UNITS), []),
    ("administrator", "hanoi_new", ["hanoi_new", "ba_dinh_new"], ["hcm_new", "hanoi_legacy"]),
]  # fmt: skip


@pytest.mark.parametrize(("role", "granted_on", "sees", "never_sees"), SCOPE_TABLE)
def test_scope_follows_the_tree(role, granted_on, sees, never_sees):
    user = make_user(role=role, unit=UNITS[granted_on]())
    visible = visible_to(user)
    for name in sees:
        assert visible.filter(pk=UNITS[name]().pk).exists(), f"{role} should see {name}"
        assert access_org_unit_by_id(user, UNITS[name]().pk)
    for name in never_sees:
        assert not visible.filter(pk=UNITS[name]().pk).exists(), f"{role} sees {name}"
        with pytest.raises(Http404):
            access_org_unit_by_id(user, UNITS[name]().pk)


def test_reviewer_scope_is_all_units_below_and_nothing_else():
    district = legacy("district", "001")
    user = make_user(role="reviewer", unit=district)
    assert visible_to(user).count() == 1 + district.children.count()


def test_user_without_roles_sees_nothing():
    user = make_user()
    assert not visible_to(user).exists()
    with pytest.raises(Http404):
        access_org_unit_by_id(user, national().pk)


def test_superuser_sees_everything():
    user = make_user(is_superuser=True, is_staff=True)
    assert visible_to(user).count() == OrgUnit.objects.count()


def test_inactive_user_sees_nothing():
    user = make_user(role="analyst", unit=national())
    user.is_active = False
    assert not visible_to(user).exists()


def test_roles_granted_through_a_group_count():
    group = Group.objects.create(name="Phòng Thống kê Ba Đình")
    assign_perm("orgunits.review_orgunit", group, legacy("district", "001"))
    user = make_user()
    user.groups.add(group)
    assert visible_to(user).filter(pk=legacy("commune", "00001").pk).exists()
    assert not visible_to(user).filter(pk=legacy("commune", "00046").pk).exists()


def test_user_has_role_on_units_below_for_subtree_roles_only():
    district = legacy("district", "001")
    reviewer = make_user(role="reviewer", unit=district)
    reporter = make_user(role="reporter", unit=district)
    commune = legacy("commune", "00001")
    assert user_has_role(reviewer, "reviewer", commune)
    assert not user_has_role(reviewer, "reporter", commune)
    assert user_has_role(reporter, "reporter", district)
    assert not user_has_role(reporter, "reporter", commune)


def test_access_by_code_picks_the_unit_valid_on_the_day():
    import datetime

    user = make_user(role="analyst", unit=national())
    before = access_org_unit_by_code(user, "00004", on=datetime.date(2025, 6, 1))
    after = access_org_unit_by_code(user, "00004", on=datetime.date(2025, 8, 1))
    assert before.name == "Phường Trúc Bạch"
    assert after.name == "Phường Ba Đình"
