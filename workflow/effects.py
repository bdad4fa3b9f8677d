"""What follows a transition, run by ``workflow.tasks.transition_effects`` after the
commit: in-app notifications with an e-mail copy, and marking compiled reports out
of date. Every step is idempotent, so a retried task repeats nothing."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from forms.definition.periods import parse_period
from orgunits.selectors import ancestors_of, role_holders_on
from reporting.models import Notification, Receipt, SubmissionStatus
from workflow.decisions import level_name
from workflow.models import ApprovalEvent, EventAction


def transition_effects_apply(*, event_id: int) -> None:
    """Apply the side effects of one approval event."""
    event = ApprovalEvent.objects.select_related(
        "submission__template", "submission__org_unit", "actor"
    ).get(pk=event_id)
    _indicator_store_update(event)
    for number, (user_ids, subject, body, url) in enumerate(_messages(event)):
        _notify(
            user_ids,
            key=f"workflow:{event.pk}:{number}",
            subject=subject,
            body=body,
            url=url,
        )
    if event.action in (EventAction.APPROVE, EventAction.UNAPPROVE):
        from workflow.consolidation import consolidations_mark_stale

        consolidations_mark_stale(source_submission_id=event.submission_id, event=event)


def _indicator_store_update(event: ApprovalEvent) -> None:
    """Publish a finally approved report's figures; withdraw them when that final
    approval is withdrawn. Separate idempotent tasks, so a failing e-mail never
    delays the store."""
    from indicators.tasks import observations_publish_task, observations_withdraw_task

    if event.to_status == SubmissionStatus.ACCEPTED:
        observations_publish_task.delay_on_commit(event.submission_id, event.pk)
    elif (
        event.action == EventAction.UNAPPROVE
        and event.from_status == SubmissionStatus.ACCEPTED
    ):
        observations_withdraw_task.delay_on_commit(event.submission_id, event.pk)


def _submitter_ids(event: ApprovalEvent) -> list[int]:
    receipt = (
        Receipt.objects.filter(submission_id=event.submission_id)
        .order_by("-issued_at")
        .first()
    )
    return [receipt.submitted_by_id] if receipt else []


def _reviewer_ids(event: ApprovalEvent, level: str | None) -> list[int]:
    if not level:
        return []
    unit = next(
        (a for a in ancestors_of(event.submission.org_unit) if a.level.code == level),
        None,
    )
    if unit is None:
        return []
    return [user.pk for user in role_holders_on("reviewer", [unit.pk]).get(unit.pk, [])]


def _next_level(event: ApprovalEvent) -> str | None:
    levels = list(event.submission.chain_levels)
    done = len(event.approved_levels)
    return levels[done] if done < len(levels) else None


def _entry_url(submission) -> str:
    return reverse(
        "reporting:entry",
        args=[submission.template_id, submission.org_unit_id, submission.period],
    )


def _messages(event: ApprovalEvent):
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
                _submitter_ids(event),
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
                _submitter_ids(event),
                _("%(form)s of %(unit)s for %(period)s was returned for changes")
                % names,
                _("Reason: %(reason)s") % {"reason": event.reason}
                + "\n"
                + _("The reviewer's comments are shown on the marked cells."),
                entry_url,
            )
        if event.to_status == SubmissionStatus.AWAITING_REVIEW and action in (
            EventAction.VALIDATION_PASSED,
            EventAction.APPROVE,
            EventAction.UNAPPROVE,
        ):
            yield (
                _reviewer_ids(event, _next_level(event)),
                _("%(form)s of %(unit)s for %(period)s awaits your review") % names,
                _("Open your review queue to approve or return it."),
                review_url,
            )
        if action in (EventAction.APPROVE, EventAction.ACCEPT):
            final = event.to_status == SubmissionStatus.ACCEPTED
            yield (
                _submitter_ids(event),
                (
                    _("%(form)s of %(unit)s for %(period)s is finally approved")
                    if final
                    else _("%(form)s of %(unit)s for %(period)s was approved")
                )
                % names,
                _("Approved at the %(level)s level.")
                % {"level": level_name(event.level)},
                entry_url,
            )
        if action == EventAction.UNAPPROVE:
            yield (
                _submitter_ids(event),
                _("An approval of %(form)s of %(unit)s for %(period)s was withdrawn")
                % names,
                _("Reason: %(reason)s") % {"reason": event.reason},
                entry_url,
            )


def _notify(user_ids, *, key: str, subject: str, body: str, url: str) -> None:
    """Create each user's notification once and e-mail a copy once."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(pk__in=set(user_ids), is_active=True)
    for user in users:
        with transaction.atomic():
            notification, _created = Notification.objects.get_or_create(
                user=user,
                key=key,
                defaults={"subject": subject[:255], "body": body, "url": url},
            )
            notification = Notification.objects.select_for_update().get(
                pk=notification.pk
            )
            if notification.emailed_at is not None or not user.email:
                continue
            send_mail(
                notification.subject,
                f"{notification.body}\n\n{settings.SITE_URL.rstrip('/')}{url}",
                settings.DEFAULT_FROM_EMAIL,
                [user.email],
            )
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])
