"""The review queue: each reviewer sees the reports awaiting their own level from
their own subtree, the top level also what awaits its acceptance; a report outside
the reviewer's subtree cannot be opened."""

import pytest
from django.http import Http404

from reporting.models import SubmissionStatus
from tests.workflow.factories import WITH_ERROR, make_desk, send_report
from workflow.models import ApprovalEvent
from workflow.selectors import (
    access_submission_for_review,
    comments_for,
    review_queue,
)
from workflow.services import submission_approve, submission_return

pytestmark = pytest.mark.django_db


def queued(user, **filters) -> list[int]:
    return [item.submission.pk for item in review_queue(user, **filters).items]


@pytest.fixture
def desk():
    return make_desk()


def test_district_reviewer_sees_only_its_subtree_at_its_level(desk):
    # given reports awaiting the district from a commune of each district
    mine = send_report(desk, desk.tree.commune, desk.reporter)
    theirs = send_report(desk, desk.tree.other_commune, desk.other_reporter)
    assert mine.status == theirs.status == SubmissionStatus.AWAITING_REVIEW

    # then each district reviewer sees only its own commune's report
    assert queued(desk.district_reviewer) == [mine.pk]
    assert queued(desk.other_district_reviewer) == [theirs.pk]
    # and the levels above see nothing yet: the districts have not approved
    assert queued(desk.province_reviewer) == []
    assert queued(desk.national_reviewer) == []
    # and a reporter has no queue
    assert queued(desk.reporter) == []


def test_the_report_climbs_from_queue_to_queue_and_ends_with_acceptance(desk):
    report = send_report(desk, desk.tree.commune, desk.reporter)

    # when the district approves, the province sees it and the district no longer
    submission_approve(acting_user=desk.district_reviewer, submission_id=report.pk)
    assert queued(desk.district_reviewer) == []
    assert queued(desk.province_reviewer) == [report.pk]
    assert queued(desk.national_reviewer) == []

    # when the province approves, the national office sees it to approve
    submission_approve(acting_user=desk.province_reviewer, submission_id=report.pk)
    assert queued(desk.province_reviewer) == []
    (item,) = review_queue(desk.national_reviewer).items
    assert (item.submission.pk, item.action) == (report.pk, "approve")

    # when the national office approves, it awaits the national acceptance
    submission_approve(acting_user=desk.national_reviewer, submission_id=report.pk)
    (item,) = review_queue(desk.national_reviewer).items
    assert item.submission.status == SubmissionStatus.APPROVED
    assert item.action == "accept"
    assert queued(desk.province_reviewer) == []


def test_queue_items_carry_the_check_and_filters_narrow_the_queue(desk):
    # given a clean report, and one with an error put back in the queue
    clean = send_report(desk, desk.tree.commune, desk.reporter)
    errored = send_report(
        desk, desk.tree.sibling_commune, desk.sibling_reporter, WITH_ERROR
    )
    assert errored.status == SubmissionStatus.RETURNED
    type(errored).objects.filter(pk=errored.pk).update(
        status=SubmissionStatus.AWAITING_REVIEW
    )

    # then the queue says which is clean
    items = {i.submission.pk: i for i in review_queue(desk.district_reviewer).items}
    assert items[clean.pk].is_clean
    assert items[errored.pk].errors >= 1 and not items[errored.pk].is_clean
    assert items[clean.pk].submission.submitted_at is not None

    # and filters by check result, unit and period narrow it
    assert queued(desk.district_reviewer, checks="clean") == [clean.pk]
    assert queued(desk.district_reviewer, checks="errors") == [errored.pk]
    assert queued(desk.district_reviewer, unit_code="T9002") == [errored.pk]
    assert queued(desk.district_reviewer, period="2024") == []
    assert queued(desk.district_reviewer, form=desk.version.template_id, per_page=1)


def test_the_queue_is_paginated(desk):
    send_report(desk, desk.tree.commune, desk.reporter)
    send_report(desk, desk.tree.sibling_commune, desk.sibling_reporter)
    first = review_queue(desk.district_reviewer, per_page=1)
    second = review_queue(desk.district_reviewer, per_page=1, page=2)
    assert first.page.paginator.count == 2
    assert len(first.items) == len(second.items) == 1
    assert first.items[0].submission.pk != second.items[0].submission.pk


def test_a_report_outside_the_reviewers_subtree_is_not_found(desk):
    report = send_report(desk, desk.tree.commune, desk.reporter)

    assert access_submission_for_review(desk.district_reviewer, report.pk) == report
    assert access_submission_for_review(desk.province_reviewer, report.pk) == report
    for outsider in (desk.other_district_reviewer, desk.reporter):
        with pytest.raises(Http404):
            access_submission_for_review(outsider, report.pk)
    with pytest.raises(Http404):
        access_submission_for_review(desk.district_reviewer, 10**9)


def test_comments_for_gives_the_latest_return(desk):
    report = send_report(desk, desk.tree.commune, desk.reporter)
    assert comments_for(report).event is None

    submission_return(
        acting_user=desk.district_reviewer,
        submission_id=report.pk,
        reason="Kiểm tra lại số khen thưởng",
        cell_comments={"02:2": "Số này cao bất thường", "03:2": " "},
    )

    returned = comments_for(report)
    assert returned.reason == "Kiểm tra lại số khen thưởng"
    assert returned.comments == {"02:2": "Số này cao bất thường"}
    assert returned.event == ApprovalEvent.objects.filter(action="return").get()
