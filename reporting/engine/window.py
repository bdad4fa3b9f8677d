"""When a report can be entered: the entry window of one unit, form and period.

As DHIS2 does it: a period opens for entry when it starts (or ``periods_ahead``
periods earlier), is on time until its deadline, accepts late entry for
``grace_days`` after the deadline (flagged late), then locks. A lock exception
granted from above reopens it for one unit and period until a date.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass


class WindowState(enum.StrEnum):
    NOT_OPEN = "not_open"
    OPEN = "open"
    LATE = "late"
    LOCKED = "locked"


@dataclass(frozen=True)
class EntryWindow:
    opens_on: datetime.date
    deadline: datetime.date | None
    locks_after: datetime.date | None

    def state_on(
        self, day: datetime.date, *, exception_until: datetime.date | None = None
    ) -> WindowState:
        """Return whether entry is possible on ``day``."""
        if exception_until is not None and day <= exception_until:
            if self.deadline is not None and day > self.deadline:
                return WindowState.LATE
            return WindowState.OPEN
        if day < self.opens_on:
            return WindowState.NOT_OPEN
        if self.deadline is None or day <= self.deadline:
            return WindowState.OPEN
        if self.locks_after is None or day <= self.locks_after:
            return WindowState.LATE
        return WindowState.LOCKED


def entry_window(
    *,
    period_start: datetime.date,
    previous_period_starts: list[datetime.date],
    deadline: datetime.date | None,
    grace_days: int | None,
) -> EntryWindow:
    """Build the window: ``previous_period_starts`` are the starts of the periods
    before this one, nearest first, as many as the form opens ahead."""
    opens_on = previous_period_starts[-1] if previous_period_starts else period_start
    locks_after = (
        deadline + datetime.timedelta(days=grace_days)
        if deadline is not None and grace_days is not None
        else None
    )
    return EntryWindow(opens_on=opens_on, deadline=deadline, locks_after=locks_after)


def days_left(deadline: datetime.date, today: datetime.date) -> int:
    """Return the days until ``deadline`` (negative when overdue)."""
    return (deadline - today).days
