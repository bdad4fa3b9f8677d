"""The upload wizard end to end with a real Celery worker reading and committing."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.urls import reverse

from imports.models import ImportJob, ImportJobStatus
from imports.tasks import import_job_parse_task
from reporting.models import Revision
from tests.imports.factories import fill, report_setup, template_bytes


def wait_for(job_id, statuses, timeout=60.0) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(pk=job_id)
        if job.status in statuses:
            return job
        time.sleep(0.2)
    pytest.fail(f"upload {job_id} still {job.status} after {timeout} s")


@pytest.mark.django_db(transaction=True)
def test_the_worker_reads_then_commits_an_upload(client, celery_worker):
    # given a reporter signed in and a filled template
    setup = report_setup()
    client.force_login(setup.reporter)
    data = fill(template_bytes(setup.version, setup.unit), {"E13": 5, "F13": 6})
    url = reverse("imports:upload")
    client.get(url)

    # when the file is uploaded (the request only stores it and queues its reading)
    response = client.post(
        url,
        {
            "upload_wizard-current_step": "upload",
            "upload-file": SimpleUploadedFile("bao-cao.xlsx", data),
        },
    )
    assert response.status_code == 200
    job = ImportJob.objects.get()
    assert client.session["wizard_upload_wizard"]["extra_data"] == {"job_id": job.pk}

    # then the worker reads it and the polled progress shows the dry run
    job = wait_for(job.pk, {ImportJobStatus.PREVIEW, ImportJobStatus.REFUSED})
    assert job.status == ImportJobStatus.PREVIEW, job.summary
    progress = client.get(reverse("imports:progress", args=[job.pk]))
    assert progress.status_code == 286
    assert b"cell-created" in progress.content
    assert not Revision.objects.exists()

    # when the upload is confirmed, the worker commits it
    response = client.post(url, {"upload_wizard-current_step": "preview"})
    assert response.status_code == 302
    job = wait_for(job.pk, {ImportJobStatus.DONE, ImportJobStatus.FAILED})
    assert job.status == ImportJobStatus.DONE
    assert job.summary["counts"]["created"] == 2
    revision = Revision.objects.get()
    assert (revision.source, revision.values["02:2"]) == ("excel", "5")


def test_the_tasks_retry_database_outages_only(monkeypatch):
    assert OperationalError in import_job_parse_task.autoretry_for
    assert import_job_parse_task.soft_time_limit
    assert import_job_parse_task.time_limit > import_job_parse_task.soft_time_limit
