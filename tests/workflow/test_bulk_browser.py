"""A province reviewer approves two reports at once in a real browser: the job page
polls (htmx) while a real Celery worker handles it, then shows each report's
outcome."""

from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from playwright.sync_api import expect

from reporting.models import SubmissionStatus
from tests.browser import log_in
from tests.workflow.factories import make_desk, send_report
from workflow.models import BulkApproval

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_reviewer_approves_two_selected_reports_and_watches_the_job(
    page, page_errors, live_server, celery_app, celery_private_queue
):
    # given two clean reports of communes awaiting the province (the chain's first
    # level) and a third one the reviewer leaves alone
    desk = make_desk(levels=("province", "national"))
    first = send_report(desk, desk.tree.commune, desk.reporter)
    second = send_report(desk, desk.tree.sibling_commune, desk.sibling_reporter)
    left = send_report(desk, desk.tree.other_commune, desk.other_reporter)
    assert {r.status for r in (first, second, left)} == {
        SubmissionStatus.AWAITING_REVIEW
    }

    # when the province reviewer ticks the first two in the queue and approves them
    log_in(page, live_server, desk.province_reviewer)
    page.locator(".site-nav a[href='/duyet/']").click()
    expect(page.locator("#review-queue tbody tr")).to_have_count(3)
    page.locator(f"#pick-{first.pk}").check()
    page.locator(f"#pick-{second.pk}").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Duyệt các báo cáo đã chọn").click()

    # then the job page shows the job waiting for a worker, polling for progress
    job = BulkApproval.objects.get()
    assert page.url.endswith(reverse("workflow:bulk", args=[job.pk]))
    expect(page.locator("h1")).to_have_text("Duyệt hàng loạt")
    status = page.locator("#bulk-status")
    expect(status).to_have_attribute("data-status", "queued")
    expect(status).to_have_attribute("hx-trigger", "every 1s")
    expect(page.locator("#bulk-counts")).to_have_text(
        "Đã xử lý 0/2 báo cáo, duyệt được 0"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "bulk-approval-queued.png", full_page=True)

    # when a worker takes the job
    with start_worker(celery_app, pool="solo", queues=(celery_private_queue,)):
        # then the page, polling on its own, ends with each report's outcome
        expect(page.locator("#bulk-status")).to_have_attribute(
            "data-status", "finished", timeout=60_000
        )
    status = page.locator("#bulk-status")
    expect(status).not_to_have_attribute("hx-trigger", "every 1s")
    expect(page.locator("#bulk-counts")).to_have_text(
        "Đã xử lý 2/2 báo cáo, duyệt được 2"
    )
    expect(status.locator("progress")).to_have_attribute("value", "100")
    outcomes = page.locator("#bulk-outcomes tbody tr")
    expect(outcomes).to_have_count(2)
    for report in (first, second):
        row = page.locator(f"#bulk-outcomes tr[data-submission='{report.pk}']")
        expect(row).to_have_class("outcome-approved")
        expect(row.locator("td").nth(0)).to_contain_text(report.org_unit.name)
        expect(row.locator("td").nth(1)).to_have_text("Đã duyệt")
        # the status says which level approved it, not just "awaiting review"
        expect(row.locator("td").nth(2)).to_contain_text("Chờ duyệt")
        expect(row.locator("td").nth(2)).to_contain_text("Tỉnh, thành phố")
    for report in (first, second):
        report.refresh_from_db()
        assert report.approved_levels == ["province"]
    left.refresh_from_db()
    assert left.approved_levels == []
    page.screenshot(path=ARTIFACTS / "bulk-approval-finished.png", full_page=True)
    assert page_errors == []
    assert page.eval_on_selector_all("script:not([src])", "nodes => nodes.length") == 0
