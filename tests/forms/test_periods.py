"""Canonical period ids, their dates and labels, and deadlines."""

import datetime

import pytest

from forms.definition.model import DeadlineKind, DeadlineRule, PeriodType
from forms.definition.periods import (
    PeriodError,
    deadline_for,
    parse_period,
    period_containing,
)

D = datetime.date


@pytest.mark.parametrize(
    ("period_id", "start", "end", "label"),
    [
        ("2026M11", D(2026, 11, 1), D(2026, 11, 30), "Tháng 11 năm 2026"),
        ("2024M2", D(2024, 2, 1), D(2024, 2, 29), "Tháng 2 năm 2024"),
        ("2026Q3", D(2026, 7, 1), D(2026, 9, 30), "Quý III năm 2026"),
        ("2026S1", D(2026, 1, 1), D(2026, 6, 30), "6 tháng đầu năm 2026"),
        ("2026S2", D(2026, 7, 1), D(2026, 12, 31), "6 tháng cuối năm 2026"),
        ("2026N9", D(2026, 1, 1), D(2026, 9, 30), "9 tháng năm 2026"),
        ("2026", D(2026, 1, 1), D(2026, 12, 31), "Năm 2026"),
        ("2026-2027", D(2026, 9, 1), D(2027, 8, 31), "Năm học 2026-2027"),
        ("2026D0315", D(2026, 3, 15), D(2026, 3, 15), "Ngày 15/03/2026"),
    ],
)
def test_period_ids(period_id, start, end, label):
    period = parse_period(period_id)
    assert (period.start, period.end, period.label) == (start, end, label)
    assert parse_period(period.id) == period


@pytest.mark.parametrize(
    "bad", ["2026M13", "2026Q5", "2026-2028", "26", "2026D0230", "abc", ""]
)
def test_bad_period_ids_are_refused(bad):
    with pytest.raises(PeriodError):
        parse_period(bad)


def test_previous_and_same_period_last_year():
    assert parse_period("2026M1").previous().id == "2025M12"
    assert parse_period("2026Q1").previous().id == "2025Q4"
    assert parse_period("2026-2027").previous().id == "2025-2026"
    assert parse_period("2026Q3").same_period_last_year().id == "2025Q3"


def test_period_containing_a_day():
    assert period_containing(PeriodType.QUARTER, D(2026, 8, 15)).id == "2026Q3"
    assert period_containing(PeriodType.SCHOOL_YEAR, D(2027, 3, 1)).id == "2026-2027"


@pytest.mark.parametrize(
    ("rule", "period_id", "due"),
    [
        (
            DeadlineRule(DeadlineKind.DAYS_AFTER_PERIOD, days=15),
            "2026M11",
            D(2026, 12, 15),
        ),
        (
            DeadlineRule(DeadlineKind.FIXED_DATE_SAME_YEAR, day=15, month=12),
            "2026",
            D(2026, 12, 15),
        ),
        (
            DeadlineRule(DeadlineKind.FIXED_DATE_NEXT_YEAR, day=20, month=1),
            "2026",
            D(2027, 1, 20),
        ),
        (
            DeadlineRule(DeadlineKind.FIXED_DATE_SAME_YEAR, day=6, month=6),
            "2026S1",
            D(2026, 6, 6),
        ),
    ],
)
def test_deadlines(rule, period_id, due):
    assert deadline_for(rule, parse_period(period_id)) == due
