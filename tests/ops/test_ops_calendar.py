"""The working-day calendar as operators configure it, and the start-up warning about years
without an official holiday calendar."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

import pytest
from settings_support import make_settings

from app.config import Settings
from app.db import Database
from app.main import create_app

Travel = Callable[[str], None]


async def _start(settings: Settings, database: Database) -> None:
    app = create_app(settings, database=database)
    async with app.router.lifespan_context(app):
        pass


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "QE_OFFICIAL_CALENDAR_YEARS" in r.getMessage()]


def test_the_operators_days_and_official_years_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QE_HOLIDAYS", '["2027-01-01", "2027-02-08", "2027-10-01"]')
    monkeypatch.setenv("QE_MAKEUP_WORKDAYS", '["2027-02-20"]')
    calendar = Settings(_env_file=None).working_calendar()  # type: ignore[call-arg]
    assert not calendar.is_workday(date(2027, 2, 8))
    assert calendar.is_workday(date(2027, 2, 20))
    assert calendar.provisional_years_between(date(2027, 1, 1), date(2027, 12, 31)) == (2027,)

    monkeypatch.setenv("QE_OFFICIAL_CALENDAR_YEARS", "[2027]")
    declared = Settings(_env_file=None).working_calendar()  # type: ignore[call-arg]
    assert declared.official_years == frozenset({2026, 2027})
    assert declared.provisional_years_between(date(2027, 1, 1), date(2027, 12, 31)) == ()


def test_a_year_declared_official_without_its_days_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QE_OFFICIAL_CALENDAR_YEARS", "[2027]")
    with pytest.raises(ValueError, match="2027 is declared official"):
        Settings(_env_file=None)  # type: ignore[call-arg]


async def test_start_up_names_the_years_without_an_official_calendar(
    settings: Settings, database: Database, travel: Travel, caplog: pytest.LogCaptureFixture
) -> None:
    travel("2026-11-24T09:00:00+08:00")
    with caplog.at_level(logging.WARNING, logger="qingeban"):
        await _start(settings, database)
    [warning] = _warnings(caplog)
    assert warning.levelno == logging.WARNING
    assert "2027" in warning.getMessage()
    assert "2026" not in warning.getMessage()
    assert getattr(warning, "provisional_years", None) == [2027]

    # New Year's morning in Qingdao is still 2026 in UTC: the years are Shanghai's.
    caplog.clear()
    travel("2027-01-01T08:00:00+08:00")
    with caplog.at_level(logging.WARNING, logger="qingeban"):
        await _start(settings, database)
    [warning] = _warnings(caplog)
    assert getattr(warning, "provisional_years", None) == [2027, 2028]


async def test_no_warning_once_both_years_are_official(
    database_url: str, database: Database, travel: Travel, caplog: pytest.LogCaptureFixture
) -> None:
    entered = [date(2027, 1, 1), date(2027, 10, 1)]  # 2027's weekday fixed-date holidays
    settings = make_settings(database_url, holidays=entered, official_calendar_years=[2027])
    travel("2026-11-24T09:00:00+08:00")
    with caplog.at_level(logging.WARNING, logger="qingeban"):
        await _start(settings, database)
    assert _warnings(caplog) == []
