"""A reviewer returns a report with a cell comment in a real browser, and the
reporter sees the reason and the comment on that cell of the entry page."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reporting.models import SubmissionStatus
from tests.browser import log_in
from tests.workflow.factories import make_desk, send_report
from workflow.models import CellComment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Số khen thưởng chưa khớp với sổ theo dõi"
COMMENT = "Tổng số khen thưởng cao bất thường so với năm trước"


def log_out(page):
    with page.expect_navigation():
        page.locator(".site-nav form.inline-form button[type='submit']").click()


def test_reviewer_returns_with_a_cell_comment_and_the_reporter_sees_it(
    page, page_errors, live_server, celery_app
):
    desk = make_desk()
    report = send_report(desk, desk.tree.commune, desk.reporter)

    # given the district reviewer logs in and opens the queue from the navigation
    log_in(page, live_server, desk.district_reviewer)
    page.locator(".site-nav a[href='/duyet/']").click()
    queue_row = page.locator(f"#review-queue tr[data-submission='{report.pk}']")
    expect(queue_row).to_contain_text(desk.tree.commune.name)

    # when they open the report, click a cell and write a comment and a reason
    with page.expect_navigation():
        queue_row.locator("a").click()
    page.locator("#review-grid td[data-cell='02:2']").click()
    expect(page.locator("#comment-editor")).to_be_visible()
    page.locator("#comment-text").fill(COMMENT)
    page.locator("#comment-done").click()
    expect(
        page.locator("#review-grid td[data-cell='02:2'] .pending-comment")
    ).to_have_text(COMMENT)
    expect(page.locator("#pending-comments")).to_contain_text(COMMENT)
    page.locator("#return-reason").fill(REASON)
    with page.expect_navigation():
        page.locator("#return-button").click()

    # then the report is returned with the comment on that cell
    report.refresh_from_db()
    assert report.status == SubmissionStatus.RETURNED
    assert list(CellComment.objects.values_list("cell", "text")) == [("02:2", COMMENT)]

    # when the reporter logs in and opens the entry page
    log_out(page)
    log_in(page, live_server, desk.reporter)
    page.goto(
        live_server.url
        + reverse(
            "reporting:entry",
            args=[report.template_id, report.org_unit_id, report.period],
        )
    )

    # then the reason is shown, and the comment on the cell and in the list
    expect(page.locator("#review-return-reason")).to_have_text(REASON)
    cell = page.locator("td:has(input[data-cell='02:2'])")
    expect(cell.locator(".review-marker")).to_have_attribute("title", COMMENT)
    expect(cell.locator(".review-comment-text")).to_contain_text(COMMENT)
    expect(page.locator("#review-comment-list")).to_contain_text(COMMENT)
    # and the cell can still be corrected
    expect(page.locator("input[data-cell='02:2']")).to_be_editable()
    assert page_errors == []
