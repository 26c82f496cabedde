"""Working days in mainland China: weekends and public holidays off, make-up days (调休) on.

Statutory time limits (承诺时限) count working days. The calendar is data: the State Council's
annual notice lists the holidays and the weekend days worked instead; `HOLIDAYS_2026` and
`MAKEUP_WORKDAYS_2026` are that notice for 2026 (国办发明电〔2025〕 on the 2026 holiday
arrangements). Operators add later years (or correct these) through `QE_HOLIDAYS` /
`QE_MAKEUP_WORKDAYS` without a release, and declare a year they entered completely with
`QE_OFFICIAL_CALENDAR_YEARS` (`Settings.working_calendar()` builds the calendar from them).

A year without an official calendar is *provisional*: it counts the statutory holidays that fall
on fixed dates under 《全国年节及纪念日放假办法》 (as revised in 2024, in force from 2025): 元旦
1 January, 劳动节 1-2 May, 国庆节 1-3 October. What it cannot know, it does not guess: 春节,
端午节 and 中秋节 follow the lunar calendar and 清明节 a solar term, so none has a fixed date;
a statutory holiday falling on a weekend is made up on a working day (补假), and the State
Council arranges make-up working days, on days only its notice names. A provisional count may
therefore end earlier than the official one will: callers say so with `provisional_note`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


def _days(start: str, end: str) -> frozenset[date]:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return frozenset(first + timedelta(days=n) for n in range((last - first).days + 1))


HOLIDAYS_2026 = (
    _days("2026-01-01", "2026-01-03")  # 元旦
    | _days("2026-02-15", "2026-02-23")  # 春节
    | _days("2026-04-04", "2026-04-06")  # 清明节
    | _days("2026-05-01", "2026-05-05")  # 劳动节
    | _days("2026-06-19", "2026-06-21")  # 端午节
    | _days("2026-09-25", "2026-09-27")  # 中秋节
    | _days("2026-10-01", "2026-10-07")  # 国庆节
)
MAKEUP_WORKDAYS_2026 = frozenset(
    date.fromisoformat(day)
    for day in ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10")
)
# The years whose State Council arrangement is built in.
OFFICIAL_YEARS = frozenset({2026})

# (month, day) of the statutory holidays fixed by date: 元旦, 劳动节, 国庆节.
_FIXED_DATES = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))


def statutory_fixed_holidays(year: int) -> frozenset[date]:
    """The statutory holidays of `year` that have fixed dates (元旦, 劳动节, 国庆节)."""
    return frozenset(date(year, month, day) for month, day in _FIXED_DATES)


@dataclass(frozen=True, slots=True)
class ProvisionalNote:
    """What to tell a reader of a date counted over provisional years, in both languages."""

    zh: str
    en: str


def provisional_note(years: Iterable[int]) -> ProvisionalNote | None:
    """The note for a date counted over `years` without an official calendar; None if none."""
    ordered = sorted(set(years))
    if not ordered:
        return None
    zh_years = "、".join(str(year) for year in ordered)
    en_years = " and ".join(str(year) for year in ordered)
    return ProvisionalNote(
        zh=(
            f"{zh_years} 年尚无国务院放假安排，按法定节假日日期推算（元旦、劳动节、国庆节），"
            "可能与正式安排不同"
        ),
        en=(
            f"The State Council has not yet published the holiday arrangement for {en_years}: "
            "working days were counted with the statutory holidays that have fixed dates "
            "(New Year's Day, Labour Day, National Day) and may differ from the official "
            "arrangement"
        ),
    )


@dataclass(frozen=True, slots=True)
class Calendar:
    """Which days are worked: the declared days, and fixed-date holidays in provisional years."""

    # Declared: the built-in official calendars and the operator's days.
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    # Years whose declared days are the whole official arrangement.
    official_years: frozenset[int]

    @classmethod
    def of(
        cls,
        holidays: Iterable[date] = (),
        makeup_workdays: Iterable[date] = (),
        official_years: Iterable[int] = (),
    ) -> Calendar:
        """The built-in calendar with these days added and these years declared official.

        ValueError when a year declared official lacks a fixed-date statutory holiday that falls
        on a weekday: such a year was declared before its days were entered.
        """
        calendar = cls(
            HOLIDAYS_2026 | frozenset(holidays),
            MAKEUP_WORKDAYS_2026 | frozenset(makeup_workdays),
            OFFICIAL_YEARS | frozenset(official_years),
        )
        for year in sorted(calendar.official_years):
            missing = sorted(
                day
                for day in statutory_fixed_holidays(year)
                if day.weekday() < 5 and day not in calendar.holidays
            )
            if missing:
                days = ", ".join(day.isoformat() for day in missing)
                raise ValueError(f"{year} is declared official but lacks its holidays: {days}")
        return calendar

    def is_official(self, year: int) -> bool:
        """Whether `year` follows an official arrangement (else it is provisional)."""
        return year in self.official_years

    def is_workday(self, day: date) -> bool:
        """Whether offices are open on `day`."""
        if day in self.makeup_workdays:
            return True
        if day.weekday() >= 5 or day in self.holidays:
            return False
        return self.is_official(day.year) or day not in statutory_fixed_holidays(day.year)

    def add_workdays(self, start: date, days: int) -> date:
        """The day `days` working days after `start` (start itself not counted); `start` for 0.

        An application submitted on a Friday with a limit of 1 working day is due on Monday.
        """
        day = start
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day

    def provisional_years_between(self, start: date, end: date) -> tuple[int, ...]:
        """The years from `start` to `end` (both included) without an official calendar, in
        order: a date counted over them may move once their arrangement is published."""
        if end < start:
            raise ValueError("end is before start")
        return tuple(year for year in range(start.year, end.year + 1) if not self.is_official(year))
