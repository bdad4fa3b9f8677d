"""Bulk approval with a real Celery worker: the job approves the clean reports
awaiting the reviewer, skips the one with errors, and tells per report; reports that
are not the reviewer's turn never enter the job."""

import time

import pytest
from django.urls import reverse

from reporting.models import SubmissionStatus
from tests.workflow.factories import WITH_ERROR, make_desk, send_report
from workflow.bulk import (
    BulkApprovalRefused,
    bulk_approval_process,
    bulk_approval_start,
)
from workflow.models import ApprovalEvent, BulkApproval, BulkApprovalStatus

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until_finished(job_id: int, timeout: float = 60.0) -> BulkApproval:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = BulkApproval.objects.get(pk=job_id)
        if not job.is_working:
            return job
        time.sleep(0.2)
    pytest.fail(f"bulk approval {job_id} not finished after {timeout} s")


def test_bulk_job_approves_clean_reports_and_reports_each_outcome(
    celery_app, celery_worker, client
):
    # given two clean reports and one with errors awaiting the district, and a
    # report of the other district (not this reviewer's)
    desk = make_desk()
    clean = send_report(desk, desk.tree.commune, desk.reporter)
    errored = send_report(
        desk, desk.tree.sibling_commune, desk.sibling_reporter, WITH_ERROR
    )
    type(errored).objects.filter(pk=errored.pk).update(
        status=SubmissionStatus.AWAITING_REVIEW
    )
    clean_too = send_report(desk, desk.tree.commune, desk.reporter, period="2024")
    not_mine = send_report(desk, desk.tree.other_commune, desk.other_reporter)

    # when the district reviewer asks for all four through the page
    client.force_login(desk.district_reviewer)
    response = client.post(
        reverse("workflow:approve_selected"),
        {"submission": [clean.pk, errored.pk, clean_too.pk, not_mine.pk]},
    )
    job = BulkApproval.objects.get()
    assert response.url == reverse("workflow:bulk", args=[job.pk])

    # then the job holds only the reports awaiting this reviewer
    assert job.submission_ids == [clean.pk, errored.pk, clean_too.pk]
    job = wait_until_finished(job.pk)

    # and the worker approved the clean ones and skipped the errored one
    assert job.status == BulkApprovalStatus.FINISHED
    assert (job.done, job.total, job.progress_percent) == (3, 3, 100)
    outcomes = {o["submission_id"]: o for o in job.outcomes}
    assert outcomes[clean.pk]["approved"] and outcomes[clean_too.pk]["approved"]
    assert not outcomes[errored.pk]["approved"]
    assert outcomes[errored.pk]["message"]
    approved = set(
        ApprovalEvent.objects.filter(action="approve").values_list(
            "submission_id", flat=True
        )
    )
    assert approved == {clean.pk, clean_too.pk}
    not_mine.refresh_from_db()
    assert not_mine.approved_levels == []

    # and the progress endpoint shows the per-report table and stops polling
    progress = client.get(reverse("workflow:bulk_progress", args=[job.pk]))
    assert progress.status_code == 286
    html = progress.content.decode()
    assert 'id="bulk-outcomes"' in html and 'data-status="finished"' in html
    assert html.count("outcome-approved") == 2

    # when the task runs again (a retry), nothing is approved twice
    bulk_approval_process(job_id=job.pk)
    assert ApprovalEvent.objects.filter(action="approve").count() == 2

    # and another reviewer cannot see the job
    client.force_login(desk.province_reviewer)
    assert client.get(reverse("workflow:bulk", args=[job.pk])).status_code == 404


def test_a_retry_skips_reports_already_handled(celery_app):
    # given a job whose first report was handled before the worker stopped
    desk = make_desk()
    first = send_report(desk, desk.tree.commune, desk.reporter)
    second = send_report(desk, desk.tree.sibling_commune, desk.sibling_reporter)
    job = bulk_approval_start(
        acting_user=desk.district_reviewer, submission_ids=[first.pk, second.pk]
    )
    BulkApproval.objects.filter(pk=job.pk).update(
        status=BulkApprovalStatus.RUNNING,
        done=1,
        outcomes=[
            {"submission_id": first.pk, "approved": False, "status": "x", "message": ""}
        ],
    )

    # when it runs again
    job = bulk_approval_process(job_id=job.pk)

    # then only the second report is approved now
    assert [o["submission_id"] for o in job.outcomes] == [first.pk, second.pk]
    assert list(
        ApprovalEvent.objects.filter(action="approve").values_list(
            "submission_id", flat=True
        )
    ) == [second.pk]


def test_nothing_awaiting_the_reviewer_is_refused(celery_app):
    desk = make_desk()
    report = send_report(desk, desk.tree.commune, desk.reporter)
    with pytest.raises(BulkApprovalRefused):
        bulk_approval_start(
            acting_user=desk.province_reviewer, submission_ids=[report.pk]
        )
