"""My reports: what a reporter and a reviewer must do, in the order to do it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from orgunits.services import org_unit_create
from reporting.inbox import InboxFilters, countdown, inbox_page
from reporting.models import LockException, SubmissionStatus
from reporting.services import assignment_create
from tests.factories import make_user
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import (
    assign,
    catalog_version,
    make_submission,
    monthly_version,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 5)


@pytest.fixture
def tree():
    return make_small_tree()


@pytest.fixture
def monthly(tree):
    version = monthly_version()
    assign(version, tree.province, first_period="2026M1")
    return version


def rows(page):
    return [
        (item.role, item.template.code, item.unit.code, item.period.id, item.status)
        for item in page.items
    ]


# --- Countdown --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deadline", "words"),
    [
        (datetime.date(2026, 3, 8), "3 days left"),
        (datetime.date(2026, 3, 6), "1 day left"),
        (datetime.date(2026, 3, 5), "due today"),
        (datetime.date(2026, 3, 4), "1 day overdue"),
        (datetime.date(2026, 3, 3), "2 days overdue"),
        (None, "no deadline"),
    ],
)
def test_countdown_counts_days_to_the_deadline(deadline, words):
    with translation.override("en"):
        assert countdown(deadline, TODAY) == words


# --- A reporter ---------------------------------------------------------------------------


def test_reporter_sees_every_open_period_overdue_first_and_done_last(tree, monthly):
    # given a yearly form without deadline and a monthly one due 10 days after
    # each month, for a commune whose 2025 yearly report is already sent
    yearly = catalog_version()
    assign(yearly, tree.province, first_period="2025")
    make_submission(yearly, tree.commune, "2025", SubmissionStatus.SUBMITTED)
    make_submission(monthly, tree.commune, "2026M2", SubmissionStatus.DRAFT)
    reporter = make_user(role="reporter", unit=tree.commune)

    # when the reporter opens the inbox on 5 March 2026
    page = inbox_page(reporter, today=TODAY)

    # then January (overdue since 10/02) comes first, February's draft (due
    # 10/03) next, March (opened on 1 March, due 10/04) after, the yearly report
    # without deadline last among the things to do, and the sent report at the end
    code, yearly_code = monthly.template.code, yearly.template.code
    assert rows(page) == [
        ("report", code, "T9001", "2026M1", "not_started"),
        ("report", code, "T9001", "2026M2", "draft"),
        ("report", code, "T9001", "2026M3", "not_started"),
        ("report", yearly_code, "T9001", "2026", "not_started"),
        ("report", yearly_code, "T9001", "2025", "submitted"),
    ]
    january, february, march, _this_year, last_year = page.items
    assert january.deadline == datetime.date(2026, 2, 10)
    assert january.late and january.to_do
    assert not february.late and not last_year.to_do
    assert march.deadline == datetime.date(2026, 4, 10)
    with translation.override("en"):
        assert january.countdown == "23 days overdue"
        assert february.countdown == "5 days left"
        assert last_year.countdown == ""
    assert page.total == 5


def test_reporter_sees_only_their_own_unit(tree, monthly):
    reporter = make_user(role="reporter", unit=tree.commune)
    make_submission(monthly, tree.sibling_commune, "2026M1", SubmissionStatus.DRAFT)

    page = inbox_page(reporter, today=TODAY)

    assert {item.unit.pk for item in page.items} == {tree.commune.pk}


def test_a_locked_period_comes_after_the_open_ones_until_reopened(tree):
    # given a monthly form since October 2025: October locked on 10/12/2025
    version = monthly_version()
    assign(version, tree.province, first_period="2025M10", grace_days=30)
    reporter = make_user(role="reporter", unit=tree.commune)

    # then the locked months come after everything still open
    page = inbox_page(reporter, today=TODAY)
    assert [(item.period.id, item.locked) for item in page.items] == [
        ("2026M1", False),  # late, still accepted until 12/03
        ("2026M2", False),
        ("2026M3", False),
        ("2025M12", True),
        ("2025M11", True),
        ("2025M10", True),
    ]
    with translation.override("en"):
        assert page.items[-1].action_label == "Entry closed"

    # when a reviewer reopens October until the end of March
    LockException.objects.create(
        template=version.template,
        org_unit=tree.commune,
        period="2025M10",
        until=datetime.date(2026, 3, 31),
        reason="Bổ sung số liệu",
        granted_by=make_user(),
    )

    # then October is the first thing to do again (the most overdue)
    page = inbox_page(reporter, today=TODAY)
    assert page.items[0].period.id == "2025M10"
    assert not page.items[0].locked


def test_units_count_only_while_they_exist_and_named_units_count_too(tree):
    # given a commune that ended with 2025, and a district named in an assignment
    # of communes
    version = monthly_version()
    ended = org_unit_create(
        acting_user=None,
        code="T9003",
        name="Xã Cũ",
        level=tree.commune.level,
        parent=tree.district,
        valid_to=datetime.date(2026, 1, 31),
    )
    assign(version, tree.province, first_period="2026M1", units=[tree.district])
    reporter = make_user(role="reporter", unit=ended)
    role_on_district = make_user(role="reporter", unit=tree.district)

    # then the ended commune owes January only, and the district every month
    assert [i.period.id for i in inbox_page(reporter, today=TODAY).items] == ["2026M1"]
    assert inbox_page(role_on_district, today=TODAY).total == 3


def test_overlapping_assignments_give_one_row_from_the_newest(tree):
    version = monthly_version()
    assign(version, tree.province, first_period="2026M1")
    assign(version, tree.district, first_period="2026M1")
    reporter = make_user(role="reporter", unit=tree.commune)

    page = inbox_page(reporter, today=TODAY)

    assert [item.period.id for item in page.items] == ["2026M1", "2026M2", "2026M3"]


def test_periods_open_ahead_and_stop_at_the_last_period(tree):
    version = monthly_version()
    assignment_create(
        acting_user=None,
        form_version=version,
        root=tree.province,
        levels=[tree.commune.level],
        first_period="2026M2",
        last_period="2026M4",
        periods_ahead=1,
    )
    reporter = make_user(role="reporter", unit=tree.commune)

    page = inbox_page(reporter, today=TODAY)

    # April opened with March (one period ahead); the assignment ends with April
    assert sorted(item.period.id for item in page.items) == [
        "2026M2",
        "2026M3",
        "2026M4",
    ]


# --- A reviewer -----------------------------------------------------------------------------


def test_district_reviewer_sees_submitted_reports_below_only(tree, monthly):
    # given reports in both districts, submitted, draft and approved
    make_submission(monthly, tree.commune, "2026M2", SubmissionStatus.AWAITING_REVIEW)
    make_submission(
        monthly, tree.sibling_commune, "2026M1", SubmissionStatus.AWAITING_REVIEW
    )
    make_submission(monthly, tree.sibling_commune, "2026M2", SubmissionStatus.DRAFT)
    make_submission(monthly, tree.commune, "2026M1", SubmissionStatus.APPROVED)
    make_submission(
        monthly, tree.other_commune, "2026M1", SubmissionStatus.AWAITING_REVIEW
    )
    reviewer = make_user(role="reviewer", unit=tree.district)

    # when the district reviewer opens the inbox
    page = inbox_page(reviewer, today=TODAY)

    # then the submitted reports of its own communes await review, oldest
    # deadline first; drafts, approved reports and the other district stay out
    code = monthly.template.code
    assert rows(page) == [
        ("review", code, "T9002", "2026M1", "awaiting_review"),
        ("review", code, "T9001", "2026M2", "awaiting_review"),
    ]
    with translation.override("en"):
        assert page.items[0].action_label == "Review"

    # and a province reviewer sees the other district's too
    province_reviewer = make_user(role="reviewer", unit=tree.province)
    assert inbox_page(province_reviewer, today=TODAY).total == 3


def test_filters_by_form_period_and_status(tree, monthly):
    other = monthly_version("T02.T/THU-NGHIEM")
    assign(other, tree.province, first_period="2026M1")
    make_submission(monthly, tree.commune, "2026M1", SubmissionStatus.DRAFT)
    reporter = make_user(role="reporter", unit=tree.commune)

    def codes(**filters):
        page = inbox_page(reporter, filters=InboxFilters(**filters), today=TODAY)
        return [(i.template.code, i.period.id, i.status) for i in page.items]

    assert len(codes()) == 6
    assert len(codes(template_id=other.template.pk)) == 3
    assert codes(period_id="2026M1", template_id=monthly.template.pk) == [
        (monthly.template.code, "2026M1", "draft")
    ]
    assert codes(status="draft") == [(monthly.template.code, "2026M1", "draft")]
    assert codes(status="approved") == []


def test_pages_hold_per_page_rows_and_a_page_past_the_end_shows_the_last(tree, monthly):
    reviewer = make_user(role="reviewer", unit=tree.province)
    for unit in (tree.commune, tree.sibling_commune, tree.other_commune):
        make_submission(monthly, unit, "2026M1", SubmissionStatus.AWAITING_REVIEW)

    first = inbox_page(reviewer, per_page=2, page=1, today=TODAY)
    beyond = inbox_page(reviewer, per_page=2, page=9, today=TODAY)

    assert (len(first.items), first.total, first.num_pages) == (2, 3, 2)
    assert first.has_next and not first.has_previous
    assert (beyond.number, len(beyond.items)) == (2, 1)


def test_nobody_with_no_role_has_anything():
    assert inbox_page(make_user(), today=TODAY).total == 0


# --- Pages ------------------------------------------------------------------------------------
# The pages count days from the real today: the assignment ends with March 2026.


@pytest.fixture
def first_quarter(tree):
    version = monthly_version()
    assign(version, tree.province, first_period="2026M1", last_period="2026M3")
    return version


def test_inbox_page_lists_the_reports_with_links_to_entry(client, tree, first_quarter):
    monthly = first_quarter
    reporter = make_user(role="reporter", unit=tree.commune)
    client.force_login(reporter)

    response = client.get(reverse("reporting:inbox"), {"trang_thai": "not_started"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Xã An Hòa" in html
    assert "10/02/2026" in html  # January's deadline, dd/mm/yyyy
    entry = reverse(
        "reporting:entry",
        kwargs={
            "template_id": monthly.template.pk,
            "unit_id": tree.commune.pk,
            "period": "2026M1",
        },
    )
    assert f'href="{entry}"' in html
    assert response.context["page"].total == 3


def test_inbox_page_ignores_bad_filters_and_page_numbers(client, tree, first_quarter):
    client.force_login(make_user(role="reporter", unit=tree.commune))

    response = client.get(
        reverse("reporting:inbox"), {"bieu_mau": "x", "trang": "abc", "ky": "1"}
    )

    assert response.status_code == 200
    assert response.context["page"].total == 3


def test_home_shows_the_next_things_to_do(client, tree, first_quarter):
    monthly = first_quarter
    client.force_login(make_user(role="reporter", unit=tree.commune))

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert response.context["next_reports"].total == 3
    assert monthly.template.code in response.content.decode()


def test_inbox_needs_a_login(client):
    response = client.get(reverse("reporting:inbox"))
    assert response.status_code == 302
