"""A commune reporter fills a real form in a real browser: logs in, types Vietnamese
figures, sees the totals follow, pastes a block from a spreadsheet, saves, reloads,
submits; a failed save loses nothing. On a desktop and on a phone, in Vietnamese."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from reporting.models import Receipt, Revision, Submission, SubmissionStatus
from reporting.services import submission_open, submission_save_draft
from tests.browser import log_in
from tests.factories import make_user
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import assign, catalog_version
from tests.reporting.test_values import NUMBER_TABLE

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Two rows of three figures, as Excel or LibreOffice put them on the clipboard.
PASTED_BLOCK = "1\t2\t3\r\n4\t5\t6\r\n"
# Autosave may have stored the figures before the button is pressed.
SAVED = re.compile(r"Đã lưu bản số \d+|Không có thay đổi so với bản số \d+")


@pytest.fixture
def report():
    """Form 0603 assigned to the communes of a small tree from 2024, with last
    year's report of the commune already saved."""
    tree = make_small_tree()
    version = catalog_version()
    assign(version, tree.province, first_period="2024")
    reporter = make_user(
        username="nhap.lieu",
        full_name="Phạm Thị Nhập",
        role="reporter",
        unit=tree.commune,
    )
    last_year = submission_open(
        acting_user=reporter, form_version=version, unit=tree.commune, period="2024"
    )
    submission_save_draft(
        acting_user=reporter,
        submission=last_year,
        raw_values={"02:2": "1000"},
        base_revision=0,
        today=datetime.date(2025, 1, 10),
    )
    url = reverse(
        "reporting:entry", args=[version.template_id, tree.commune.pk, "2025"]
    )
    return reporter, tree.commune, url


def cell(page, key):
    return page.locator(f"[data-cell='{key}']")


def paste(page, text):
    page.evaluate(
        """text => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            document.activeElement.dispatchEvent(new ClipboardEvent("paste", {
                clipboardData: data, bubbles: true, cancelable: true
            }));
        }""",
        text,
    )


def current_values(commune) -> dict:
    submission = Submission.objects.get(org_unit=commune, period="2025")
    return submission.current_revision.values if submission.current_revision else {}


def test_reporter_fills_saves_reloads_and_submits(
    page, page_errors, live_server, report
):
    ARTIFACTS.mkdir(exist_ok=True)
    reporter, commune, url = report
    page.set_viewport_size(DESKTOP)

    # given the reporter logs in through the login page and opens the report
    log_in(page, live_server, reporter)
    page.goto(live_server.url + url)

    # then the page is in Vietnamese throughout
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("button", name="Lưu bản nháp")).to_be_visible()
    expect(page.get_by_role("button", name="Nộp báo cáo")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Chỉ tiêu")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Mã số")).to_be_visible()
    expect(page.locator(".entry-facts")).to_contain_text("Năm 2025")
    expect(page.locator(".entry-facts")).to_contain_text("Bản nháp")

    # when they type Vietnamese figures, moving with Enter and Tab as in Excel
    cell(page, "02:2").click()
    page.keyboard.type("1.234")
    page.keyboard.press("Enter")
    expect(cell(page, "03:2")).to_be_focused()
    page.keyboard.type("56")
    page.keyboard.press("Enter")
    expect(cell(page, "04:2")).to_be_focused()
    page.keyboard.type("10")
    page.keyboard.press("Tab")
    expect(cell(page, "04:3")).to_be_focused()
    page.keyboard.type("2,0")
    page.keyboard.press("ArrowUp")
    expect(cell(page, "03:3")).to_be_focused()

    # then the totals follow while they type, shown the Vietnamese way
    expect(cell(page, "02:2")).to_have_value("1.234")
    expect(cell(page, "04:3")).to_have_value("2")
    expect(cell(page, "02:1")).to_have_text("1.234")
    expect(cell(page, "01:2")).to_have_text("1.244")
    expect(cell(page, "01:1")).to_have_text("1.246")

    # when a figure with decimals goes into a column of whole numbers
    cell(page, "05:2").fill("1,5")
    page.keyboard.press("Tab")
    # then the cell says so in Vietnamese, and is marked for assistive technology
    expect(cell(page, "05:2")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#cell-05-2-error")).to_contain_text("chỉ nhận số nguyên")
    page.screenshot(path=ARTIFACTS / "entry-cell-error.png", full_page=True)
    cell(page, "05:2").fill("5")
    page.keyboard.press("Tab")
    expect(cell(page, "05:2")).not_to_have_attribute("aria-invalid", "true")
    expect(cell(page, "01:2")).to_have_text("1.249")

    # when they paste a block copied from a spreadsheet into row 06, column 2
    cell(page, "06:2").click()
    paste(page, PASTED_BLOCK)
    # then it fills three columns of two rows, and the totals follow
    expect(cell(page, "06:4")).to_have_value("3")
    expect(cell(page, "07:2")).to_have_value("4")
    expect(cell(page, "07:4")).to_have_value("6")
    expect(cell(page, "06:1")).to_have_text("6")
    expect(cell(page, "07:1")).to_have_text("15")
    expect(page.locator("#entry-status")).to_contain_text("Đã dán 6 ô")

    # when they add a comment to a cell
    cell(page, "02:2").click()
    page.keyboard.press("Shift+F2")
    expect(page.locator("#note-editor")).to_be_visible()
    expect(page.locator("#note-label")).to_have_text("Ghi chú dòng 02, cột 2")
    page.locator("#note-text").fill("Gồm cả khen thưởng đột xuất")
    page.get_by_role("button", name="Hoàn tất").click()
    expect(cell(page, "02:2")).to_be_focused()

    # and look at last year's figures beside the cells
    page.get_by_role("button", name="Xem số kỳ trước").click()
    expect(page.locator("#entry-grid")).to_have_class(re.compile(r"\bshow-prior\b"))
    expect(cell(page, "02:2").locator("xpath=..").locator(".prior")).to_contain_text(
        "1.000"
    )
    page.screenshot(path=ARTIFACTS / "entry-desktop.png", full_page=True)

    # when they save
    page.get_by_role("button", name="Lưu bản nháp").click()
    expect(page.locator("#entry-status")).to_have_text(SAVED)

    # then the server holds exactly what they typed, and its own totals
    values = current_values(commune)
    assert values["02:2"] == "1234"
    assert values["04:3"] == "2"
    assert values["07:4"] == "6"
    assert values["01:1"] == "1251"
    assert Submission.objects.get(
        org_unit=commune, period="2025"
    ).current_revision.comments == {"02:2": "Gồm cả khen thưởng đột xuất"}

    # and after a reload they see it all again
    page.reload()
    expect(cell(page, "02:2")).to_have_value("1.234")
    expect(cell(page, "07:4")).to_have_value("6")
    expect(cell(page, "01:1")).to_have_text("1.251")
    expect(cell(page, "02:2").locator("xpath=..")).to_have_class(
        re.compile(r"\bhas-comment\b")
    )
    expect(page.locator("#restored-notice")).to_be_hidden()

    # on a phone the grid scrolls sideways while the row labels stay
    page.set_viewport_size(PHONE)
    page.reload()
    fits = page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"
    )
    assert fits
    scroller = page.locator("#entry-scroll")
    scroller.scroll_into_view_if_needed()
    scroller.evaluate("box => { box.scrollLeft = 400; }")
    label = page.locator("th.row-label").first
    box = label.bounding_box()
    assert box["x"] <= 20
    expect(label).to_be_in_viewport()
    page.screenshot(path=ARTIFACTS / "entry-phone.png", full_page=False)
    scroller.evaluate("box => { box.scrollLeft = 0; }")
    page.screenshot(path=ARTIFACTS / "entry-phone-full.png", full_page=True)

    # when they submit, confirming first
    page.get_by_role("button", name="Nộp báo cáo").click()
    expect(page.locator("#submit-confirm")).to_be_visible()
    page.get_by_role("button", name="Nộp ngay").click()

    # then they get the receipt number, and the form no longer takes input
    receipt = page.locator("#submit-result")
    expect(receipt).to_contain_text("Đã nộp báo cáo. Số biên nhận BN")
    number = Receipt.objects.get().number
    expect(receipt).to_contain_text(number)
    submission = Submission.objects.get(org_unit=commune, period="2025")
    assert submission.status == SubmissionStatus.SUBMITTED
    expect(cell(page, "02:2")).not_to_be_editable()
    page.screenshot(path=ARTIFACTS / "entry-submitted-phone.png", full_page=True)

    page.set_viewport_size(DESKTOP)
    page.reload()
    expect(page.locator("#receipt-notice")).to_contain_text(number)
    expect(page.locator("input[data-cell]")).to_have_count(0)
    page.screenshot(path=ARTIFACTS / "entry-submitted.png", full_page=True)

    # and nothing on the way broke the Content-Security-Policy or a script
    assert page_errors == []


def test_a_failed_save_keeps_what_was_typed_and_brings_it_back_after_reload(
    page, page_errors, live_server, report
):
    ARTIFACTS.mkdir(exist_ok=True)
    reporter, commune, url = report
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, reporter)
    page.goto(live_server.url + url)

    # given the connection drops whenever the page tries to save
    page.route("**/luu/", lambda route: route.abort("internetdisconnected"))

    # when the reporter types and saves
    cell(page, "02:2").fill("77")
    cell(page, "04:2").fill("1.500")
    page.get_by_role("button", name="Lưu bản nháp").click()

    # then they are told, and the figures stay on the page
    expect(page.locator("#entry-status")).to_contain_text("Không kết nối được máy chủ")
    expect(cell(page, "02:2")).to_have_value("77")
    expect(cell(page, "01:2")).to_have_text("1.577")
    assert not Revision.objects.filter(submission__period="2025").exists()
    page.screenshot(path=ARTIFACTS / "entry-offline.png", full_page=True)

    # when they reload the page while still offline for saving
    page.reload()

    # then the figures come back, and the page says where from
    expect(page.locator("#restored-notice")).to_be_visible()
    expect(page.locator("#restored-text")).to_contain_text("chưa được lưu")
    expect(cell(page, "02:2")).to_have_value("77")
    expect(cell(page, "04:2")).to_have_value("1.500")
    expect(cell(page, "01:2")).to_have_text("1.577")
    page.screenshot(path=ARTIFACTS / "entry-restored.png", full_page=True)

    # when the connection is back and they save
    page.unroute("**/luu/")
    page.get_by_role("button", name="Lưu ngay").click()
    expect(page.locator("#entry-status")).to_contain_text("Đã lưu bản số 1")
    assert current_values(commune)["04:2"] == "1500"

    # then a reload shows the saved figures and nothing to restore
    page.reload()
    expect(cell(page, "02:2")).to_have_value("77")
    expect(page.locator("#restored-notice")).to_be_hidden()

    # the only console errors are the refused requests themselves
    assert all("net::ERR_INTERNET_DISCONNECTED" in e for e in page_errors), page_errors


def test_a_conflict_shows_both_versions_and_keeping_mine_saves_on_top(
    page, page_errors, live_server, report
):
    reporter, commune, url = report
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, reporter)
    page.goto(live_server.url + url)

    # given a colleague saves the report after the page was opened
    colleague = make_user(role="reporter", unit=commune, full_name="Đỗ Văn Hai")
    submission_save_draft(
        acting_user=colleague,
        submission=Submission.objects.get(org_unit=commune, period="2025"),
        raw_values={"02:2": "300"},
        base_revision=0,
    )

    # when the reporter saves their own figure
    cell(page, "02:2").fill("400")
    page.get_by_role("button", name="Lưu bản nháp").click()

    # then both versions of the cell are shown side by side
    table = page.locator("#conflict-table")
    expect(table).to_be_visible()
    row = table.locator("tr[data-cell='02:2']")
    expect(row.locator(".conflict-theirs")).to_have_text("300")
    expect(row.locator(".conflict-mine")).to_have_text("400")
    expect(page.locator("#conflict-panel")).to_contain_text("Đỗ Văn Hai")
    page.screenshot(path=ARTIFACTS / "entry-conflict.png", full_page=True)

    # when they keep theirs... their own, and save it on top of the colleague's
    page.get_by_role("button", name="Giữ bản của tôi và lưu đè lên").click()
    expect(page.locator("#entry-status")).to_contain_text("Đã lưu bản số 2")
    expect(page.locator("#conflict-panel")).to_be_hidden()
    assert current_values(commune)["02:2"] == "400"
    # the browser logs the 409 answer itself; nothing else went wrong
    assert [e for e in page_errors if "409 (Conflict)" not in e] == []


def test_the_page_reads_numbers_as_the_server_does(page, live_server, report):
    reporter, _commune, url = report
    log_in(page, live_server, reporter)
    page.goto(live_server.url + url)
    results = page.evaluate(
        """rows => rows.map(([typed, type]) => window.entryGrid.read(typed, type))""",
        [[typed, data_type] for typed, data_type, _expected in NUMBER_TABLE],
    )
    for (typed, _data_type, expected), result in zip(
        NUMBER_TABLE, results, strict=True
    ):
        if expected is None:
            assert result == {"value": None, "code": ""}, typed
        elif expected[0].isalpha():
            assert result["code"] == expected, typed
        else:
            assert Decimal(result["value"]) == Decimal(expected), typed
    shown = page.evaluate(
        """values => values.map(v => window.entryGrid.display(v))""",
        ["0", "1000", "1234.5", "-1234567", "0.25", "1.0000005", "-0.0000001"],
    )
    assert shown == ["0", "1.000", "1.234,5", "-1.234.567", "0,25", "1,000001", "0"]


def test_refusals_are_listed_by_cell_and_taking_theirs_replaces_mine(
    page, page_errors, live_server, report
):
    reporter, commune, url = report
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, reporter)
    page.goto(live_server.url + url)

    # arrows leave a cell only when the cursor is at its edge
    cell(page, "02:2").click()
    page.keyboard.press("ArrowRight")
    expect(cell(page, "02:3")).to_be_focused()
    page.keyboard.type("12")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(cell(page, "02:3")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(cell(page, "02:2")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(cell(page, "03:2")).to_be_focused()
    page.keyboard.press("Escape")

    # when a figure the server refuses is saved
    cell(page, "04:2").fill("abc")
    page.get_by_role("button", name="Lưu bản nháp").click()

    # then the refusal is listed by cell above the grid, and leads to the cell
    summary = page.locator("#problem-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Có 1 ô cần sửa.")
    expect(summary).to_contain_text("Dòng 04, cột 2: 'abc' không phải là số.")
    expect(cell(page, "04:2")).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=ARTIFACTS / "entry-refused.png", full_page=True)
    summary.get_by_role("link").click()
    expect(cell(page, "04:2")).to_be_focused()
    assert not Revision.objects.filter(submission__period="2025").exists()

    page.keyboard.press("Control+a")
    page.keyboard.type("4")
    page.get_by_role("button", name="Lưu bản nháp").click()
    expect(page.locator("#entry-status")).to_have_text(SAVED)
    expect(summary).to_be_hidden()

    # when a colleague saves on top, and the reporter saves again
    colleague = make_user(role="reporter", unit=commune)
    submission_save_draft(
        acting_user=colleague,
        submission=Submission.objects.get(org_unit=commune, period="2025"),
        raw_values={"02:2": "999", "02:3": "12"},
        base_revision=1,
    )
    cell(page, "02:2").fill("5")
    page.get_by_role("button", name="Lưu bản nháp").click()
    expect(page.locator("#conflict-table")).to_be_visible()

    # and takes the colleague's version
    page.get_by_role("link", name="Dùng bản của người kia").click()

    # then the form shows their figures, and saving builds on their revision
    expect(cell(page, "02:2")).to_have_value("999")
    expect(cell(page, "04:2")).to_have_value("")
    expect(cell(page, "01:2")).to_have_text("999")
    expect(page.locator("#entry-status")).to_contain_text("Đang hiển thị bản số 2")
    cell(page, "05:2").fill("1")
    page.get_by_role("button", name="Lưu bản nháp").click()
    expect(page.locator("#entry-status")).to_contain_text("Đã lưu bản số 3")
    assert current_values(commune)["02:2"] == "999"
    assert [
        e for e in page_errors if "400 (Bad Request)" not in e and "409" not in e
    ] == []
