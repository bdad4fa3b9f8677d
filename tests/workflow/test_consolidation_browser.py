"""A district reviewer compiles the district's report in a real browser: the page
lists the approved communes and the one still awaiting review, the Compile button
fills in the figures (Vietnamese number format) and a figure opens each commune's
contribution."""

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reporting.models import SubmissionStatus
from tests.factories import PASSWORD
from tests.workflow.chain_factories import (
    approved_commune,
    entered,
    make_chain_world,
    sent_and_checked,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def log_in(page, live_server, user):
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Đăng nhập").click()


def no_inline_scripts(page) -> list[str]:
    """Script elements without a src (the CSP refuses them)."""
    return page.eval_on_selector_all(
        "script:not([src])", "nodes => nodes.map(node => node.outerHTML)"
    )


@pytest.mark.parametrize("who", ["district_reviewer", "district_reporter"])
def test_district_compiles_and_drills_into_a_figure(
    page, page_errors, live_server, who
):
    # given two of the three communes approved (row 02 adds up, row 12 averages,
    # column 2 holds one decimal place) and the third one awaiting review
    world = make_chain_world(decimal_columns=(1, 2))
    approved_commune(world, 1, {"02:2": "1200,3", "12:2": "1000"})
    approved_commune(world, 2, {"02:2": "34,2", "12:2": "1469"})
    third = entered(world, world.communes[2], world.users["commune3"], {"02:2": "5"})
    third = sent_and_checked(third, world.users["commune3"])
    assert third.status == SubmissionStatus.AWAITING_REVIEW

    # when the district's person opens the district's report and its compile page
    log_in(page, live_server, world.users[who])
    page.goto(
        live_server.url
        + reverse(
            "reporting:entry",
            args=[world.version.template_id, world.district.pk, world.period],
        )
    )
    with page.expect_navigation():
        page.locator("#compile-link").click()

    # then the missing commune is listed with its status in Vietnamese
    missing = page.locator("#missing-units tbody tr")
    expect(missing).to_have_count(1)
    expect(missing).to_contain_text("Xã Thử 3")
    expect(missing).to_contain_text("Chờ duyệt")
    expect(page.locator("form:has(#compile-button)")).to_contain_text(
        "2 báo cáo đã duyệt"
    )

    # when they press Compile
    with page.expect_navigation():
        page.locator("#compile-button").click()

    # then the two communes are included and the figures are compiled
    notice = page.locator(".messages .message")
    expect(notice).to_have_count(1)
    expect(notice).to_have_text("Đã tổng hợp từ 2 báo cáo đã duyệt.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"consolidation-compiled-{who}.png")
    expect(page.locator("#included-units li")).to_have_count(2)
    expect(page.locator("#included-units")).to_contain_text("Xã Thử 1")
    expect(page.locator("#included-units")).to_contain_text("Xã Thử 2")
    expect(page.locator("#missing-units")).to_contain_text("Xã Thử 3")
    total = page.locator("#compiled-values a[data-cell='02:2']")
    expect(total).to_have_text("1.234,5")
    expect(page.locator("#compiled-values a[data-cell='12:2']")).to_have_text("1.234,5")

    # when they choose the total of row 02
    with page.expect_navigation():
        total.click()

    # then each commune's contribution is shown, adding up to the figure
    drill = page.locator("#drill-down")
    expect(drill).to_be_visible()
    expect(drill.locator("tbody tr")).to_have_count(2)
    expect(drill.locator("tbody tr", has_text="Xã Thử 1")).to_contain_text("1.200,3")
    expect(drill.locator("tbody tr", has_text="Xã Thử 2")).to_contain_text("34,2")
    expect(page.locator("#drill-aggregate")).to_have_text("1.234,5")
    expect(drill.locator("tfoot")).to_contain_text("Tổng")

    page.screenshot(path=ARTIFACTS / f"consolidation-{who}.png", full_page=True)
    assert page_errors == []
    assert no_inline_scripts(page) == []
