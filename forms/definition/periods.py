"""Reporting periods and their canonical ids.

| period type | id example | meaning |
|---|---|---|
| month | 2026M11 | November 2026 |
| quarter | 2026Q3 | third quarter |
| half_year | 2026S1 | first six months |
| nine_months | 2026N9 | January to September |
| year | 2026 | the calendar year |
| school_year | 2026-2027 | 1 September 2026 to 31 August 2027 |
| ad_hoc | 2026D0315 | one day (an ad hoc report as of 15/03/2026) |
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from forms.definition.model import DeadlineKind, DeadlineRule, PeriodType

_PATTERNS = [
    (PeriodType.MONTH, re.compile(r"(?P<year>\d{4})M(?P<n>\d{1,2})")),
    (PeriodType.QUARTER, re.compile(r"(?P<year>\d{4})Q(?P<n>[1-4])")),
    (PeriodType.HALF_YEAR, re.compile(r"(?P<year>\d{4})S(?P<n>[12])")),
    (PeriodType.NINE_MONTHS, re.compile(r"(?P<year>\d{4})N9")),
    (PeriodType.SCHOOL_YEAR, re.compile(r"(?P<year>\d{4})-(?P<next>\d{4})")),
    (PeriodType.AD_HOC, re.compile(r"(?P<year>\d{4})D(?P<month>\d{2})(?P<day>\d{2})")),
    (PeriodType.YEAR, re.compile(r"(?P<year>\d{4})")),
]


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    start: datetime.date
    end: datetime.date
    period_type: PeriodType
    id: str

    @property
    def label(self) -> str:
        """Return the Vietnamese label printed on forms ("Quý III năm 2026")."""
        year = self.start.year
        if self.period_type is PeriodType.MONTH:
            return f"Tháng {self.start.month} năm {year}"
        if self.period_type is PeriodType.QUARTER:
            return f"Quý {['I', 'II', 'III', 'IV'][(self.start.month - 1) // 3]} năm {year}"
        if self.period_type is PeriodType.HALF_YEAR:
            return f"6 tháng {'đầu' if self.start.month == 1 else 'cuối'} năm {year}"
        if self.period_type is PeriodType.NINE_MONTHS:
            return f"9 tháng năm {year}"
        if self.period_type is PeriodType.SCHOOL_YEAR:
            return f"Năm học {year}-{year + 1}"
        if self.period_type is PeriodType.AD_HOC:
            return f"Ngày {self.start:%d/%m/%Y}"
        return f"Năm {year}"

    def previous(self) -> Period:
        """Return the period just before this one, of the same type."""
        return period_containing(
            self.period_type, self.start - datetime.timedelta(days=1)
        )

    def same_period_last_year(self) -> Period:
        return parse_period(_shift_year(self.id, -1))


def _shift_year(period_id: str, years: int) -> str:
    if "-" in period_id:
        first, second = period_id.split("-")
        return f"{int(first) + years}-{int(second) + years}"
    return f"{int(period_id[:4]) + years}{period_id[4:]}"


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def parse_period(period_id: str) -> Period:
    """Return the period a canonical id names; raise PeriodError otherwise."""
    text = period_id.strip().upper()
    for period_type, pattern in _PATTERNS:
        match = pattern.fullmatch(text)
        if not match:
            continue
        year = int(match["year"])
        if not 1900 <= year <= 2200:
            break
        if period_type is PeriodType.MONTH:
            month = int(match["n"])
            if not 1 <= month <= 12:
                break
            return Period(
                datetime.date(year, month, 1),
                _month_end(year, month),
                period_type,
                f"{year}M{month}",
            )
        if period_type is PeriodType.QUARTER:
            quarter = int(match["n"])
            first = 3 * quarter - 2
            return Period(
                datetime.date(year, first, 1),
                _month_end(year, first + 2),
                period_type,
                text,
            )
        if period_type is PeriodType.HALF_YEAR:
            half = int(match["n"])
            first = 1 if half == 1 else 7
            return Period(
                datetime.date(year, first, 1),
                _month_end(year, first + 5),
                period_type,
                text,
            )
        if period_type is PeriodType.NINE_MONTHS:
            return Period(
                datetime.date(year, 1, 1), datetime.date(year, 9, 30), period_type, text
            )
        if period_type is PeriodType.SCHOOL_YEAR:
            if int(match["next"]) != year + 1:
                break
            return Period(
                datetime.date(year, 9, 1),
                datetime.date(year + 1, 8, 31),
                period_type,
                text,
            )
        if period_type is PeriodType.AD_HOC:
            try:
                day = datetime.date(year, int(match["month"]), int(match["day"]))
            except ValueError:
                break
            return Period(day, day, period_type, text)
        return Period(
            datetime.date(year, 1, 1), datetime.date(year, 12, 31), period_type, text
        )
    raise PeriodError(
        f"{period_id!r} is not a period id such as 2026M11, 2026Q3, 2026S1, 2026N9, 2026 or 2026-2027"
    )


def period_containing(period_type: PeriodType, day: datetime.date) -> Period:
    """Return the period of ``period_type`` that contains ``day``."""
    year = day.year
    if period_type is PeriodType.MONTH:
        return parse_period(f"{year}M{day.month}")
    if period_type is PeriodType.QUARTER:
        return parse_period(f"{year}Q{(day.month - 1) // 3 + 1}")
    if period_type is PeriodType.HALF_YEAR:
        return parse_period(f"{year}S{1 if day.month <= 6 else 2}")
    if period_type is PeriodType.NINE_MONTHS:
        return parse_period(f"{year if day.month <= 9 else year + 1}N9")
    if period_type is PeriodType.SCHOOL_YEAR:
        start = year if day.month >= 9 else year - 1
        return parse_period(f"{start}-{start + 1}")
    if period_type is PeriodType.AD_HOC:
        return parse_period(f"{year}D{day:%m%d}")
    return parse_period(str(year))


def deadline_for(rule: DeadlineRule, period: Period) -> datetime.date:
    """Return the date a report for ``period`` is due under ``rule``."""
    if rule.kind is DeadlineKind.DAYS_AFTER_PERIOD:
        return period.end + datetime.timedelta(days=rule.days or 0)
    year = period.end.year + (
        1 if rule.kind is DeadlineKind.FIXED_DATE_NEXT_YEAR else 0
    )
    day = min(rule.day, calendar.monthrange(year, rule.month)[1])
    return datetime.date(year, rule.month, day)
