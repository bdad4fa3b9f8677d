"""The inbox ("My reports"): what each person must report or review, next first.

A reporter sees every report its units owe, from each assignment's first period to
the last one open today. A reviewer sees the submitted reports of the units below
them, awaiting review. Rows are generated, filtered, sorted and paged in one SQL
query (``reporting.obligations``), so a province reviewer's 40,000 obligations never
pass through Python.
"""

# ruff: noqa: S608 (the SQL is built from fixed fragments; every value is a parameter)

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.roles import Role
from forms.definition.periods import Period, parse_period
from forms.models import FormTemplate
from orgunits.models import OrgUnit
from orgunits.selectors import grants_of
from reporting.engine.window import days_left
from reporting.models import SubmissionStatus
from reporting.obligations import (
    NOT_STARTED,
    SHOWN_STATUS_SQL,
    TO_DO_STATUSES,
    Slot,
    UnitScope,
    assignments_touching,
    expected_sql,
    slot_values_sql,
    slots_of,
)

PAGE_SIZE = 25

STATUS_LABELS = {
    NOT_STARTED: gettext_lazy("Not started"),
    SubmissionStatus.DRAFT.value: SubmissionStatus.DRAFT.label,
    SubmissionStatus.SUBMITTED.value: SubmissionStatus.SUBMITTED.label,
    SubmissionStatus.RETURNED.value: SubmissionStatus.RETURNED.label,
    SubmissionStatus.AWAITING_REVIEW.value: SubmissionStatus.AWAITING_REVIEW.label,
    # Approved by every level, accepted or not.
    SubmissionStatus.APPROVED.value: gettext_lazy("Approved"),
}

REPORT = "report"
REVIEW = "review"


def countdown(deadline: datetime.date | None, today: datetime.date) -> str:
    """Return the time left to ``deadline`` in words: "còn 3 ngày", "hạn hôm nay",
    "quá hạn 2 ngày" (through the catalogue)."""
    if deadline is None:
        return _("no deadline")
    days = days_left(deadline, today)
    if days > 0:
        return ngettext("%(days)d day left", "%(days)d days left", days) % {
            "days": days
        }
    if days == 0:
        return _("due today")
    return ngettext("%(days)d day overdue", "%(days)d days overdue", -days) % {
        "days": -days
    }


@dataclass(frozen=True)
class InboxFilters:
    template_id: int | None = None
    period_id: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class InboxItem:
    """One report to do, or done: its form, unit, period, status and deadline."""

    role: str
    template: FormTemplate
    unit: OrgUnit
    period: Period
    status: str
    deadline: datetime.date | None
    locked: bool
    submitted_late: bool
    last_change: datetime.datetime | None
    today: datetime.date

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def to_do(self) -> bool:
        if self.role == REVIEW:
            return True
        return self.status in TO_DO_STATUSES and not self.locked

    @property
    def late(self) -> bool:
        if self.status in TO_DO_STATUSES:
            return self.deadline is not None and self.today > self.deadline
        return self.submitted_late

    @property
    def countdown(self) -> str:
        """Time left for the reporter, while the report is theirs to send."""
        if self.role == REPORT and self.status in TO_DO_STATUSES:
            return countdown(self.deadline, self.today)
        return ""

    @property
    def action_label(self) -> str:
        if self.role == REVIEW:
            return _("Review")
        if self.locked and self.status in TO_DO_STATUSES:
            return _("Entry closed")
        if self.status in TO_DO_STATUSES:
            return _("Enter") if self.status == NOT_STARTED else _("Continue")
        return _("View")


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    number: int
    total: int
    per_page: int

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


@dataclass(frozen=True)
class Inbox:
    """The slots behind a user's inbox: what their filters can choose from."""

    report_slots: list[Slot]
    review_slots: list[Slot]
    reporter_unit_ids: list[int]
    reviewer_paths: list[str]

    @property
    def templates(self) -> list[FormTemplate]:
        found = {
            slot.template_id: slot.assignment.template
            for slot in self.report_slots + self.review_slots
        }
        return sorted(found.values(), key=lambda template: template.code)

    @property
    def periods(self) -> list[Period]:
        found = {slot.period for slot in self.report_slots + self.review_slots}
        return sorted(
            found, key=lambda period: (period.start, period.end), reverse=True
        )


def inbox_of(user, *, today: datetime.date | None = None) -> Inbox:
    """Return what ``user`` reports (the units they hold the reporter role on) and
    reviews (the units strictly below their reviewer roles), as slots."""
    today = today or timezone.localdate()
    grants = grants_of(user)
    reporter_ids = sorted({g.unit_id for g in grants if g.role == Role.REPORTER})
    reviewer_paths = sorted({g.path for g in grants if g.role == Role.REVIEWER})
    reporting = assignments_touching(unit_ids=reporter_ids) if reporter_ids else []
    reviewing = assignments_touching(paths=reviewer_paths) if reviewer_paths else []
    return Inbox(
        report_slots=slots_of(reporting, today=today),
        review_slots=slots_of(reviewing, today=today),
        reporter_unit_ids=reporter_ids,
        reviewer_paths=reviewer_paths,
    )


def _chosen(slots: list[Slot], filters: InboxFilters) -> list[Slot]:
    return [
        slot
        for slot in slots
        if (filters.template_id is None or slot.template_id == filters.template_id)
        and (filters.period_id is None or slot.period.id == filters.period_id)
    ]


def inbox_page(
    user,
    *,
    filters: InboxFilters | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    today: datetime.date | None = None,
    inbox: Inbox | None = None,
) -> InboxPage:
    """Return one page of ``user``'s inbox, the next thing to do first: reports to
    send or review before reports done; among them, overdue first, then the nearest
    deadline; reports whose entry closed come after the open ones."""
    today = today or timezone.localdate()
    filters = filters or InboxFilters()
    inbox = inbox or inbox_of(user, today=today)
    report_slots = _chosen(inbox.report_slots, filters)
    review_slots = _chosen(inbox.review_slots, filters)
    page = max(1, page)
    if not report_slots and not review_slots:
        return InboxPage([], 1, 0, per_page)
    sql, params = _inbox_sql(
        inbox, report_slots, review_slots, filters=filters, today=today
    )
    paged = f"{sql} LIMIT %s OFFSET %s"
    rows = _fetch(paged, [*params, per_page, (page - 1) * per_page])
    if not rows and page > 1:
        total = _fetch(f"SELECT count(*) FROM ({sql}) counted", params)[0][0]
        page = max(1, math.ceil(total / per_page))
        rows = _fetch(paged, [*params, per_page, (page - 1) * per_page])
    total = rows[0][-1] if rows else 0
    return InboxPage(_items(rows, today=today), page, total, per_page)


def _inbox_sql(
    inbox: Inbox,
    report_slots: list[Slot],
    review_slots: list[Slot],
    *,
    filters: InboxFilters,
    today: datetime.date,
) -> tuple[str, list]:
    slots = report_slots + review_slots
    values, params = slot_values_sql(slots)
    obligations = []
    if report_slots:
        sql, more = expected_sql(report_slots, UnitScope.units(inbox.reporter_unit_ids))
        obligations.append(f"SELECT 'report' AS role, r.* FROM ({sql}) r")
        params += more
    if review_slots:
        sql, more = expected_sql(
            review_slots, UnitScope.below(inbox.reviewer_paths, strictly=True)
        )
        obligations.append(f"SELECT 'review' AS role, r.* FROM ({sql}) r")
        params += more
    status_filter = ""
    if filters.status:
        status_filter = "WHERE i.status = %s"
    query = f"""
        WITH {values},
        obligation AS ({" UNION ALL ".join(obligations)}),
        item AS (
            SELECT o.*, {SHOWN_STATUS_SQL} AS status, s.updated_at,
                   coalesce(s.submitted_late, FALSE) AS submitted_late
            FROM obligation o
            LEFT JOIN reporting_submission s
              ON s.template_id = o.template_id AND s.org_unit_id = o.unit_id
             AND s.period = o.period
            WHERE o.role = 'report' OR s.status = 'awaiting_review'
        ),
        flagged AS (
            SELECT i.*,
                   (i.role = 'report' AND i.locks_after IS NOT NULL
                    AND i.locks_after < %s
                    AND NOT EXISTS (
                        SELECT 1 FROM reporting_lockexception x
                        WHERE x.template_id = i.template_id
                          AND x.org_unit_id = i.unit_id
                          AND x.period = i.period AND x.until >= %s)) AS locked
            FROM item i {status_filter}
        ),
        ranked AS (
            SELECT f.*,
                   CASE WHEN f.role = 'review'
                          OR (f.status = ANY(%s) AND NOT f.locked)
                        THEN 0 ELSE 1 END AS rank
            FROM flagged f
        )
        SELECT r.role, r.template_id, r.unit_id, r.period, r.status, r.deadline,
               r.locked, r.submitted_late, r.updated_at, count(*) OVER () AS total
        FROM ranked r
        ORDER BY r.rank, CASE WHEN r.rank = 0 THEN r.deadline END ASC NULLS LAST,
                 r.deadline DESC NULLS LAST, r.period_start DESC, r.template_id,
                 r.unit_path, r.role
    """
    params += [today, today]
    if filters.status:
        params.append(filters.status)
    params.append(list(TO_DO_STATUSES))
    return query, params


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _items(rows: list[tuple], *, today: datetime.date) -> list[InboxItem]:
    templates = FormTemplate.objects.in_bulk({row[1] for row in rows})
    units = OrgUnit.objects.select_related("level").in_bulk({row[2] for row in rows})
    return [
        InboxItem(
            role=role,
            template=templates[template_id],
            unit=units[unit_id],
            period=parse_period(period),
            status=status,
            deadline=deadline,
            locked=locked,
            submitted_late=submitted_late,
            last_change=updated_at,
            today=today,
        )
        for (
            role,
            template_id,
            unit_id,
            period,
            status,
            deadline,
            locked,
            submitted_late,
            updated_at,
            _total,
        ) in rows
    ]
