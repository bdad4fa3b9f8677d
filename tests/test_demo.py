"""The demo's own set-up path, then its home page in a real browser, in Vietnamese."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from demo.data import DEMO_PASSWORD
from indicators.models import CellMapping
from workflow.models import ApprovalChain

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_demo_setup_then_each_role_sees_its_home_page(live_server, page):
    # Given the commands `make demo` runs (twice: re-running must be harmless)
    for _ in range(2):
        call_command("load_admin_units")
        call_command("load_demo")
    assert sorted(ApprovalChain.objects.values_list("regime__code", flat=True)) == [
        "TT01-2022-BLDTBXH",
        "TT02-2023-BNV",
    ]
    assert CellMapping.objects.filter(indicator__code="TDKT.01").count() == 20

    # When the commune reporter of Phường Ba Đình logs in
    response = page.goto(f"{live_server.url}/")
    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.get_by_label(re.compile("Tên đăng nhập", re.I)).fill("lapbieu.badinh")
    page.get_by_label(re.compile("Mật khẩu", re.I)).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("Đăng nhập")).click()

    # Then the home page answers in Vietnamese with their own unit and role
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("cell", name=re.compile("Phường Ba Đình"))).to_be_visible()
    expect(page.get_by_text("Người lập báo cáo")).to_be_visible()

    # And the province reviewer sees Hà Nội, not another province
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/tai-khoan/dang-nhap/")
    page.get_by_label(re.compile("Tên đăng nhập", re.I)).fill("duyet.hanoi")
    page.get_by_label(re.compile("Mật khẩu", re.I)).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("Đăng nhập")).click()
    expect(page.get_by_role("link", name="Thành phố Hà Nội")).to_be_visible()
    page.get_by_role("link", name="Thành phố Hà Nội").click()
    expect(page.get_by_text("Phường Ba Đình").first).to_be_visible()
    expect(page.get_by_text("Thành phố Hồ Chí Minh")).to_have_count(0)
