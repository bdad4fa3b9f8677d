"""Two reviewers of the same level approve the same report at the same moment:
exactly one approval happens, the other is told the state the report is in now."""

import threading

import pytest
from django.db import connection

from reporting.models import SubmissionStatus
from tests.factories import make_user
from tests.workflow.factories import make_desk, send_report
from workflow.models import ApprovalEvent
from workflow.services import WorkflowRefused, submission_approve

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_threads_approving_the_same_report_make_one_event(celery_app):
    # given a report whose only approving level is its district, two reviewers there
    desk = make_desk(levels=("district",), top_accepts=False)
    report = send_report(desk, desk.tree.commune, desk.reporter)
    second = make_user(role="reviewer", unit=desk.tree.district)
    reviewers = [desk.district_reviewer, second]
    start = threading.Barrier(2)
    outcomes: list = []

    def approve(user):
        try:
            start.wait()
            outcomes.append(
                submission_approve(acting_user=user, submission_id=report.pk)
            )
        except WorkflowRefused as refused:
            outcomes.append(refused)
        finally:
            connection.close()

    # when both approve at once
    threads = [threading.Thread(target=approve, args=(user,)) for user in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then exactly one approval event exists
    assert (
        ApprovalEvent.objects.filter(submission=report, action="approve").count() == 1
    )
    events = [o for o in outcomes if isinstance(o, ApprovalEvent)]
    refusals = [o for o in outcomes if isinstance(o, WorkflowRefused)]
    assert len(events) == 1 and len(refusals) == 1
    # and the refusal names the state the first approval left
    report.refresh_from_db()
    assert report.status == SubmissionStatus.ACCEPTED
    assert refusals[0].status == SubmissionStatus.ACCEPTED
    assert report.get_status_display().lower() in str(refusals[0])
