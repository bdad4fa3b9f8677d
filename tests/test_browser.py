"""A commune reporter in a real browser: Vietnamese first, English on request, on a
phone and on a desktop, with a Content-Security-Policy that nothing violates."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from accounts.roles import Role
from orgunits.services import org_levels_ensure, org_unit_create
from tests.factories import PASSWORD, make_user

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

pytestmark = pytest.mark.browser


@pytest.fixture
def commune_reporter(transactional_db):
    """A reporter of one commune, built from nothing (the live server's database
    starts empty)."""
    levels = org_levels_ensure()
    province = org_unit_create(
        acting_user=None,
        code="T98",
        name="Tỉnh Thử Nghiệm",
        level=levels["province"],
        parent=None,
    )
    commune = org_unit_create(
        acting_user=None,
        code="X98001",
        name="Xã Hòa Bình Thử",
        level=levels["commune"],
        parent=province,
    )
    user = make_user(
        username="bao.cao.xa",
        full_name="Trần Thị Bình",
        role=Role.REPORTER,
        unit=commune,
    )
    return user, commune


def _fits_width(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"
    )


def test_commune_reporter_journey(page, page_errors, live_server, commune_reporter):
    user, commune = commune_reporter
    ARTIFACTS.mkdir(exist_ok=True)
    problems = page_errors

    # given a phone
    page.set_viewport_size(PHONE)

    # when the reporter opens the login page, it is in Vietnamese
    response = page.goto(live_server.url + reverse("login"))
    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    assert _fits_width(page)

    expect(page.get_by_label("Tên đăng nhập")).to_be_focused()
    page.screenshot(path=ARTIFACTS / "login-phone.png", full_page=True)

    # when they log in through the labelled fields
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Đăng nhập").click()

    # then they land on their home page, in Vietnamese, with their unit and role
    assert navigation.value.status == 200
    assert page.url == live_server.url + reverse("home")
    expect(page.get_by_role("heading", level=1)).to_have_text("Xin chào, Trần Thị Bình")
    expect(page.get_by_role("cell", name="Người lập báo cáo")).to_be_visible()
    unit_link = page.get_by_role("link", name=commune.name).first
    expect(unit_link).to_be_visible()
    assert _fits_width(page)
    page.screenshot(path=ARTIFACTS / "home-phone.png", full_page=True)

    # and the skip link is the first stop for keyboard users, and leads to the content
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Bỏ qua, đến nội dung chính")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.screenshot(path=ARTIFACTS / "home-phone-skip-link.png")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # when they open their unit
    unit_link.click()
    expect(page).to_have_url(
        live_server.url + reverse("orgunits:detail", args=[commune.pk])
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text(commune.name)
    expect(page.get_by_role("heading", name="Đơn vị trực thuộc")).to_be_visible()
    assert _fits_width(page)
    page.screenshot(path=ARTIFACTS / "unit-phone.png", full_page=True)

    # when, on a desktop, they switch the language to English
    page.set_viewport_size(DESKTOP)
    page.get_by_label("Ngôn ngữ").select_option("en")
    with page.expect_navigation():
        page.get_by_role("button", name="Đổi").click()

    # then the same page is shown in English
    expect(page).to_have_url(
        live_server.url + reverse("orgunits:detail", args=[commune.pk])
    )
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Units below")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "unit-desktop-en.png", full_page=True)

    page.goto(live_server.url + reverse("home"))
    expect(page.get_by_role("heading", name="My units and roles")).to_be_visible()
    expect(page.get_by_role("cell", name="Reporter")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "home-desktop-en.png", full_page=True)

    # and nothing on the way broke the Content-Security-Policy or a script
    assert problems == []
