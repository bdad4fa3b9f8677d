"""Entry windows and lock exceptions, table-driven over dates.

A period opens when it starts (or N periods ahead), is on time until its deadline,
accepts late entry (flagged late) for the grace days, then locks; a lock exception
granted by a reviewer strictly above the unit reopens it until a day. The same table
runs against the pure engine and through the services with real assignments.
"""

import datetime
import json
from dataclasses import dataclass

import pytest

from forms.definition.periods import parse_period
from forms.services import form_import
from reporting.engine.window import WindowState, entry_window
from reporting.selectors import user_can_grant_lock_exception
from reporting.services import (
    ReportError,
    SubmissionNotEditable,
    lock_exception_grant,
    submission_open,
    submission_save_draft,
)
from reporting.windows import window_banner_of
from tests.factories import make_user
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import CATALOG, assign
from workflow.services import submission_submit

D = datetime.date
OPEN, LATE, LOCKED, NOT_OPEN = (
    WindowState.OPEN,
    WindowState.LATE,
    WindowState.LOCKED,
    WindowState.NOT_OPEN,
)
PERIOD = "2026M3"  # 01/03/2026 – 31/03/2026
DEADLINE_DAYS = 10  # due 10/04/2026
DEADLINE = D(2026, 4, 10)


@dataclass(frozen=True)
class Case:
    day: datetime.date
    expected: WindowState
    periods_ahead: int = 0
    grace_days: int | None = 5
    exception_until: datetime.date | None = None


CASES = [
    pytest.param(Case(D(2026, 2, 28), NOT_OPEN), id="the day before the period"),
    pytest.param(Case(D(2026, 3, 1), OPEN), id="the period's first day"),
    pytest.param(Case(D(2026, 3, 31), OPEN), id="the period's last day"),
    pytest.param(Case(D(2026, 1, 31), NOT_OPEN, 1), id="1 ahead: before February"),
    pytest.param(Case(D(2026, 2, 1), OPEN, 1), id="1 ahead: February opens it"),
    pytest.param(Case(D(2025, 12, 31), NOT_OPEN, 2), id="2 ahead: before January"),
    pytest.param(Case(D(2026, 1, 1), OPEN, 2), id="2 ahead: January opens it"),
    pytest.param(Case(DEADLINE, OPEN), id="on the deadline"),
    pytest.param(Case(D(2026, 4, 11), LATE), id="the day after the deadline"),
    pytest.param(Case(D(2026, 4, 15), LATE), id="the last grace day"),
    pytest.param(Case(D(2026, 4, 16), LOCKED), id="the day after the grace days"),
    pytest.param(Case(D(2026, 4, 11), LOCKED, grace_days=0), id="no grace days"),
    pytest.param(Case(D(2027, 4, 16), LATE, grace_days=None), id="never locks"),
    pytest.param(
        Case(D(2026, 4, 16), LATE, exception_until=D(2026, 4, 20)),
        id="reopened by an exception",
    ),
    pytest.param(
        Case(D(2026, 4, 20), LATE, exception_until=D(2026, 4, 20)),
        id="the exception's last day",
    ),
    pytest.param(
        Case(D(2026, 4, 21), LOCKED, exception_until=D(2026, 4, 20)),
        id="the day after the exception",
    ),
    pytest.param(
        Case(D(2026, 4, 16), LOCKED, exception_until=D(2026, 4, 14)),
        id="an exception that ended before the lock",
    ),
]


def previous_starts(period_id: str, count: int) -> list[datetime.date]:
    starts, cursor = [], parse_period(period_id)
    for _ in range(count):
        cursor = cursor.previous()
        starts.append(cursor.start)
    return starts


# --- The pure engine ---------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_window_state_on_a_day(case):
    window = entry_window(
        period_start=parse_period(PERIOD).start,
        previous_period_starts=previous_starts(PERIOD, case.periods_ahead),
        deadline=DEADLINE,
        grace_days=case.grace_days,
    )
    assert window.state_on(case.day, exception_until=case.exception_until) is (
        case.expected
    )


@pytest.mark.parametrize(
    "day, expected",
    [(D(2026, 2, 28), NOT_OPEN), (D(2026, 3, 1), OPEN), (D(2030, 1, 1), OPEN)],
)
def test_a_form_without_deadline_stays_open_once_open(day, expected):
    window = entry_window(
        period_start=D(2026, 3, 1),
        previous_period_starts=[],
        deadline=None,
        grace_days=30,
    )
    assert window.state_on(day) is expected


# --- Through the services, with real assignments -----------------------------------------


def monthly_version(*, code="9901.T/THU-NGHIEM", days=DEADLINE_DAYS):
    """A published monthly form due ``days`` after the month ends (from the catalog
    form 0603, renamed)."""
    document = json.loads((CATALOG / "0603.N_BNV-TDKT.form.json").read_text())
    document.update(
        code=code,
        period_type="month",
        deadlines=[
            {
                "kind": "days_after_period",
                "days": days,
                "label": f"Ngày {days} tháng sau",
            }
        ],
    )
    version, _created = form_import(
        acting_user=None, text=json.dumps(document, ensure_ascii=False)
    )
    return version


@pytest.fixture
def tree(db):
    return make_small_tree()


@pytest.fixture
def people(tree):
    return {
        "province reviewer": make_user(role="reviewer", unit=tree.province),
        "district reviewer": make_user(role="reviewer", unit=tree.district),
        "commune reviewer": make_user(role="reviewer", unit=tree.commune),
        "commune reporter": make_user(role="reporter", unit=tree.commune),
        "district reporter": make_user(role="reporter", unit=tree.district),
        "other district reviewer": make_user(role="reviewer", unit=tree.other_district),
        "sibling commune reviewer": make_user(
            role="reviewer", unit=tree.sibling_commune
        ),
        "province analyst": make_user(role="analyst", unit=tree.province),
        "superuser": make_user(is_superuser=True),
    }


@pytest.mark.parametrize("case", CASES)
def test_saving_and_submitting_follow_the_window(tree, people, case):
    # given a monthly form assigned to the communes with the case's options
    version = monthly_version()
    assign(
        version,
        tree.province,
        first_period="2025M1",
        periods_ahead=case.periods_ahead,
        grace_days=case.grace_days,
    )
    reporter = people["commune reporter"]
    submission = submission_open(
        acting_user=reporter, form_version=version, unit=tree.commune, period=PERIOD
    )
    if case.exception_until:
        lock_exception_grant(
            acting_user=people["province reviewer"],
            submission_template=version.template,
            unit=tree.commune,
            period=PERIOD,
            until=case.exception_until,
            reason="Mất điện cả tuần cuối tháng",
        )

    # then the report's banner says the expected state
    banner = window_banner_of(submission, user=reporter, today=case.day)
    assert banner.state is case.expected

    # and saving then submitting on that day is allowed only while open or late
    def save_and_submit():
        submission_save_draft(
            acting_user=reporter,
            submission=submission,
            raw_values={"02:2": "4"},
            base_revision=0,
            today=case.day,
        )
        return submission_submit(
            acting_user=reporter, submission=submission, base_revision=1, today=case.day
        )

    if case.expected in {LOCKED, NOT_OPEN}:
        with pytest.raises(SubmissionNotEditable):
            save_and_submit()
        assert submission.revisions.count() == 0
        return
    save_and_submit()
    submission.refresh_from_db()
    assert submission.status == "submitted"
    assert submission.submitted_late is (case.expected is LATE)


@pytest.mark.parametrize(
    "who, may_grant",
    [
        ("province reviewer", True),
        ("district reviewer", True),
        ("superuser", True),
        ("commune reviewer", False),
        ("commune reporter", False),
        ("district reporter", False),
        ("other district reviewer", False),
        ("sibling commune reviewer", False),
        ("province analyst", False),
    ],
)
def test_only_a_reviewer_strictly_above_may_grant_a_lock_exception(
    tree, people, who, may_grant
):
    version = monthly_version()
    assign(version, tree.province, first_period="2025M1", grace_days=5)
    user = people[who]
    assert user_can_grant_lock_exception(user, tree.commune) is may_grant

    def grant():
        return lock_exception_grant(
            acting_user=user,
            submission_template=version.template,
            unit=tree.commune,
            period=PERIOD,
            until=D(2026, 4, 30),
            reason="Cán bộ thống kê nghỉ ốm",
        )

    if not may_grant:
        with pytest.raises(ReportError):
            grant()
        return
    exception = grant()
    assert (exception.org_unit, exception.period, exception.granted_by) == (
        tree.commune,
        PERIOD,
        user,
    )
    # and the commune's locked report reopens, late, until that day
    reporter = people["commune reporter"]
    submission = submission_open(
        acting_user=reporter, form_version=version, unit=tree.commune, period=PERIOD
    )
    assert window_banner_of(submission, today=D(2026, 4, 30)).state is LATE
    assert window_banner_of(submission, today=D(2026, 5, 1)).state is LOCKED
