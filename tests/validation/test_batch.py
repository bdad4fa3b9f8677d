"""National batch runs: every current report of a period is checked in chunks, the
violations land in a CSV, and a real Celery worker runs it after the commit."""

import csv
import datetime
import io
import time

import pytest
from django.urls import reverse

from reporting.services import submission_open, submission_save_draft
from tests.factories import make_user
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import assign, catalog_version
from validation import batch as batch_module
from validation.batch import (
    safe_cell,
    validation_batch_create,
    validation_batch_run,
)
from validation.models import BatchStatus, ValidationBatch

DAY = datetime.date(2026, 3, 1)
CLEAN = {
    "02:2": "120",
    "03:2": "15",
    "04:2": "30",
    "05:2": "12",
    "06:2": "2",
    "07:2": "10",
    "11:2": "100",
}
SEEDED = {**CLEAN, "03:2": "150"}  # an "of which" row above its parent: 2 errors


def reports(tree, values_by_unit):
    version = catalog_version()
    assign(version, tree.province, first_period="2025")
    for unit, values in values_by_unit:
        reporter = make_user(role="reporter", unit=unit)
        submission = submission_open(
            acting_user=reporter, form_version=version, unit=unit, period="2025"
        )
        submission_save_draft(
            acting_user=reporter,
            submission=submission,
            raw_values=values,
            base_revision=0,
            today=DAY,
        )
    return version


def rows_of(batch):
    with batch.result.open("rb") as stored:
        text = stored.read().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.django_db
def test_a_batch_checks_every_report_in_chunks_and_writes_the_csv(monkeypatch):
    # given three commune reports of 2025, one with a seeded error
    tree = make_small_tree()
    version = reports(
        tree,
        [
            (tree.commune, SEEDED),
            (tree.sibling_commune, CLEAN),
            (tree.other_commune, CLEAN),
        ],
    )
    analyst = make_user(role="analyst", unit=tree.province)
    monkeypatch.setattr(batch_module, "CHUNK_SIZE", 2)

    # when an analyst runs a batch of 2025 for that form (the service, directly)
    batch = validation_batch_create(
        acting_user=analyst, period="2025", template=version.template
    )
    batch = validation_batch_run(batch_id=batch.pk)

    # then every report is counted, and the errors are in the CSV with their unit
    assert batch.status == BatchStatus.DONE
    assert (batch.progress_done, batch.progress_total) == (3, 3)
    assert (batch.reports_with_violations, batch.errors, batch.warnings) == (1, 2, 0)
    rows = rows_of(batch)
    assert rows[0][:4] == ["unit_code", "unit_name", "form", "period"]
    assert {tuple(row[:6]) for row in rows[1:]} == {
        ("T9001", "Xã An Hòa", version.template.code, "2025", "TD03", "error")
    }
    assert len(rows) == 3

    # when it runs again (a redelivered task), nothing changes
    again = validation_batch_run(batch_id=batch.pk)
    assert (again.progress_done, again.errors, again.result.name) == (
        3,
        2,
        batch.result.name,
    )


@pytest.mark.django_db
def test_a_batch_of_a_period_without_reports_finishes_empty():
    batch = validation_batch_create(acting_user=None, period="2031")
    batch = validation_batch_run(batch_id=batch.pk)
    assert batch.status == BatchStatus.DONE
    assert batch.progress_total == 0
    assert len(rows_of(batch)) == 1


def test_text_cells_cannot_become_spreadsheet_formulas():
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("+1+2") == "'+1+2"
    assert safe_cell("-12.5") == "-12.5"
    assert safe_cell("Xã An Hòa") == "Xã An Hòa"
    assert safe_cell(None) == ""


@pytest.mark.django_db
def test_only_analysts_designers_and_superusers_reach_the_batch_pages(client):
    tree = make_small_tree()
    reporter = make_user(role="reporter", unit=tree.commune)
    client.force_login(reporter)
    assert client.get(reverse("validation_batch:list")).status_code == 403
    assert (
        client.post(reverse("validation_batch:list"), {"period": "2025"}).status_code
        == 403
    )
    assert not ValidationBatch.objects.exists()

    analyst = make_user(role="analyst", unit=tree.province)
    client.force_login(analyst)
    assert client.get(reverse("validation_batch:list")).status_code == 200
    response = client.post(reverse("validation_batch:list"), {"period": "2025M13"})
    assert response.status_code == 302
    assert not ValidationBatch.objects.exists()


@pytest.mark.django_db
def test_the_page_shows_progress_then_the_result(client):
    # given a finished batch
    tree = make_small_tree()
    reports(tree, [(tree.commune, SEEDED)])
    designer = make_user(role="designer", unit=tree.national)
    client.force_login(designer)
    response = client.post(reverse("validation_batch:list"), {"period": "2025"})
    batch = ValidationBatch.objects.get()
    assert response.url == reverse("validation_batch:detail", args=[batch.pk])
    page = client.get(response.url).content.decode()
    assert 'hx-trigger="every 1s"' in page

    validation_batch_run(batch_id=batch.pk)

    # then polling stops and the CSV downloads
    progress = client.get(reverse("validation_batch:progress", args=[batch.pk]))
    assert progress.status_code == 286
    assert 'id="batch-errors">2<' in progress.content.decode()
    download = client.get(reverse("validation_batch:download", args=[batch.pk]))
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "T9001" in body and "TD03" in body


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_batch_after_the_commit(celery_worker):
    # given two reports, one with a seeded error
    tree = make_small_tree()
    reports(tree, [(tree.commune, SEEDED), (tree.sibling_commune, CLEAN)])
    analyst = make_user(role="analyst", unit=tree.province)

    # when a batch is started
    batch = validation_batch_create(acting_user=analyst, period="2025")

    # then the worker finishes it
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        batch.refresh_from_db()
        if not batch.is_working:
            break
        time.sleep(0.2)
    assert batch.status == BatchStatus.DONE, batch.failure
    assert (batch.progress_done, batch.errors) == (2, 2)
    assert len(rows_of(batch)) == 3


@pytest.mark.django_db
def test_administrators_set_outlier_thresholds_per_form(client):
    from django.urls import reverse

    from tests.factories import make_user
    from tests.reporting.factories import catalog_version

    version = catalog_version()
    client.force_login(make_user(is_superuser=True, is_staff=True))
    response = client.post(
        reverse("admin:validation_outlierpolicy_add"),
        {
            "template": version.template_id,
            "z_score": "2.5",
            "modified_z_score": "3.5",
            "history_periods": 6,
        },
    )
    assert response.status_code == 302
    assert version.template.outlier_policy.z_score == 2.5
