"""Whole months and years between two civil dates, as the law counts them.

Civil Code art. 202: a period counted in months or years ends on the corresponding day of the
last month, or on that month's last day when it has no corresponding day. So a month after
31 January is complete on 28 (or 29) February, and a person born on 29 February reaches a new
age on 28 February in a common year. Ages and the months since a withdrawal follow this one
rule, so the two can never disagree about the same dates.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date


def whole_months(start: date, end: date) -> int:
    """Complete calendar months from `start` to `end` (ValueError if `end` is earlier)."""
    if end < start:
        raise ValueError("the end is before the start")
    months = (end.year - start.year) * 12 + end.month - start.month
    last_day_of_month = monthrange(end.year, end.month)[1]
    # The month under way is complete on its corresponding day, or on the month's last day
    # when it is shorter than the start's day (31 Jan -> 28 Feb).
    if end.day < start.day and end.day != last_day_of_month:
        months -= 1
    return months


def age_on(birth_date: date, on: date) -> int:
    """Age in whole years on `on` (ValueError if born after `on`)."""
    return whole_months(birth_date, on) // 12
