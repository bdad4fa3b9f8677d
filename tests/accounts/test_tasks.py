"""The import task: end to end through the admin and a real Celery worker, and its
retry policy."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.urls import reverse

from accounts.models import UserImportJob, UserImportStatus
from accounts.roles import Role
from accounts.tasks import run_user_import
from orgunits.selectors import user_has_role
from orgunits.services import org_levels_ensure, org_unit_create
from tests.accounts.factories import ENGLISH_HEADER, account_row, csv_bytes
from tests.factories import make_user

User = get_user_model()


def build_small_tree():
    """Return a province with two communes.

    A transactional test may start empty (after another one flushed the database) or
    with the session's units still there: the codes here exist in neither case.
    """
    levels = org_levels_ensure()
    country = org_unit_create(
        acting_user=None,
        code="T-VN",
        name="Việt Nam",
        level=levels["national"],
        parent=None,
    )
    province = org_unit_create(
        acting_user=None,
        code="T-01",
        name="Thành phố Hà Nội",
        level=levels["province"],
        parent=country,
    )
    communes = [
        org_unit_create(
            acting_user=None,
            code=code,
            name=name,
            level=levels["commune"],
            parent=province,
        )
        for code, name in (("T-00004", "Phường Ba Đình"), ("T-00008", "Phường Ngọc Hà"))
    ]
    return province, communes


def wait_until_finished(job_id, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = UserImportJob.objects.get(pk=job_id)
        if job.is_finished:
            return job
        time.sleep(0.2)
    pytest.fail(f"import {job_id} still {job.status} after {timeout} s")


@pytest.mark.django_db(transaction=True)
def test_an_uploaded_list_is_imported_by_the_worker(client, celery_worker):
    # Given a small tree and a staff superuser signed in to the admin
    province, (ba_dinh, ngoc_ha) = build_small_tree()
    root = make_user(is_superuser=True, is_staff=True)
    client.force_login(root)
    data = csv_bytes(
        [
            ENGLISH_HEADER,
            account_row("ba_dinh_lap", "T-00004", "reporter"),
            account_row("ngoc_ha_duyet", "T-00008", "reviewer"),
            account_row("ha_noi_quan_tri", "T-01", "administrator"),
        ]
    )

    # When the list is uploaded (the request commits, then the task is queued)
    response = client.post(
        reverse("admin:accounts_userimportjob_upload"),
        {"file": SimpleUploadedFile("ds.csv", data, content_type="text/csv")},
    )
    assert response.status_code == 302
    job = UserImportJob.objects.get()

    # Then the real worker creates the accounts
    job = wait_until_finished(job.pk)
    assert job.status == UserImportStatus.DONE, job.problems
    assert (job.row_count, job.created_count) == (3, 3)
    assert user_has_role(
        User.objects.get(username="ba_dinh_lap"), Role.REPORTER, ba_dinh
    )
    assert user_has_role(
        User.objects.get(username="ngoc_ha_duyet"), Role.REVIEWER, ngoc_ha
    )
    admin = User.objects.get(username="ha_noi_quan_tri")
    assert user_has_role(admin, Role.ADMINISTRATOR, province)
    assert user_has_role(admin, Role.ADMINISTRATOR, ba_dinh)
    # And each new account was sent its password link
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ba_dinh_lap@example.vn",
        "ha_noi_quan_tri@example.vn",
        "ngoc_ha_duyet@example.vn",
    ]
    assert all("http://testserver/tai-khoan/dat-lai/" in m.body for m in mail.outbox)

    # And the job page shows the result
    page = client.get(reverse("admin:accounts_userimportjob_change", args=[job.pk]))
    assert page.status_code == 200


def test_the_task_retries_database_outages_only(monkeypatch):
    calls = []

    def unavailable(*, job_id):
        calls.append(job_id)
        raise OperationalError("server closed the connection")

    monkeypatch.setattr("accounts.tasks.user_import_job_run", unavailable)

    result = run_user_import.apply(args=[7])

    assert result.failed()
    assert isinstance(result.result, OperationalError)
    assert calls == [7] * (run_user_import.max_retries + 1)


def test_the_task_does_not_retry_other_errors(monkeypatch):
    calls = []

    def broken(*, job_id):
        calls.append(job_id)
        raise ValueError("bad")

    monkeypatch.setattr("accounts.tasks.user_import_job_run", broken)

    result = run_user_import.apply(args=[7])

    assert result.failed()
    assert calls == [7]


def test_the_task_is_acknowledged_late():
    assert run_user_import.acks_late is True
