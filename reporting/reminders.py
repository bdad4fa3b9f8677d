"""Reminders of reports not yet sent: one digest a day per person, never twice.

Run daily by Celery beat (``reporting.tasks.reminders_send_due``). A report is
reminded of ``REMINDER_DAYS_BEFORE`` days before its deadline and
``REMINDER_DAYS_OVERDUE`` days after it (while entry still accepts it), to every
reporter of a unit that has not submitted it. Each person gets one in-app
notification listing all their reports due, keyed "reminder:<day>:<user>" (unique),
and one e-mail marked on that notification: a second run on the same day, or a
worker restarted halfway, finds the rows and sends nothing again.
"""

# ruff: noqa: S608 (the SQL is built from fixed fragments; every value is a parameter)

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from forms.definition.periods import Period, parse_period
from forms.models import FormTemplate
from orgunits.models import OrgUnit
from orgunits.selectors import role_holders_on
from reporting.inbox import countdown
from reporting.models import Notification
from reporting.obligations import (
    TO_DO_STATUSES,
    Slot,
    UnitScope,
    assignments_touching,
    expected_sql,
    slot_values_sql,
    slots_of,
)


def reminder_key(day: datetime.date, user_id: int) -> str:
    return f"reminder:{day.isoformat()}:{user_id}"


@dataclass(frozen=True)
class DueReport:
    """A report a unit has not sent, as a reminder lists it."""

    template: FormTemplate
    unit: OrgUnit
    period: Period
    deadline: datetime.date
    today: datetime.date

    @property
    def overdue(self) -> bool:
        return self.deadline < self.today

    @property
    def countdown(self) -> str:
        return countdown(self.deadline, self.today)


@dataclass(frozen=True)
class ReminderRun:
    day: datetime.date
    people: int
    notified: int
    emailed: int


def reminder_slots(today: datetime.date) -> list[Slot]:
    """Return the slots whose deadline is some reminder day away from ``today``:
    before it, or after it while late entry is still accepted."""
    before = set(settings.REMINDER_DAYS_BEFORE)
    after = set(settings.REMINDER_DAYS_OVERDUE)
    due = []
    for slot in slots_of(assignments_touching(everywhere=True), today=today):
        if slot.deadline is None:
            continue
        days = (slot.deadline - today).days
        still_open = slot.locks_after is None or today <= slot.locks_after
        if days in before or (-days in after and still_open):
            due.append(slot)
    return due


def reports_due(today: datetime.date) -> dict[int, list[DueReport]]:
    """Return, by user id, the reports to remind each reporter of on ``today``."""
    slots = reminder_slots(today)
    if not slots:
        return {}
    values, params = slot_values_sql(slots)
    expected, more = expected_sql(slots, UnitScope("TRUE"))
    sql = f"""
        WITH {values}
        SELECT e.template_id, e.unit_id, e.period, e.deadline
        FROM ({expected}) e
        LEFT JOIN reporting_submission s
          ON s.template_id = e.template_id AND s.org_unit_id = e.unit_id
         AND s.period = e.period
        WHERE s.id IS NULL OR s.status = ANY(%s)
        ORDER BY e.deadline, e.template_id, e.unit_path
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *more, list(TO_DO_STATUSES)])
        rows = cursor.fetchall()
    reporters = role_holders_on("reporter", {unit_id for _t, unit_id, _p, _d in rows})
    templates = FormTemplate.objects.in_bulk({row[0] for row in rows})
    units = OrgUnit.objects.in_bulk(list(reporters))
    due: dict[int, list[DueReport]] = {}
    for template_id, unit_id, period_id, deadline in rows:
        for user in reporters.get(unit_id, ()):
            due.setdefault(user.pk, []).append(
                DueReport(
                    template=templates[template_id],
                    unit=units[unit_id],
                    period=parse_period(period_id),
                    deadline=deadline,
                    today=today,
                )
            )
    return due


def _digest_texts(reports: list[DueReport]) -> tuple[str, str]:
    overdue = [report for report in reports if report.overdue]
    context = {
        "reports": reports,
        "overdue": overdue,
        "upcoming": [report for report in reports if not report.overdue],
        "inbox_url": settings.SITE_URL + reverse("reporting:inbox"),
    }
    if overdue:
        subject = ngettext(
            "Overdue: %(count)d report has not been sent",
            "Overdue: %(count)d reports have not been sent",
            len(reports),
        )
    else:
        subject = ngettext(
            "Reminder: %(count)d report is due soon",
            "Reminder: %(count)d reports are due soon",
            len(reports),
        )
    body = render_to_string("reporting/reminder_email.txt", context)
    return subject % {"count": len(reports)}, body


def reminders_send(*, today: datetime.date | None = None) -> ReminderRun:
    """Notify each reporter once for ``today`` of all their reports due or overdue,
    in the app and by e-mail; running again on the same day sends nothing twice."""
    today = today or timezone.localdate()
    due = reports_due(today)
    url = reverse("reporting:inbox")
    with translation.override(settings.LANGUAGE_CODE):
        notifications = []
        for user_id, reports in due.items():
            subject, body = _digest_texts(reports)
            notifications.append(
                Notification(
                    user_id=user_id,
                    key=reminder_key(today, user_id),
                    subject=subject[:255],
                    body=body,
                    url=url,
                )
            )
    keys = [notification.key for notification in notifications]
    before = set(Notification.objects.filter(key__in=keys).values_list("pk", flat=True))
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    created = Notification.objects.filter(key__in=keys).exclude(pk__in=before).count()
    pending = Notification.objects.filter(
        key__in=keys, emailed_at__isnull=True
    ).exclude(user__email="")
    emailed = sum(
        notification_email_send(notification_id=pk)
        for pk in pending.values_list("pk", flat=True)
    )
    return ReminderRun(today, len(due), created, emailed)


def notification_email_send(*, notification_id: int) -> bool:
    """E-mail a notification to its person once (idempotent under retries)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=notification_id)
        )
        if notification.emailed_at is not None or not notification.user.email:
            return False
        send_mail(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.user.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
        return True
