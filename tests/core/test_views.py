"""The home page shows what is really the user's; the health check answers."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from orgunits.services import org_levels_ensure, org_unit_create
from tests.factories import make_user


@pytest.fixture
def province(db):
    levels = org_levels_ensure()
    return org_unit_create(
        acting_user=None,
        code="T97",
        name="Tỉnh Kiểm Tra",
        level=levels["province"],
        parent=None,
    )


def test_home_needs_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_user_without_roles_is_told_whom_to_ask(client, db):
    client.force_login(make_user())
    html = client.get(reverse("home")).content.decode()
    assert "Bạn chưa được giao vai trò ở đơn vị nào" in html
    assert reverse("orgunits:index") not in html.split("<main", 1)[1]


def test_reviewer_sees_each_role_and_a_link_to_browse(client, province):
    user = make_user(role=Role.REVIEWER, unit=province)
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    assert "Tỉnh Kiểm Tra" in html
    assert "Người xem xét, phê duyệt" in html
    assert "Xem các đơn vị thuộc phạm vi của tôi" in html
    assert reverse("orgunits:detail", args=[province.pk]) in html
    assert reverse("admin:index") not in html


def test_staff_get_a_link_to_the_administration(client, db):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    html = client.get(reverse("home")).content.decode()
    assert "Bạn là quản trị viên toàn hệ thống." in html
    assert "Mở trang quản trị hệ thống" in html


def test_health(client, db):
    response = client.get(reverse("health"))
    assert response.json() == {"status": "ok"}
