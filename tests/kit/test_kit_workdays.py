"""Working days: weekends and holidays off, make-up days (调休) on."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.kit.workdays import Calendar

CALENDAR = Calendar.of()


def test_a_friday_plus_one_working_day_is_the_monday() -> None:
    assert CALENDAR.add_workdays(date(2026, 11, 27), 1) == date(2026, 11, 30)
    assert CALENDAR.add_workdays(date(2026, 11, 27), 0) == date(2026, 11, 27)


def test_the_national_day_week_is_skipped_and_its_saturday_worked() -> None:
    # 30 Sep (Wed) + 1: 1-7 Oct are holidays, 8 Oct (Thu) is the first working day.
    assert CALENDAR.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    # 9 Oct (Fri) + 1: Saturday 10 Oct is a make-up working day.
    assert CALENDAR.add_workdays(date(2026, 10, 9), 1) == date(2026, 10, 10)


def test_the_spring_festival_and_an_operators_extra_holiday() -> None:
    assert CALENDAR.add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)  # Saturday, worked
    assert CALENDAR.add_workdays(date(2026, 2, 14), 1) == date(2026, 2, 24)
    extra = Calendar.of(holidays=[date(2027, 1, 1)])
    assert extra.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)


@given(st.dates(date(2026, 1, 1), date(2027, 12, 31)), st.integers(0, 60))
def test_n_working_days_later_is_a_working_day_with_exactly_n_in_between(
    start: date, days: int
) -> None:
    end = CALENDAR.add_workdays(start, days)
    between = [start + timedelta(n) for n in range(1, (end - start).days + 1)]
    assert sum(CALENDAR.is_workday(day) for day in between) == days
    assert days == 0 or CALENDAR.is_workday(end)
