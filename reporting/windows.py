"""Reads about entry windows for pages: where a report stands in its window today,
the lock exception that reopened it, and who above can reopen it when it locked."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone

from forms.definition.periods import Period, parse_period
from forms.models import FormTemplate
from orgunits.models import OrgUnit
from orgunits.selectors import ancestors_of, role_holders_on, visible_to
from reporting.engine.window import EntryWindow, WindowState, days_left
from reporting.models import Assignment, LockException, Submission
from reporting.selectors import entry_window_of, user_can_grant_lock_exception


@dataclass(frozen=True)
class Unlocker:
    """A reviewer above the unit, who may grant a lock exception."""

    name: str
    unit: OrgUnit


@dataclass(frozen=True)
class WindowBanner:
    submission: Submission
    state: WindowState
    window: EntryWindow
    today: datetime.date
    period_label: str
    exception: LockException | None = None
    unlockers: list[Unlocker] = field(default_factory=list)
    user_can_unlock: bool = False

    @property
    def exception_active(self) -> bool:
        return self.exception is not None and self.today <= self.exception.until

    @property
    def days_to_deadline(self) -> int | None:
        if self.window.deadline is None:
            return None
        return days_left(self.window.deadline, self.today)

    @property
    def days_overdue(self) -> int:
        days = self.days_to_deadline
        return -days if days is not None and days < 0 else 0


def lock_exception_of(submission: Submission) -> LockException | None:
    return (
        LockException.objects.select_related("granted_by")
        .filter(
            template=submission.template,
            org_unit=submission.org_unit,
            period=submission.period,
        )
        .first()
    )


def unlockers_of(unit: OrgUnit) -> list[Unlocker]:
    """Return the reviewers of the units above ``unit``, nearest level first."""
    ancestors = ancestors_of(unit)
    holders = role_holders_on("reviewer", [ancestor.pk for ancestor in ancestors])
    return [
        Unlocker(user.get_full_name() or user.username, ancestor)
        for ancestor in reversed(ancestors)
        for user in holders.get(ancestor.pk, [])
    ]


def window_banner_of(
    submission: Submission, *, user=None, today: datetime.date | None = None
) -> WindowBanner:
    """Return what the report's window banner says for ``user`` on ``today``."""
    today = today or timezone.localdate()
    exception = lock_exception_of(submission)
    window = entry_window_of(submission)
    state = window.state_on(
        today, exception_until=exception.until if exception else None
    )
    return WindowBanner(
        submission=submission,
        state=state,
        window=window,
        today=today,
        period_label=parse_period(submission.period).label,
        exception=exception,
        unlockers=(
            unlockers_of(submission.org_unit) if state is WindowState.LOCKED else []
        ),
        user_can_unlock=(
            user is not None
            and user_can_grant_lock_exception(user, submission.org_unit)
        ),
    )


def lock_exceptions_visible_to(user) -> QuerySet[LockException]:
    """Return the lock exceptions of the units below the user's reviewer roles."""
    return (
        LockException.objects.select_related("template", "org_unit", "granted_by")
        .filter(org_unit__in=visible_to(user, roles={"reviewer"}).values("pk"))
        .order_by("-granted_at")
    )


def user_reviews_any_unit(user) -> bool:
    """Return whether the user reviews some unit (and may reopen those below it)."""
    return visible_to(user, roles={"reviewer"}).exists()


def reviewed_unit_by_code(user, code: str, period: Period) -> OrgUnit | None:
    """Return the unit with ``code`` that existed during ``period`` among the units
    the user reviews, or None."""
    return (
        visible_to(user, roles={"reviewer"})
        .filter(code=code.strip())
        .filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=period.end),
            Q(valid_to__isnull=True) | Q(valid_to__gte=period.start),
        )
        .order_by("-valid_from")
        .first()
    )


def assigned_templates() -> QuerySet[FormTemplate]:
    """Return the forms some unit is obliged to report."""
    return FormTemplate.objects.filter(
        pk__in=Assignment.objects.values("template")
    ).order_by("code")
