"""Reminders: one digest per person and day, nothing sent twice, through a worker."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from accounts.services import role_grant
from reporting.models import Notification, SubmissionStatus
from reporting.reminders import reminder_key, reminders_send
from reporting.tasks import reminders_send_due
from tests.factories import make_user
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import assign, make_submission, monthly_version

# February 2026 is due on 10/03 (10 days after the month); January was due 10/02.
THREE_DAYS_BEFORE = datetime.date(2026, 3, 7)
ONE_DAY_OVERDUE = datetime.date(2026, 3, 11)


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.REMINDER_DAYS_BEFORE = [3, 1]
    settings.REMINDER_DAYS_OVERDUE = [1, 7]


@pytest.fixture
def due(english):
    """Two monthly forms for every commune of the test province, from February."""
    tree = make_small_tree()
    forms = [monthly_version("T01.T/THU-NGHIEM"), monthly_version("T02.T/THU-NGHIEM")]
    for version in forms:
        assign(version, tree.province, first_period="2026M2")
    return tree, forms


@pytest.mark.django_db
def test_each_reporter_gets_one_digest_of_all_their_reports(due):
    # given a reporter of two communes, one of another commune who has sent
    # everything, and a reviewer (never reminded)
    tree, (first, second) = due
    both = make_user(email="hai.xa@example.vn")
    for unit in (tree.commune, tree.sibling_commune):
        role_grant(acting_user=None, user=both, unit=unit, role="reporter")
    done = make_user(role="reporter", unit=tree.other_commune, email="xong@example.vn")
    for version in (first, second):
        make_submission(
            version, tree.other_commune, "2026M2", SubmissionStatus.SUBMITTED
        )
    make_user(role="reviewer", unit=tree.province, email="duyet@example.vn")

    # when reminders run three days before February's deadline
    run = reminders_send(today=THREE_DAYS_BEFORE)

    # then one notification and one e-mail list the four reports due
    assert (run.notified, run.emailed) == (1, 1)
    notification = Notification.objects.get()
    assert notification.user == both
    assert notification.key == reminder_key(THREE_DAYS_BEFORE, both.pk)
    assert notification.url == reverse("reporting:inbox")
    assert notification.subject == "Reminder: 4 reports are due soon"
    body = notification.body
    assert body.count("3 days left") == 4
    assert "overdue" not in body
    for code in ("T01.T/THU-NGHIEM", "T02.T/THU-NGHIEM"):
        for name in ("Xã An Hòa", "Xã An Phú"):
            assert f"{code} – {name} – Tháng 2 năm 2026: due 10/03/2026" in body
    assert [message.to for message in mail.outbox] == [["hai.xa@example.vn"]]
    assert mail.outbox[0].subject == notification.subject
    assert not Notification.objects.filter(user=done).exists()


@pytest.mark.django_db
def test_a_second_run_on_the_same_day_sends_nothing(due):
    tree, _forms = due
    make_user(role="reporter", unit=tree.commune, email="an.hoa@example.vn")
    reminders_send(today=THREE_DAYS_BEFORE)

    again = reminders_send(today=THREE_DAYS_BEFORE)

    assert (again.notified, again.emailed) == (0, 0)
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_digest_whose_email_was_lost_is_emailed_once_on_the_rerun(due):
    # given the notification written before a worker died, its e-mail not sent
    tree, _forms = due
    reporter = make_user(role="reporter", unit=tree.commune, email="an.hoa@example.vn")
    Notification.objects.create(
        user=reporter,
        key=reminder_key(THREE_DAYS_BEFORE, reporter.pk),
        subject="Reminder",
        body="…",
    )

    first = reminders_send(today=THREE_DAYS_BEFORE)
    second = reminders_send(today=THREE_DAYS_BEFORE)

    assert (first.notified, first.emailed) == (0, 1)
    assert (second.notified, second.emailed) == (0, 0)
    assert len(mail.outbox) == 1
    assert Notification.objects.get().emailed_at is not None


@pytest.mark.django_db
def test_overdue_reports_are_worded_as_overdue(due):
    tree, (first, second) = due
    reporter = make_user(role="reporter", unit=tree.commune, email="an.hoa@example.vn")
    make_submission(second, tree.commune, "2026M2", SubmissionStatus.DRAFT)

    reminders_send(today=ONE_DAY_OVERDUE)

    notification = Notification.objects.get(user=reporter)
    assert notification.subject == "Overdue: 2 reports have not been sent"
    assert notification.body.count("1 day overdue") == 2
    assert "These reports are overdue" in notification.body
    assert "days left" not in notification.body


@pytest.mark.django_db
def test_no_reminder_on_other_days_nor_once_entry_locked(due, settings):
    tree, _forms = due
    make_user(role="reporter", unit=tree.commune, email="an.hoa@example.vn")

    two_days_before = reminders_send(today=datetime.date(2026, 3, 8))
    week_overdue = reminders_send(today=datetime.date(2026, 3, 17))
    settings.REMINDER_DAYS_OVERDUE = [40]
    # February locked on 09/04 (30 days of late entry after 10/03)
    after_lock = reminders_send(today=datetime.date(2026, 4, 19))

    assert two_days_before.notified == 0
    assert week_overdue.notified == 1
    assert after_lock.notified == 0


@pytest.mark.django_db
def test_people_without_email_still_get_the_in_app_notification(due):
    tree, _forms = due
    make_user(role="reporter", unit=tree.commune)

    run = reminders_send(today=THREE_DAYS_BEFORE)

    assert (run.notified, run.emailed) == (1, 0)
    assert mail.outbox == []


# --- The notifications page ------------------------------------------------------------------


@pytest.mark.django_db
def test_notifications_page_marks_read_and_counts_unread(client, due):
    tree, _forms = due
    reporter = make_user(role="reporter", unit=tree.commune)
    reminders_send(today=THREE_DAYS_BEFORE)
    reminders_send(today=datetime.date(2026, 3, 9))  # one day before
    client.force_login(reporter)

    listing = client.get(reverse("reporting:notifications"))
    assert listing.status_code == 200
    assert listing.context["nav_unread_notifications"]() == 2
    newest = Notification.objects.filter(user=reporter).first()

    opened = client.post(
        reverse("reporting:notification_read", args=[newest.pk]), {"open": "1"}
    )
    assert opened.status_code == 302
    assert opened["Location"] == reverse("reporting:inbox")
    newest.refresh_from_db()
    assert newest.read_at is not None

    client.post(reverse("reporting:notifications_read_all"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()


@pytest.mark.django_db
def test_nobody_marks_another_persons_notification(client, due):
    tree, _forms = due
    make_user(role="reporter", unit=tree.commune)
    reminders_send(today=THREE_DAYS_BEFORE)
    client.force_login(make_user())

    response = client.post(
        reverse("reporting:notification_read", args=[Notification.objects.get().pk])
    )

    assert response.status_code == 404
    assert Notification.objects.get().read_at is None


# --- Through a real Celery worker ----------------------------------------------------------

# The worker reads a queue of its own (tests/conftest.py: celery_app), where every
# task of the test is routed.


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_sends_one_digest_through_a_worker(celery_worker, settings):
    settings.LANGUAGE_CODE = "en"
    tree = make_small_tree()
    version = monthly_version()
    assign(version, tree.province, first_period="2026M2")
    reporter = make_user(role="reporter", unit=tree.commune, email="an.hoa@example.vn")

    result = reminders_send_due.apply_async(args=[THREE_DAYS_BEFORE.isoformat()]).get(
        timeout=60
    )
    again = reminders_send_due.apply_async(args=[THREE_DAYS_BEFORE.isoformat()]).get(
        timeout=60
    )

    assert result == {"day": "2026-03-07", "notified": 1, "emailed": 1}
    assert again == {"day": "2026-03-07", "notified": 0, "emailed": 0}
    notification = Notification.objects.get()
    assert notification.user == reporter and notification.emailed_at is not None
    assert [message.to for message in mail.outbox] == [["an.hoa@example.vn"]]
