"""Statutory deadlines of cases, in working days, on the calendar of Asia/Shanghai.

A case is due `time_limit_days` working days after it is filed; a case the rules referred to a
clerk is due QE_REFERRAL_WORKDAYS (or the service's own limit) working days after the referral,
counting from the next working day, so a referral on a Saturday does not make the case overdue
on Monday morning.
"""

from __future__ import annotations

from datetime import date

from app.config import Settings, get_settings
from app.kit.clock import SHANGHAI, utcnow
from app.kit.workdays import Calendar, ProvisionalNote, provisional_note
from app.services.catalog.schemas import ServiceDetail


def today() -> date:
    """Today in Asia/Shanghai, where deadlines are counted."""
    return utcnow().astimezone(SHANGHAI).date()


def calendar(settings: Settings) -> Calendar:
    """The working-day calendar, with the operator's additions."""
    return settings.working_calendar()


def note(filed_on: date, due: date) -> ProvisionalNote | None:
    """What to tell the reader of a deadline counted over years without an official holiday
    calendar (the statutory holidays are then counted by date: 元旦, 劳动节, 国庆)."""
    return provisional_note(calendar(get_settings()).provisional_years_between(filed_on, due))


def for_submission(settings: Settings, service: ServiceDetail, filed_on: date) -> date:
    """When a case filed on `filed_on` is due (the same day for services decided on the spot)."""
    return calendar(settings).add_workdays(filed_on, service.time_limit_days)


def for_referral(settings: Settings, service: ServiceDetail, referred_on: date) -> date:
    """When a case the rules referred on `referred_on` is due for the clerks' decision."""
    days = service.time_limit_days or settings.referral_workdays
    return calendar(settings).add_workdays(referred_on, days)
