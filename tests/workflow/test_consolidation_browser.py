"""A district reviewer compiles the district's report in a real browser: the page
lists the approved communes and the one still awaiting review, the Compile button
fills in the figures (Vietnamese number format) and a figure opens each commune's
contribution."""

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reporting.models import SubmissionStatus
from tests.browser import log_in
from tests.workflow.chain_factories import (
    approved_commune,
    entered,
    make_chain_world,
    sent_and_checked,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


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


def test_an_empty_compiled_cell_opens_nothing_and_a_filled_one_drills_down(
    page, page_errors, live_server
):
    # given a district report compiled from two communes, neither of which filled
    # cell 03:2, both of which filled 02:2
    world = make_chain_world()
    approved_commune(world, 1, {"02:2": "12", "12:2": "1"})
    approved_commune(world, 2, {"02:2": "30", "12:2": "3"})
    log_in(page, live_server, world.users["district_reviewer"])
    page.goto(
        live_server.url
        + reverse(
            "consolidation:by_key",
            args=[world.version.template_id, world.district.pk, world.period],
        )
    )
    with page.expect_navigation():
        page.locator("#compile-button").click()
    compiled_url = page.url

    # then the empty cell shows a dash that is neither a link nor focusable
    empty = page.locator("#compiled-values [data-cell='03:2']")
    expect(empty).to_have_text("–")
    assert empty.evaluate("node => node.tagName") == "SPAN"
    assert empty.evaluate("node => node.closest('a, button') === null")
    assert empty.evaluate("node => node.tabIndex") == -1
    expect(page.locator("#compiled-values a[data-cell='03:2']")).to_have_count(0)

    # when they click it
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    empty.click()
    page.wait_for_timeout(300)

    # then no request is made and no drill-down opens
    assert requests == []
    assert page.url == compiled_url
    expect(page.locator("#drill-down")).to_have_count(0)

    # when they move through the figures with the keyboard from 02:2 (the rest of
    # row 02 is empty, and 03:2 too), the next stop skips them: it is the total
    # the form computes in 03:1
    filled = page.locator("#compiled-values a[data-cell='02:2']")
    filled.focus()
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "[document.activeElement.tagName, document.activeElement.dataset.cell,"
        " document.activeElement.textContent]"
    )
    assert focused == ["A", "03:1", "0"]

    # when they click the filled cell of the same column
    with page.expect_navigation():
        filled.click()

    # then its drill-down lists each commune's figure and the total
    drill = page.locator("#drill-down")
    expect(drill.locator("tbody tr")).to_have_count(2)
    expect(page.locator("#drill-aggregate")).to_have_text("42")
    expect(page.locator("#drill-empty")).to_have_count(0)

    # when the drill-down of the empty cell is asked for by its address all the same
    page.goto(compiled_url.split("?")[0] + "?o=03%3A2#drill-down")

    # then a short message says there is nothing to break down, with no table
    expect(page.locator("#drill-empty")).to_contain_text("03:2")
    expect(page.locator("#drill-down table")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "consolidation-empty-cell.png", full_page=True)
    assert page_errors == []
    assert no_inline_scripts(page) == []
