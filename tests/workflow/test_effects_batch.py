"""The effects of a bulk approval run many events to a task in a real Celery
worker: each report's notifications, e-mails and published figures come exactly
once, one e-mail per person lists all their reports, a repeated task repeats
nothing, and an event whose effects fail does not hold back the others."""

import time

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from indicators.models import Observation
from indicators.tasks import observations_publish_many_task
from reporting.models import Notification, Receipt, Submission
from tests.indicators.factories import make_catalogue, map_version
from tests.workflow.factories import make_desk, send_report
from workflow.bulk import bulk_approval_start
from workflow.models import ApprovalEvent, BulkApproval, EventAction
from workflow.services import submissions_approve_bulk
from workflow.tasks import transition_effects, transition_effects_many

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"not reached after {timeout} s")


def sent_reports(desk):
    """Three reports awaiting the district (two of the commune, one of its
    sibling), sent while nobody has an e-mail address; then the addresses are
    set, with the receipts already counted as e-mailed."""
    reports = [
        send_report(desk, desk.tree.commune, desk.reporter),
        send_report(desk, desk.tree.sibling_commune, desk.sibling_reporter),
        send_report(desk, desk.tree.commune, desk.reporter, period="2024"),
    ]
    # The check's effects (the district reviewer told) are done in the worker.
    wait_for(
        lambda: Notification.objects.filter(user=desk.district_reviewer).count() == 3
    )
    Receipt.objects.update(emailed_at=timezone.now())
    for user, address in (
        (desk.reporter, "hoa@example.vn"),
        (desk.sibling_reporter, "binh@example.vn"),
        (desk.province_reviewer, "tinh@example.vn"),
    ):
        type(user).objects.filter(pk=user.pk).update(email=address)
    mail.outbox.clear()
    return reports


def mails_to(address: str):
    return [message for message in mail.outbox if message.to == [address]]


def test_bulk_approval_notifies_emails_and_publishes_each_report_once(
    celery_app, celery_worker
):
    # given three reports whose district approval is final, on a mapped form
    desk = make_desk(levels=("district",), top_accepts=False)
    make_catalogue()
    map_version(desk.version)
    reports = sent_reports(desk)

    # when the district reviewer approves them in a bulk job
    job = bulk_approval_start(
        acting_user=desk.district_reviewer, submission_ids=[r.pk for r in reports]
    )

    # then each report is published and its reporter told once
    wait_for(lambda: Observation.objects.filter(is_current=True).count() == 9)
    wait_for(lambda: len(mail.outbox) == 2)
    assert BulkApproval.objects.get(pk=job.pk).approved_count == 3
    events = list(
        ApprovalEvent.objects.filter(action=EventAction.APPROVE).order_by("pk")
    )
    assert len(events) == 3
    mine = Notification.objects.filter(user=desk.reporter).order_by("key")
    assert [n.key for n in mine] == sorted(
        f"workflow:{e.pk}:0"
        for e in events
        if e.submission.org_unit == desk.tree.commune
    )
    assert all(n.emailed_at is not None for n in mine)
    assert Notification.objects.filter(user=desk.sibling_reporter).count() == 1

    # and the reporter of two reports gets one e-mail listing both
    (digest,) = mails_to("hoa@example.vn")
    assert "2" in digest.subject
    for notification in mine:
        assert notification.subject in digest.body
        assert notification.url in digest.body
    assert "phê duyệt" in digest.body
    # and the reporter of one report the usual e-mail of its notification
    (single,) = mails_to("binh@example.vn")
    sibling_notification = Notification.objects.get(user=desk.sibling_reporter)
    assert single.subject == sibling_notification.subject
    assert sibling_notification.url in single.body

    # when the chunk's tasks run again (a retry, or a duplicate), and one event's
    # single task too
    event_ids = [e.pk for e in events]
    assert transition_effects_many.delay(event_ids).get(timeout=60) == []
    transition_effects.delay(event_ids[0]).get(timeout=60)
    pairs = [[e.submission_id, e.pk] for e in events]
    assert observations_publish_many_task.delay(pairs).get(timeout=60) == 0

    # then nothing is told, e-mailed or published twice
    assert (
        Notification.objects.filter(key__startswith="workflow:")
        .filter(key__in=[f"workflow:{pk}:0" for pk in event_ids])
        .count()
        == 3
    )
    assert len(mail.outbox) == 2
    assert Observation.objects.count() == 9
    assert Observation.objects.filter(is_current=True).count() == 9


def test_a_failing_event_does_not_hold_back_the_others(celery_app, celery_worker):
    # given three reports awaiting the district, then the province
    desk = make_desk(levels=("district", "province"), top_accepts=False)
    reports = sent_reports(desk)
    broken = reports[1]

    # when the district approves them in one chunk, and the sibling's report has
    # a damaged period by the time its effects run
    with transaction.atomic():
        outcomes = submissions_approve_bulk(
            acting_user=desk.district_reviewer,
            submission_ids=[r.pk for r in reports],
        )
        Submission.objects.filter(pk=broken.pk).update(period="BAD")
    assert all(outcome.approved for outcome in outcomes)

    # then the other two reports' people are told, the province reviewer in one
    # e-mail listing both
    wait_for(
        lambda: Notification.objects.filter(user=desk.province_reviewer).count() == 2
    )
    wait_for(lambda: len(mail.outbox) == 2)
    (digest,) = mails_to("tinh@example.vn")
    for report in (reports[0], reports[2]):
        assert f"/duyet/{report.pk}/" in digest.body
    assert f"/duyet/{broken.pk}/" not in digest.body
    assert len(mails_to("hoa@example.vn")) == 1
    assert not Notification.objects.filter(user=desk.sibling_reporter).exists()

    # when the report is mended and the chunk runs again
    Submission.objects.filter(pk=broken.pk).update(period="2025")
    event_ids = list(
        ApprovalEvent.objects.filter(action=EventAction.APPROVE).values_list(
            "pk", flat=True
        )
    )
    assert transition_effects_many.delay(event_ids).get(timeout=60) == []

    # then only the mended report's effects are added, once
    assert Notification.objects.filter(user=desk.province_reviewer).count() == 3
    assert Notification.objects.filter(user=desk.sibling_reporter).count() == 1
    assert len(mails_to("tinh@example.vn")) == 2
    assert f"/duyet/{broken.pk}/" in mails_to("tinh@example.vn")[1].body
    assert len(mails_to("binh@example.vn")) == 1
    assert len(mails_to("hoa@example.vn")) == 1
