"""A reporter sees a broken rule at the cell as they type, before saving, in a real
browser; correcting the figure takes the mark away."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reporting.models import Revision
from reporting.services import submission_open, submission_save_draft
from tests.browser import log_in
from tests.factories import make_user
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import assign, catalog_version
from validation.services import revision_validate, values_check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def report():
    tree = make_small_tree()
    version = catalog_version()
    assign(version, tree.province, first_period="2025")
    reporter = make_user(username="nhap.lieu", role="reporter", unit=tree.commune)
    submission = submission_open(
        acting_user=reporter, form_version=version, unit=tree.commune, period="2025"
    )
    url = reverse(
        "reporting:entry", args=[version.template_id, tree.commune.pk, "2025"]
    )
    return reporter, submission, url


def cell_of(page, key):
    return page.locator(f"td:has(> input[data-cell='{key}'])")


def test_an_of_which_row_above_its_parent_is_marked_while_typing(
    page, live_server, report, page_errors
):
    # given a reporter on the empty draft
    reporter, submission, url = report
    [expected] = [
        v
        for v in values_check(
            submission=submission, values={"02:2": "12", "03:2": "15"}
        )
        if v["column"] == 2
    ]
    log_in(page, live_server, reporter)
    page.goto(live_server.url + url)

    # when they type an "of which" figure (row 03) above its parent (row 02)
    page.locator("input[data-cell='02:2']").fill("12")
    page.locator("input[data-cell='03:2']").fill("15")

    # then, before any save, both cells are marked with the Vietnamese message
    for key in ("03:2", "02:2"):
        marked = cell_of(page, key)
        expect(marked).to_have_class(
            # the class list also holds the cell's own classes
            re.compile(r"\bhas-violation\b")
        )
        expect(marked.locator(".cell-violation")).to_have_text(expected["message"])
    assert "không được lớn hơn dòng 02" in expected["message"]
    expect(page.locator("#live-violation-list")).to_contain_text(expected["message"])
    assert not Revision.objects.filter(submission=submission).exists()

    # when they correct the figure
    page.locator("input[data-cell='03:2']").fill("5")

    # then the marks go away
    expect(page.locator("td.has-violation")).to_have_count(0)
    expect(page.locator(".cell-violation")).to_have_count(0)
    assert page_errors == []


def test_a_checked_revision_shows_its_result_on_the_cells(
    page, live_server, report, page_errors
):
    # given a saved revision the checks found an error in (as after a return)
    reporter, submission, url = report
    revision = submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values={"02:2": "12", "03:2": "15"},
        base_revision=0,
    ).revision
    result = revision_validate(revision=revision)
    message = next(v for v in result.violations if v["column"] == 2)["message"]

    # when the reporter opens the report
    log_in(page, live_server, reporter)
    page.goto(live_server.url + url)

    # then the cells are marked and the stored result is listed under the grid
    expect(cell_of(page, "03:2").locator(".cell-violation")).to_have_text(message)
    expect(page.locator("#stored-violations")).to_contain_text(message)
    assert page_errors == []
