"""The indicator store's pages in a real browser: a designer maps cells of a form
version, an analyst finds a rollup difference and reads an observation's history
with its lineage."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from indicators.models import CellMapping, Indicator
from reporting.models import Revision
from tests.browser import log_in, shot
from tests.factories import make_user
from tests.indicators.factories import long_version, make_catalogue, observe
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import catalog_version, make_submission
from workflow.models import ApprovalEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def no_inline_scripts(page) -> list[str]:
    return page.eval_on_selector_all(
        "script:not([src])", "nodes => nodes.map(node => node.outerHTML)"
    )


@pytest.fixture
def world():
    tree = make_small_tree()
    make_catalogue()
    return tree, catalog_version()


def test_designer_maps_a_cell_and_sees_a_bad_mapping_named(
    page, page_errors, live_server, world
):
    tree, version = world
    designer = make_user(role="designer", unit=tree.national)

    # given the designer on the version page, when they open its mapping editor
    log_in(page, live_server, designer)
    page.goto(live_server.url + reverse("forms:version", args=[version.pk]))
    mapping_url = reverse("indicators:mapping", args=[version.pk])
    with page.expect_navigation():
        page.locator(f"a[href='{mapping_url}']").click()
    expect(page.locator("h1")).to_have_text("Ánh xạ chỉ tiêu")

    # when they map cell 02:2 to the commendations of women and save
    page.locator("input[name='ind-02-2']").fill("0603.01")
    page.locator("select[name='dim-02-2-SEX']").select_option("F")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu ánh xạ").click()

    # then the mapping is saved and shown again
    expect(page.locator(".messages .message")).to_have_count(1)
    expect(page.locator("input[name='ind-02-2']")).to_have_value("0603.01")
    expect(page.locator("select[name='dim-02-2-SEX']")).to_have_value("F")
    mapping = CellMapping.objects.get(form_version=version)
    assert (mapping.row_code, mapping.column, mapping.dims) == ("02", 2, {"SEX": "F"})
    shot(page, "indicator-mapping-saved")

    # when they map cell 03:2 to the same indicator and dimension value
    page.locator("input[name='ind-03-2']").fill("0603.01")
    page.locator("select[name='dim-03-2-SEX']").select_option("F")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu ánh xạ").click()

    # then a Vietnamese error names both cells, nothing is saved, and the refused
    # choice is still on the page to correct
    error = page.locator("#map-03-2 .mapping-error")
    expect(error).to_have_count(1)
    expect(error).to_contain_text("Ô 03:2")
    expect(error).to_contain_text("02:2")
    expect(error).to_contain_text("0603.01")
    assert CellMapping.objects.filter(form_version=version).count() == 1
    expect(page.locator("input[name='ind-03-2']")).to_have_value("0603.01")
    expect(page.locator("select[name='dim-03-2-SEX']")).to_have_value("F")
    shot(page, "indicator-mapping-error")
    assert page_errors == []
    assert no_inline_scripts(page) == []


def test_designer_narrows_a_long_form_and_finds_the_refused_rows(
    page, page_errors, live_server
):
    # given a form of 64 rows by 5 columns (320 cells) and the catalogue
    tree = make_small_tree()
    make_catalogue()
    version = long_version(rows=64)
    designer = make_user(role="designer", unit=tree.national)
    log_in(page, live_server, designer)
    page.goto(live_server.url + reverse("indicators:mapping", args=[version.pk]))
    cells = page.locator("tr.mapping-cell")
    expect(cells).to_have_count(320)
    find = page.locator("#mapping-filter-text")
    show = page.locator("#mapping-filter-state")

    # when they look for row 47, typing without diacritics
    find.fill("dong thu so 47")

    # then only that row's five cells are shown
    expect(page.locator("tr.mapping-cell:visible")).to_have_count(5)
    expect(page.locator("tbody.mapping-group:visible")).to_have_count(1)
    expect(page.locator("#mapping-filter-count")).to_contain_text("5")

    # when they map 47:2 to the commendations of women there, then find row 52 by
    # its code and map 52:2 the same way and 52:3 to the population by sex
    page.get_by_label("Chỉ tiêu của ô 47:2").fill("0603.01")
    page.locator("select[name='dim-47-2-SEX']").select_option("F")
    expect(page.locator("#map-47-2 .mapping-indicator-name")).to_have_text(
        "Số khen thưởng"
    )
    find.fill("52")
    page.get_by_label("Chỉ tiêu của ô 52:2").fill("0603.01")
    page.locator("select[name='dim-52-2-SEX']").select_option("F")
    page.get_by_label("Chỉ tiêu của ô 52:3").fill("0101")
    page.locator("select[name='dim-52-3-SEX']").select_option("M")
    # and choose a sex for 60:4 before its indicator
    find.fill("60")
    page.locator("select[name='dim-60-4-SEX']").select_option("T")

    # then, with no text and "mapped cells only", the three mapped cells are shown
    find.fill("")
    show.select_option("mapped")
    expect(page.locator("tr.mapping-cell:visible")).to_have_count(3)
    show.select_option("unmapped")
    expect(page.locator("tr.mapping-cell:visible")).to_have_count(317)
    show.select_option("all")

    # when they save
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu ánh xạ").click()

    # then nothing is saved; the summary at the top links to the two refused cells
    assert not CellMapping.objects.filter(form_version=version).exists()
    summary = page.locator("#mapping-error-summary")
    expect(summary.locator("a")).to_have_count(2)
    expect(summary.locator("a").nth(0)).to_have_attribute("href", "#map-52-2")
    expect(summary.locator("a").nth(1)).to_have_attribute("href", "#map-52-3")
    # and the first refused row is highlighted, brought into view with its
    # Vietnamese message and its indicator focused
    first = page.locator("#map-52-2")
    expect(first).to_have_class("mapping-cell mapping-cell--refused")
    expect(first).to_be_in_viewport()
    expect(first.locator(".mapping-error")).to_have_text(
        "Ô 52:2: ô 47:2 đã được ánh xạ vào chỉ tiêu 0603.01 với cùng giá trị phân tổ."
    )
    expect(page.get_by_label("Chỉ tiêu của ô 52:2")).to_be_focused()
    expect(page.locator("#map-52-3 .mapping-error")).to_have_text(
        "Ô 52:3: chỉ tiêu 0101 không có phân tổ SEX."
    )
    expect(page.locator("tr.mapping-cell--refused")).to_have_count(2)
    page.screenshot(path=ARTIFACTS / "indicator-mapping-long-refused-view.png")
    # and every choice made is still there, the lone sex of 60:4 included
    for name, value in (("47-2", "0603.01"), ("52-2", "0603.01"), ("52-3", "0101")):
        expect(page.locator(f"input[name='ind-{name}']")).to_have_value(value)
    for name, value in (("47-2", "F"), ("52-2", "F"), ("52-3", "M"), ("60-4", "T")):
        expect(page.locator(f"select[name='dim-{name}-SEX']")).to_have_value(value)

    # when they narrow to row 01 and then follow the summary's second link
    find.fill("01")
    expect(page.locator("#map-52-3")).to_be_hidden()
    page.evaluate("window.scrollTo(0, 0)")
    summary.locator("a").nth(1).click()

    # then the filter is cleared and that refused row is shown and focused
    expect(page.locator("#map-52-3")).to_be_in_viewport()
    expect(page.get_by_label("Chỉ tiêu của ô 52:3")).to_be_focused()
    expect(find).to_have_value("")

    # when they correct both and save
    page.get_by_label("Chỉ tiêu của ô 52:2").fill("")
    page.locator("select[name='dim-52-2-SEX']").select_option("")
    page.locator("select[name='dim-52-3-SEX']").select_option("")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu ánh xạ").click()

    # then the two good mappings are saved and no error is left on the page
    saved = CellMapping.objects.filter(form_version=version).order_by("row_code")
    assert [(m.row_code, m.column, m.dims) for m in saved] == [
        ("47", 2, {"SEX": "F"}),
        ("52", 3, {}),
    ]
    expect(page.locator("#mapping-error-summary")).to_have_count(0)
    expect(page.locator("tr.mapping-cell--refused")).to_have_count(0)
    assert page_errors == []
    assert no_inline_scripts(page) == []


def _approved(version, unit, period, revision_number, approver):
    submission = make_submission(version, unit, period, "accepted")
    revision = Revision.objects.create(
        submission=submission,
        number=revision_number,
        source="web",
        values={},
        digest=f"r{revision_number}",
    )
    return ApprovalEvent.objects.create(
        submission=submission,
        revision=revision,
        actor=approver,
        action="approve",
        from_status="awaiting_review",
        to_status="accepted",
    )


def test_analyst_sees_a_rollup_difference_and_an_observations_history(
    page, page_errors, live_server, world
):
    tree, version = world
    total = Indicator.objects.get(code="0603.01")
    reviewer = make_user(
        role="reviewer", unit=tree.district, full_name="Trần Văn Duyệt"
    )
    # given communes reporting 1.200,5 and 15, their district 1.234,5 (it should be
    # 1.215,5), and the other district agreeing with its commune
    for unit, value in (
        (tree.commune, "1200.5"),
        (tree.sibling_commune, "15"),
        (tree.other_commune, "7"),
        (tree.other_district, "7"),
    ):
        event = _approved(version, unit, "2025", 1, reviewer)
        observe(
            total,
            unit,
            "2025",
            Decimal(value),
            submission=event.submission,
            event=event,
        )
    # and the district's figure published twice: revision 1 superseded by revision 2
    first = _approved(version, tree.district, "2025", 1, reviewer)
    old = observe(
        total,
        tree.district,
        "2025",
        Decimal("1000"),
        submission=first.submission,
        event=first,
        is_current=False,
    )
    second_revision = Revision.objects.create(
        submission=first.submission, number=2, source="web", values={}, digest="r2"
    )
    second = ApprovalEvent.objects.create(
        submission=first.submission,
        revision=second_revision,
        actor=reviewer,
        action="approve",
        from_status="awaiting_review",
        to_status="accepted",
    )
    new = observe(
        total,
        tree.district,
        "2025",
        Decimal("1234.5"),
        submission=first.submission,
        event=second,
    )
    type(old).objects.filter(pk=old.pk).update(
        superseded_by=new, published_at=new.published_at - datetime.timedelta(days=2)
    )
    analyst = make_user(role="analyst", unit=tree.province)

    # when an analyst of the province asks for the district rollup differences
    log_in(page, live_server, analyst)
    page.goto(live_server.url + reverse("indicators:differences"))
    page.get_by_label("Chỉ tiêu").select_option("0603.01")
    page.get_by_label("Kỳ báo cáo").fill("2025")
    page.get_by_label("Cấp").select_option("district")
    with page.expect_navigation():
        page.get_by_role("button", name="Xem").click()

    # then only the district that differs is shown, flagged, in Vietnamese numbers
    rows = page.locator("table.data-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("td")).to_have_text(
        ["T91 – Huyện An Bình", "–", "1.234,5", "1.215,5", "2", "Có chênh lệch"]
    )
    shot(page, "indicator-differences")
    assert no_inline_scripts(page) == []

    # when they open the history of the district's figure
    page.goto(live_server.url + reverse("indicators:history"))
    page.get_by_label("Chỉ tiêu").fill("0603.01")
    page.get_by_label("Mã đơn vị").fill("T91")
    page.get_by_label("Kỳ báo cáo").fill("2025")
    with page.expect_navigation():
        page.get_by_role("button", name="Xem").click()

    # then both versions are listed, oldest first, each with its revision and
    # approver
    rows = page.locator("table.data-table tbody tr")
    expect(rows).to_have_count(2)
    first_row, second_row = rows.nth(0).locator("td"), rows.nth(1).locator("td")
    expect(first_row.nth(0)).to_have_text("1.000")
    expect(first_row.nth(1)).to_have_text("Chính thức")
    expect(first_row.nth(3)).to_have_text("Đã được thay thế")
    expect(first_row.nth(4)).to_have_text("Bản số 1")
    expect(first_row.nth(5)).to_contain_text("Trần Văn Duyệt")
    expect(second_row.nth(0)).to_have_text("1.234,5")
    expect(second_row.nth(3)).to_have_text("Hiện hành")
    expect(second_row.nth(4)).to_have_text("Bản số 2")
    expect(second_row.nth(5)).to_contain_text("Trần Văn Duyệt")
    # and no two columns share a heading
    headings = page.locator("table.data-table thead th").all_inner_texts()
    assert len(set(headings)) == len(headings), headings
    shot(page, "indicator-history")
    assert page_errors == []
    assert no_inline_scripts(page) == []
