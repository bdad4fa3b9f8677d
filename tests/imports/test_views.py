"""The upload pages through the test client: wizard, summary, downloads, export."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from imports.models import ImportJob
from imports.services import import_job_parse
from reporting.services import submission_open, submission_save_draft
from tests.factories import make_user
from tests.imports.factories import PERIOD, fill, report_setup, template_bytes, upload

pytestmark = pytest.mark.django_db


def test_upload_step_stores_the_file_and_keeps_only_ids(client):
    setup = report_setup()
    client.force_login(setup.reporter)
    url = reverse("imports:upload")
    assert client.get(url).status_code == 200
    data = fill(template_bytes(setup.version, setup.unit), {"E13": "abc"})
    response = client.post(
        url,
        {
            "upload_wizard-current_step": "upload",
            "upload-file": SimpleUploadedFile("bao-cao.xlsx", data),
        },
    )
    assert response.status_code == 200
    job = ImportJob.objects.get()
    stored = client.session["wizard_upload_wizard"]
    assert stored["extra_data"] == {"job_id": job.pk}
    assert not any(stored["step_files"].values())
    assert "hx-get" in response.content.decode()

    job = import_job_parse(job_id=job.pk)
    page = client.get(reverse("imports:job", args=[job.pk]))
    body = page.content.decode()
    assert 'class="cell cell-rejected"' in body
    assert "E13" in body


def test_a_file_over_the_limit_is_refused_by_the_form(client, settings):
    setup = report_setup()
    client.force_login(setup.reporter)
    url = reverse("imports:upload")
    client.get(url)
    big = SimpleUploadedFile("big.xlsx", b"PK\x03\x04" + b"0" * (20 * 2**20 + 1))
    response = client.post(
        url, {"upload_wizard-current_step": "upload", "upload-file": big}
    )
    assert response.status_code == 200
    assert not ImportJob.objects.exists()
    assert "20 MB" in response.content.decode()


def test_only_reporters_upload(client):
    client.force_login(make_user())
    assert client.get(reverse("imports:upload")).status_code == 403


def test_summary_downloads_and_the_original_file(client):
    setup = report_setup()
    data = fill(template_bytes(setup.version, setup.unit), {"E13": "=1+1", "F13": 4})
    job = upload(setup.reporter, data)
    client.force_login(setup.reporter)

    summary = json.loads(
        client.get(reverse("imports:summary_json", args=[job.pk])).content
    )
    assert summary["conflicts"][0]["cell"] == "E13"
    csv_text = client.get(
        reverse("imports:summary_csv", args=[job.pk])
    ).content.decode()
    assert "formula_without_value" in csv_text.splitlines()[1]
    original = client.get(reverse("imports:file", args=[job.pk]))
    assert b"".join(original.streaming_content) == data

    # and nobody else sees them
    client.force_login(make_user(role="reporter", unit=setup.unit))
    assert client.get(reverse("imports:job", args=[job.pk])).status_code == 404


def test_a_report_downloads_in_its_template_layout(client):
    setup = report_setup()
    submission = submission_open(
        acting_user=setup.reporter,
        form_version=setup.version,
        unit=setup.unit,
        period=PERIOD,
    )
    submission_save_draft(
        acting_user=setup.reporter,
        submission=submission,
        raw_values={"02:2": "12"},
        base_revision=0,
    )
    client.force_login(setup.reporter)
    response = client.get(reverse("imports:submission_xlsx", args=[submission.pk]))
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet["E13"].value == 12

    template = client.get(
        reverse("imports:template"),
        {"form": setup.version.template.pk, "unit": setup.unit.pk, "period": PERIOD},
    )
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(template.content)).worksheets[0]["E13"].value == 12
