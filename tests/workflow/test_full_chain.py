"""A report's whole climb with a real Celery worker: communes submit, the district
returns one with a cell comment and approves, compiles and submits; the province
approves, compiles and submits; the national office approves and accepts."""

import time

import pytest

from reporting.models import Submission, SubmissionStatus
from reporting.services import SubmissionNotEditable, submission_save_draft
from tests.workflow.chain_factories import entered, make_chain_world
from workflow.consolidation import consolidation_compile
from workflow.models import ApprovalEvent, CellComment, EventAction
from workflow.services import (
    WorkflowRefused,
    submission_accept,
    submission_approve,
    submission_return,
    submission_submit,
    submission_unapprove,
)

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(predicate, *, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("the worker did not get there in time")


def status_of(submission):
    return Submission.objects.values_list("status", flat=True).get(pk=submission.pk)


def submit_and_wait(submission, reporter):
    submission.refresh_from_db()
    submission_submit(
        acting_user=reporter,
        submission=submission,
        base_revision=submission.revision_count,
    )
    wait_for(lambda: status_of(submission) == SubmissionStatus.AWAITING_REVIEW)


def compile_and_submit(world, unit, reporter):
    consolidation = consolidation_compile(
        acting_user=reporter,
        template=world.version.template,
        unit=unit,
        period=world.period,
    )
    submit_and_wait(consolidation.submission, reporter)
    return consolidation


def test_reports_climb_the_whole_chain(celery_worker, celery_app):
    # Given three communes below a district, a province and the national office
    world = make_chain_world()
    users = world.users
    figures = {1: {"02:2": "4"}, 2: {"02:2": "5"}, 3: {"02:2": "600"}}
    reports = {
        n: entered(world, world.communes[n - 1], users[f"commune{n}"], figures[n])
        for n in (1, 2, 3)
    }

    # When the three communes submit, they are checked by the worker
    for n, report in reports.items():
        submit_and_wait(report, users[f"commune{n}"])

    # And the district returns one with a cell comment and approves two
    district = users["district_reviewer"]
    submission_return(
        acting_user=district,
        submission_id=reports[3].pk,
        reason="Số liệu quá lớn",
        cell_comments={"02:2": "Kiểm tra lại số tập thể"},
    )
    for n in (1, 2):
        submission_approve(acting_user=district, submission_id=reports[n].pk)
    assert CellComment.objects.get(submission=reports[3]).cell == "02:2"

    # And the commune fixes it and submits again; the district approves it
    reports[3].refresh_from_db()
    assert reports[3].status == SubmissionStatus.RETURNED
    submission_save_draft(
        acting_user=users["commune3"],
        submission=reports[3],
        raw_values={"02:2": "6"},
        base_revision=reports[3].revision_count,
    )
    submit_and_wait(reports[3], users["commune3"])
    submission_approve(acting_user=district, submission_id=reports[3].pk)

    # Then the district compiles: the sum equals the parts
    district_compiled = compile_and_submit(
        world, world.district, users["district_reporter"]
    )
    assert district_compiled.revision.values["02:2"] == "15"
    assert district_compiled.sources.count() == 3

    # When the province approves it, compiles and submits its own report
    submission_approve(
        acting_user=users["province_reviewer"],
        submission_id=district_compiled.submission_id,
    )
    province_compiled = compile_and_submit(
        world, world.province, users["province_reporter"]
    )
    assert province_compiled.revision.values["02:2"] == "15"

    # And the national office approves and accepts it
    national = users["national_reviewer"]
    submission_approve(
        acting_user=national, submission_id=province_compiled.submission_id
    )
    assert status_of(province_compiled.submission) == SubmissionStatus.APPROVED
    submission_accept(
        acting_user=national, submission_id=province_compiled.submission_id
    )

    # Then every level's report is final and its data locked
    locked = [
        (reports[1], users["commune1"]),
        (district_compiled.submission, users["district_reporter"]),
        (province_compiled.submission, users["province_reporter"]),
    ]
    for report, reporter in locked:
        report.refresh_from_db()
        assert report.status == SubmissionStatus.ACCEPTED
        with pytest.raises(SubmissionNotEditable):
            submission_save_draft(
                acting_user=reporter,
                submission=report,
                raw_values={"02:2": "1"},
                base_revision=report.revision_count,
            )

    # And an unapproval of a commune below the approved district report is refused
    with pytest.raises(WorkflowRefused) as refused:
        submission_unapprove(
            acting_user=district, submission_id=reports[1].pk, reason="Sửa lại"
        )
    assert refused.value.code == "compiled_report_approved"
    assert world.district.name in str(refused.value)
    assert status_of(reports[1]) == SubmissionStatus.ACCEPTED

    # And the worker has told the province reporter of the final approval
    wait_for(
        lambda: (
            ApprovalEvent.objects.filter(
                submission=province_compiled.submission, action=EventAction.ACCEPT
            ).exists()
            and users["province_reporter"]
            .notifications.filter(subject__contains=world.version.template.code)
            .count()
            >= 2
        )
    )
