"""What follows a transition, run by ``workflow.tasks.transition_effects`` (one
event) or ``workflow.tasks.transition_effects_many`` (the events of a bulk approval
chunk) after the commit: publishing or withdrawing the figures, in-app notifications
with an e-mail copy, and marking compiled reports out of date.

Every step is idempotent on a natural key, so a retried or duplicated task repeats
nothing, whichever of the two tasks handles an event: a notification is unique on
(user, ``workflow:<event>:<n>``), its e-mail is sent while its row is locked and
stamped ``emailed_at`` in the same transaction, a compiled report is marked out of
date only while it is not, and an event's figures are published once
(``indicators.publishing``).

For many events the reads are made once for all of them (submitters, reviewers,
level names, the compilations that read the reports), the notifications are
inserted in one statement, and each recipient gets one e-mail for all of their new
notifications of the batch: the usual message for one, a digest listing the reports
for several. An event whose effects fail with an error a retry cannot mend is left
out and returned to the caller (the task gives it a task of its own); the others go
on. Errors of the database, the broker or the mail server make the whole batch
retry, repeating nothing already done.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import InterfaceError, OperationalError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from forms.definition.periods import parse_period
from orgunits.selectors import ancestor_ids, role_holders_on
from reporting.models import Notification, Receipt, SubmissionStatus
from workflow.decisions import level_name, level_names
from workflow.models import ApprovalEvent, EventAction

logger = logging.getLogger(__name__)

# A retry of the whole batch mends these; anything else is the event's own fault.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, SMTPException)
STALE_ACTIONS = (EventAction.APPROVE, EventAction.UNAPPROVE)


def transition_effects_apply(*, event_id: int) -> None:
    """Apply the side effects of one approval event; any error propagates."""
    if not ApprovalEvent.objects.filter(pk=event_id).exists():
        raise ApprovalEvent.DoesNotExist(event_id)
    _apply(_events([event_id]), isolate=False)


def transition_effects_apply_many(*, event_ids) -> list[int]:
    """Apply the side effects of many approval events with shared reads, one
    insert of their notifications and one e-mail per recipient; return the ids
    of the events whose effects failed (none of their effects is left half
    done but the idempotent ones: the caller runs them again on their own)."""
    return _apply(_events(event_ids), isolate=True)


def _events(event_ids) -> list[ApprovalEvent]:
    return list(
        ApprovalEvent.objects.select_related(
            "submission__template", "submission__org_unit", "actor"
        )
        .filter(pk__in=list(event_ids))
        .order_by("pk")
    )


def _apply(events: list[ApprovalEvent], *, isolate: bool) -> list[int]:
    failed: list[int] = []

    def guarded(failing, step, **kwargs):
        """Run ``step`` for event ``failing``; with ``isolate``, an error a retry cannot
        mend marks the event failed instead of stopping the others."""
        if not isolate:
            return step(**kwargs)
        # Under an outer transaction (a test's) the failure must not spoil it.
        savepoint = (
            transaction.atomic()
            if transaction.get_connection().in_atomic_block
            else nullcontext()
        )
        try:
            with savepoint:
                return step(**kwargs)
        except TRANSIENT_ERRORS:
            raise
        except Exception:
            logger.exception("Effects of approval event %s failed", failing.pk)
            failed.append(failing.pk)
            return None

    if not events:
        return failed
    _indicator_store_update(events)
    recipients = _Recipients(events)
    notices = {
        event.pk: guarded(event, _notices_of, event=event, recipients=recipients)
        for event in events
    }
    to_check = [e for e in events if e.action in STALE_ACTIONS and e.pk not in failed]
    if to_check:
        from workflow.consolidation import (
            compilations_reading,
            consolidations_mark_stale,
        )

        compilations = compilations_reading([event.submission for event in to_check])
        for event in to_check:
            guarded(
                event,
                consolidations_mark_stale,
                source_submission_id=event.submission_id,
                event=event,
                compilations=compilations,
            )
    _notifications_create(
        [
            notice
            for pk, found in notices.items()
            if pk not in failed
            for notice in found or ()
        ]
    )
    return failed


# --- Publishing ---------------------------------------------------------------------


def _indicator_store_update(events: list[ApprovalEvent]) -> None:
    """Publish finally approved reports' figures; withdraw them when that final
    approval is withdrawn. Tasks of their own, so a failing e-mail never delays
    the store; the figures of many events go to one task."""
    from indicators.tasks import (
        observations_publish_many_task,
        observations_publish_task,
        observations_withdraw_task,
    )

    publish = [
        (event.submission_id, event.pk)
        for event in events
        if event.to_status == SubmissionStatus.ACCEPTED
    ]
    if len(publish) == 1:
        observations_publish_task.delay_on_commit(*publish[0])
    elif publish:
        observations_publish_many_task.delay_on_commit(publish)
    for event in events:
        if (
            event.action == EventAction.UNAPPROVE
            and event.from_status == SubmissionStatus.ACCEPTED
        ):
            observations_withdraw_task.delay_on_commit(event.submission_id, event.pk)


# --- Who is told --------------------------------------------------------------------


class _Recipients:
    """The people the events' messages go to, read once for all the events: the
    latest submitter of each report, the reviewers of the levels the reports
    await, and the levels' names."""

    def __init__(self, events: list[ApprovalEvent]):
        self._submitters = dict(
            Receipt.objects.filter(
                submission_id__in={event.submission_id for event in events}
            )
            .order_by("submission_id", "-issued_at", "-id")
            .distinct("submission_id")
            .values_list("submission_id", "submitted_by_id")
        )
        awaiting = [e for e in events if _awaits_review(e)]
        self._unit_at_level: dict[tuple[int, str], int] = {}
        if awaiting:
            from orgunits.models import OrgUnit

            above = {
                event.submission.org_unit_id: ancestor_ids(event.submission.org_unit)
                for event in awaiting
            }
            levels = dict(
                OrgUnit.objects.filter(
                    pk__in={pk for ids in above.values() for pk in ids}
                ).values_list("pk", "level__code")
            )
            for unit_id, ids in above.items():
                for pk in ids:
                    if pk in levels:
                        self._unit_at_level.setdefault((unit_id, levels[pk]), pk)
        self._reviewers = (
            role_holders_on("reviewer", set(self._unit_at_level.values()))
            if self._unit_at_level
            else {}
        )
        needs_names = any(
            e.action in (EventAction.APPROVE, EventAction.ACCEPT) for e in events
        )
        self.level_names = level_names() if needs_names else {}

    def submitters(self, event: ApprovalEvent) -> list[int]:
        submitter = self._submitters.get(event.submission_id)
        return [submitter] if submitter else []

    def reviewers(self, event: ApprovalEvent, level: str | None) -> list[int]:
        unit_id = self._unit_at_level.get((event.submission.org_unit_id, level or ""))
        if unit_id is None:
            return []
        return [user.pk for user in self._reviewers.get(unit_id, [])]


def _awaits_review(event: ApprovalEvent) -> bool:
    return event.to_status == SubmissionStatus.AWAITING_REVIEW and event.action in (
        EventAction.VALIDATION_PASSED,
        EventAction.APPROVE,
        EventAction.UNAPPROVE,
    )


def _next_level(event: ApprovalEvent) -> str | None:
    levels = list(event.submission.chain_levels)
    done = len(event.approved_levels)
    return levels[done] if done < len(levels) else None


def _entry_url(submission) -> str:
    return reverse(
        "reporting:entry",
        args=[submission.template_id, submission.org_unit_id, submission.period],
    )


class _Notice:
    """One message of one event to its recipients."""

    __slots__ = ("body", "key", "subject", "url", "user_ids")

    def __init__(self, user_ids, key, subject, body, url):
        self.user_ids, self.key = user_ids, key
        self.subject, self.body, self.url = subject[:255], body, url


def _notices_of(event: ApprovalEvent, recipients: _Recipients) -> list[_Notice]:
    return [
        _Notice(user_ids, f"workflow:{event.pk}:{number}", subject, body, url)
        for number, (user_ids, subject, body, url) in enumerate(
            _messages(event, recipients)
        )
    ]


def _messages(event: ApprovalEvent, recipients: _Recipients):
    """Yield (recipient ids, subject, body, url) for ``event``, in the site
    language: reporters are sent to the report's entry page, reviewers to the
    report on their desk."""
    submission = event.submission
    entry_url = _entry_url(submission)
    review_url = reverse("workflow:review", args=[submission.pk])
    with translation.override(settings.LANGUAGE_CODE):
        names = {
            "form": submission.template.code,
            "unit": submission.org_unit.name,
            "period": parse_period(submission.period).label,
        }
        action = event.action
        if action == EventAction.VALIDATION_FAILED:
            errors = int(event.reason or 0)
            yield (
                recipients.submitters(event),
                _("%(form)s of %(unit)s for %(period)s was sent back") % names,
                ngettext(
                    "The check found %(count)d error. Correct the marked cells and "
                    "submit again.",
                    "The check found %(count)d errors. Correct the marked cells and "
                    "submit again.",
                    errors,
                )
                % {"count": errors},
                entry_url,
            )
        elif action == EventAction.RETURN:
            yield (
                recipients.submitters(event),
                _("%(form)s of %(unit)s for %(period)s was returned for changes")
                % names,
                _("Reason: %(reason)s") % {"reason": event.reason}
                + "\n"
                + _("The reviewer's comments are shown on the marked cells."),
                entry_url,
            )
        if _awaits_review(event):
            yield (
                recipients.reviewers(event, _next_level(event)),
                _("%(form)s of %(unit)s for %(period)s awaits your review") % names,
                _("Open your review queue to approve or return it."),
                review_url,
            )
        if action in (EventAction.APPROVE, EventAction.ACCEPT):
            final = event.to_status == SubmissionStatus.ACCEPTED
            yield (
                recipients.submitters(event),
                (
                    _("%(form)s of %(unit)s for %(period)s is finally approved")
                    if final
                    else _("%(form)s of %(unit)s for %(period)s was approved")
                )
                % names,
                _("Approved at the %(level)s level.")
                % {"level": level_name(event.level, recipients.level_names)},
                entry_url,
            )
        if action == EventAction.UNAPPROVE:
            yield (
                recipients.submitters(event),
                _("An approval of %(form)s of %(unit)s for %(period)s was withdrawn")
                % names,
                _("Reason: %(reason)s") % {"reason": event.reason},
                entry_url,
            )


# --- Notifications and e-mails --------------------------------------------------------


def _notifications_create(notices: list[_Notice]) -> None:
    """Create each active recipient's notification of each notice once (one
    insert), then e-mail each recipient with an address the notifications of
    ``notices`` not e-mailed yet: one e-mail per recipient."""
    from django.contrib.auth import get_user_model

    wanted = {user_id for notice in notices for user_id in notice.user_ids}
    if not wanted:
        return
    users = get_user_model().objects.filter(pk__in=wanted, is_active=True).in_bulk()
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                key=notice.key,
                subject=notice.subject,
                body=notice.body,
                url=notice.url,
            )
            for notice in notices
            for user_id in dict.fromkeys(notice.user_ids)
            if user_id in users
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    keys: dict[int, list[str]] = {}
    for notice in notices:
        for user_id in dict.fromkeys(notice.user_ids):
            if user_id in users and users[user_id].email:
                keys.setdefault(user_id, []).append(notice.key)
    if not keys:
        return
    connection = get_connection()
    with connection:
        for user_id, user_keys in keys.items():
            _email(users[user_id], user_keys, connection)


def _email(user, keys: list[str], connection) -> None:
    """Send ``user`` their notifications of ``keys`` not e-mailed yet, in one
    e-mail, and stamp them in the same transaction: the rows stay locked until
    then, so an overlapping task finds them stamped and sends nothing."""
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update()
            .filter(user=user, key__in=keys, emailed_at__isnull=True)
            .order_by("pk")
        )
        if not pending:
            return
        subject, body = _email_text(pending)
        send_mail(
            subject,
            body,
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
            connection=connection,
        )
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(
            emailed_at=timezone.now()
        )


def _email_text(notifications: list[Notification]) -> tuple[str, str]:
    """Return the e-mail's subject and body: one notification's own text and
    link, or for several a digest listing each report's message and link."""
    site = settings.SITE_URL.rstrip("/")
    if len(notifications) == 1:
        only = notifications[0]
        return only.subject, f"{only.body}\n\n{site}{only.url}"
    with translation.override(settings.LANGUAGE_CODE):
        count = len(notifications)
        subject = ngettext(
            "%(count)d update on your reports",
            "%(count)d updates on your reports",
            count,
        ) % {"count": count}
        intro = _("What happened to the reports you follow:")
    items = [
        f"{n}. {item.subject}\n{item.body}\n{site}{item.url}"
        for n, item in enumerate(notifications, start=1)
    ]
    return subject, "\n\n".join([intro, *items])


def _notify(user_ids, *, key: str, subject: str, body: str, url: str) -> None:
    """Create each user's notification once and e-mail a copy once."""
    _notifications_create([_Notice(user_ids, key, subject, body, url)])
