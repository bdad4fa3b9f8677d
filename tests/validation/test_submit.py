"""The submit path with a real Celery worker on the real Redis broker: the submitted
revision is checked, errors send the report back with a notification, otherwise it
awaits review (warnings wait for explanations); results are stored with the revision.

Transactional: the worker reads what the submission committed. The database may start
empty here, so the units come from make_small_tree and the form from the catalog.
"""

import datetime
import time

import pytest

from reporting.models import Notification, Submission, SubmissionStatus
from reporting.services import (
    submission_open,
    submission_save_draft,
)
from tests.factories import make_user
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import assign, catalog_version
from validation.models import ValidationResult, ValidationRule
from validation.selectors import violation_cell_key
from validation.services import unexplained_warnings, warning_explain
from workflow.models import ApprovalEvent
from workflow.services import submission_submit, submission_validation_record

DAY = datetime.date(2026, 3, 1)
CLEAN = {"02:2": "120", "03:2": "15", "04:2": "30", "11:2": "150"}
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def draft():
    tree = make_small_tree()
    version = catalog_version()
    assign(version, tree.province, first_period="2025")
    reporter = make_user(role="reporter", unit=tree.commune, full_name="Lê Thị Hoa")
    submission = submission_open(
        acting_user=reporter, form_version=version, unit=tree.commune, period="2025"
    )
    return reporter, submission


def submit(reporter, submission, values):
    revision = submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values=values,
        base_revision=0,
        today=DAY,
    ).revision
    submission_submit(
        acting_user=reporter, submission=submission, base_revision=1, today=DAY
    )
    return revision


def wait_for_result(revision, *, status=None, timeout: float = 30.0):
    """Return the stored result once the worker has checked ``revision`` (and, with
    ``status``, once the report has reached it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = ValidationResult.objects.filter(revision=revision).first()
        current = Submission.objects.get(pk=revision.submission_id).status
        if result is not None and status in (None, current):
            return result
        time.sleep(0.2)
    pytest.fail(f"revision {revision.pk} not checked after {timeout} s")


def test_an_error_sends_the_report_back_with_a_notification(celery_worker, draft):
    # given a draft whose "of which" row 03 exceeds its parent row 02
    reporter, submission = draft

    # when it is submitted and the worker checks it
    revision = submit(reporter, submission, {**CLEAN, "03:2": "150"})
    result = wait_for_result(revision, status=SubmissionStatus.RETURNED)

    # then the result is stored with the revision and the report is returned
    assert result.errors >= 1
    assert "TD03" in {v["rule"] for v in result.violations}
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.RETURNED
    notification = Notification.objects.get(user=reporter)
    assert str(result.errors) in notification.body
    assert "lỗi" in notification.body

    # when the check's outcome is recorded again (a retry)
    repeated = submission_validation_record(
        submission_id=submission.pk, revision_id=revision.pk, errors=result.errors
    )

    # then nothing more happens
    assert repeated is None
    assert Notification.objects.filter(user=reporter).count() == 1
    assert list(
        ApprovalEvent.objects.filter(submission=submission).values_list(
            "action", flat=True
        )
    ) == ["submit", "validation_failed"]
    assert ValidationResult.objects.filter(revision=revision).count() == 1


def test_clean_data_awaits_review_with_an_empty_result(celery_worker, draft):
    reporter, submission = draft
    revision = submit(reporter, submission, CLEAN)
    result = wait_for_result(revision, status=SubmissionStatus.AWAITING_REVIEW)
    assert (result.errors, result.warnings, result.violations) == (0, 0, [])
    assert not Notification.objects.filter(user=reporter).exists()


def test_a_warning_waits_for_an_explanation_while_the_report_awaits_review(
    celery_worker, draft
):
    # given a designed warning rule the figures break
    reporter, submission = draft
    ValidationRule.objects.create(
        template=submission.template,
        code="R1",
        name="Phương thức khen thưởng đủ tổng số",
        left="[01:2]",
        operator="==",
        right="[11..17:2]",
        importance="warning",
        message="Tổng số ({left}) khác tổng theo phương thức ({right})",
    )

    # when the report is submitted with 11:2 short of the total
    revision = submit(reporter, submission, {**CLEAN, "11:2": "7"})
    result = wait_for_result(revision, status=SubmissionStatus.AWAITING_REVIEW)

    # then it awaits review, with one warning waiting for an explanation
    submission = Submission.objects.get(pk=submission.pk)
    assert (result.errors, result.warnings) == (0, 1)
    [warning] = unexplained_warnings(submission, result)

    # when the reporter explains it
    warning_explain(
        acting_user=reporter,
        submission=submission,
        rule=warning["rule"],
        cell=violation_cell_key(warning),
        text="Có khen thưởng đột xuất chưa phân loại",
    )

    # then the explanation is recorded and no warning waits
    assert unexplained_warnings(submission, result) == []
    assert submission.explanations.get().text.startswith("Có khen thưởng")


def test_a_result_for_an_older_revision_does_not_return_the_report(draft):
    # given a report submitted, then returned and saved again by the reporter
    reporter, submission = draft
    first = submit(reporter, submission, {**CLEAN, "03:2": "150"})
    Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.RETURNED)
    submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values=CLEAN,
        base_revision=1,
        today=DAY,
    )
    Submission.objects.filter(pk=submission.pk).update(
        status=SubmissionStatus.SUBMITTED
    )

    # when the late outcome of the check of the first revision arrives
    outcome = submission_validation_record(
        submission_id=submission.pk, revision_id=first.pk, errors=1
    )
    assert outcome is None

    # then the report, now on another revision, stays submitted
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.SUBMITTED
