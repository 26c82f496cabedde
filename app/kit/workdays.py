"""Working days in mainland China: weekends and public holidays off, make-up days (调休) on.

Statutory time limits (承诺时限) count working days. The calendar is data: the State Council's
annual notice lists the holidays and the weekend days worked instead; `CALENDAR_2026` is that
notice for 2026 (国办发明电〔2025〕 on the 2026 holiday arrangements). Operators add later years
(or correct these) through `QE_HOLIDAYS` / `QE_MAKEUP_WORKDAYS` without a release.
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


@dataclass(frozen=True, slots=True)
class Calendar:
    """Which days are worked."""

    holidays: frozenset[date]
    makeup_workdays: frozenset[date]

    @classmethod
    def of(cls, holidays: Iterable[date] = (), makeup_workdays: Iterable[date] = ()) -> Calendar:
        """The built-in calendar with these days added."""
        return cls(
            HOLIDAYS_2026 | frozenset(holidays), MAKEUP_WORKDAYS_2026 | frozenset(makeup_workdays)
        )

    def is_workday(self, day: date) -> bool:
        """Whether offices are open on `day`."""
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

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
