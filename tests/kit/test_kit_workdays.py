"""Working days: weekends and holidays off, make-up days (调休) on."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.kit.workdays import Calendar, provisional_note

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


@given(st.dates(date(2026, 1, 1), date(2030, 12, 31)), st.integers(0, 60))
def test_n_working_days_later_is_a_working_day_with_exactly_n_in_between(
    start: date, days: int
) -> None:
    end = CALENDAR.add_workdays(start, days)
    between = [start + timedelta(n) for n in range(1, (end - start).days + 1)]
    assert sum(CALENDAR.is_workday(day) for day in between) == days
    assert days == 0 or CALENDAR.is_workday(end)


# Years without an official calendar -------------------------------------------------------------

FIXED = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}


def test_new_years_day_2027_is_a_holiday_before_any_notice() -> None:
    assert not CALENDAR.is_workday(date(2027, 1, 1))  # a Friday
    assert CALENDAR.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_twenty_working_days_from_saturday_5_december_2026() -> None:
    # Counted by hand from Saturday 5 Dec (not counted): 7-11 Dec (5), 14-18 (10), 21-25 (15),
    # 28-31 Dec (19); Friday 1 Jan 2027 is 元旦 and 2-3 Jan a weekend; Monday 4 Jan is the 20th.
    # (Without 元旦 the count ended on the holiday itself.)
    assert CALENDAR.add_workdays(date(2026, 12, 5), 20) == date(2027, 1, 4)


def test_labour_day_and_national_day_2027_are_holidays() -> None:
    for day in (1, 2):
        assert not CALENDAR.is_workday(date(2027, 5, day))
    for day in (1, 2, 3):
        assert not CALENDAR.is_workday(date(2027, 10, day))
    # 2028's fall on weekdays: 1-2 May are Monday and Tuesday, 2-3 October too.
    for day in (date(2028, 5, 1), date(2028, 5, 2), date(2028, 10, 2), date(2028, 10, 3)):
        assert day.weekday() < 5
        assert not CALENDAR.is_workday(day)
    assert CALENDAR.add_workdays(date(2028, 4, 28), 1) == date(2028, 5, 3)  # Friday + 1


@given(st.dates(date(2027, 1, 1), date(2099, 12, 31)))
def test_a_provisional_year_is_weekends_and_the_fixed_date_holidays_only(day: date) -> None:
    expected = day.weekday() < 5 and (day.month, day.day) not in FIXED
    assert CALENDAR.is_workday(day) == expected


def test_an_operators_days_apply_to_a_provisional_year() -> None:
    # 春节 2027 as an operator might enter it before declaring the year official.
    spring = [date(2027, 2, 5) + timedelta(n) for n in range(7)]  # Fri 5 - Thu 11 Feb
    calendar = Calendar.of(holidays=spring, makeup_workdays=[date(2027, 2, 13)])  # a Saturday
    assert not any(calendar.is_workday(day) for day in spring)
    assert calendar.is_workday(date(2027, 2, 13))
    assert calendar.add_workdays(date(2027, 2, 4), 1) == date(2027, 2, 12)
    assert calendar.add_workdays(date(2027, 2, 12), 1) == date(2027, 2, 13)
    assert not calendar.is_workday(date(2027, 1, 1)), "the fixed-date holidays still count"
    assert calendar.provisional_years_between(date(2027, 2, 4), date(2027, 2, 13)) == (2027,)


def test_official_years_and_the_provisional_ones_of_a_span() -> None:
    assert CALENDAR.official_years == frozenset({2026})
    assert CALENDAR.is_official(2026)
    assert not CALENDAR.is_official(2027)
    assert CALENDAR.provisional_years_between(date(2026, 1, 1), date(2026, 12, 31)) == ()
    assert CALENDAR.provisional_years_between(date(2026, 12, 5), date(2027, 1, 4)) == (2027,)
    assert CALENDAR.provisional_years_between(date(2025, 6, 1), date(2028, 1, 1)) == (
        2025, 2027, 2028,
    )  # fmt: skip
    with pytest.raises(ValueError, match="before"):
        CALENDAR.provisional_years_between(date(2027, 1, 4), date(2026, 12, 5))


def test_a_year_declared_official_follows_only_its_declared_days() -> None:
    # 2027 entered completely (its weekday holidays only, for the test) and declared official.
    entered = [date(2027, 1, 1), date(2027, 10, 1), date(2027, 10, 4)]
    calendar = Calendar.of(holidays=entered, official_years=[2027])
    assert calendar.is_official(2027)
    assert calendar.provisional_years_between(date(2026, 12, 5), date(2027, 1, 4)) == ()
    assert calendar.add_workdays(date(2026, 12, 5), 20) == date(2027, 1, 4)
    assert not calendar.is_workday(date(2027, 10, 4)), "a day in lieu (补假) the notice names"


def test_a_year_cannot_be_declared_official_before_its_days_are_entered() -> None:
    with pytest.raises(ValueError, match=r"2027.*2027-01-01, 2027-10-01"):
        Calendar.of(official_years=[2027])


@given(
    st.dates(date(2026, 1, 1), date(2030, 12, 31)),
    st.integers(0, 60),
    st.frozensets(st.dates(date(2026, 1, 1), date(2031, 6, 30)), max_size=20),
)
def test_more_holidays_never_bring_a_deadline_forward(
    start: date, days: int, extra: frozenset[date]
) -> None:
    # Why a provisional count can only end early: an official notice adds days off (a lunar
    # holiday, a day in lieu) to the fixed-date ones (make-up days aside).
    assert Calendar.of(holidays=extra).add_workdays(start, days) >= CALENDAR.add_workdays(
        start, days
    )


def test_the_note_for_a_provisional_count() -> None:
    assert provisional_note([]) is None
    note = provisional_note([2027])
    assert note is not None
    assert note.zh == (
        "2027 年尚无国务院放假安排，按法定节假日日期推算（元旦、劳动节、国庆节），"
        "可能与正式安排不同"
    )
    assert "2027" in note.en
    assert "New Year's Day, Labour Day, National Day" in note.en
    both = provisional_note([2028, 2027, 2028])
    assert both is not None
    assert both.zh.startswith("2027、2028 年尚无")
    assert "2027 and 2028" in both.en
