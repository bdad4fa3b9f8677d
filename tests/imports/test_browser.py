"""A reporter in a real browser: uploads a filled template with a bad cell, sees the
cell highlighted in the preview, fixes the file, uploads it again and imports it.
A real Celery worker reads and commits; the page polls its progress."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reporting.models import Revision
from tests.factories import PASSWORD
from tests.imports.factories import fill, report_setup, template_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_preview_fix_and_import(
    page, page_errors, live_server, celery_worker, tmp_path
):
    # given a reporter of a commune and a template with a word in a number cell
    setup = report_setup()
    blank = template_bytes(setup.version, setup.unit)
    bad = tmp_path / "bao-cao-loi.xlsx"
    bad.write_bytes(fill(blank, {"E13": "mười hai", "F13": 3}))
    good = tmp_path / "bao-cao.xlsx"
    good.write_bytes(fill(blank, {"E13": 12, "F13": 3}))

    page.goto(live_server.url + reverse("login"))
    page.locator("input[name=username]").fill(setup.reporter.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()

    # when the bad file is uploaded
    page.goto(live_server.url + reverse("imports:upload"))
    page.set_input_files("#id_upload-file", str(bad))
    page.locator("#upload-form button[type=submit]").click()

    # then the preview, polled while the worker reads, highlights the bad cell
    rejected = page.locator("td.cell-rejected[data-address=E13]")
    expect(rejected).to_be_visible(timeout=30_000)
    expect(rejected).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#conflicts")).to_contain_text("E13")
    expect(page.locator("td.cell-created[data-address=F13]")).to_be_visible()
    assert not Revision.objects.exists()

    # when the fixed file is uploaded and the import confirmed
    page.goto(live_server.url + reverse("imports:upload"))
    page.set_input_files("#id_upload-file", str(good))
    page.locator("#upload-form button[type=submit]").click()
    expect(page.locator("td.cell-created[data-address=E13]")).to_be_visible(
        timeout=30_000
    )
    expect(page.locator("td.cell-rejected")).to_have_count(0)
    page.locator("#confirm-import").click()

    # then the upload's page shows the import done
    expect(page.locator("#summary-counts [data-count=created]")).to_have_text(
        "2", timeout=30_000
    )
    expect(page.locator("#summary-status")).to_have_attribute("data-status", "done")
    revision = Revision.objects.get()
    assert (revision.source, revision.values["02:2"], revision.values["02:3"]) == (
        "excel",
        "12",
        "3",
    )
    assert page_errors == []
