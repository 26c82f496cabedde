"""Time helpers: always aware, UTC internally, Asia/Shanghai for citizens.

Every part of the platform reads the time through `utcnow`, so that a test (or an operator's
rehearsal of a deadline day) can move the whole platform's clock with `travel_to` and back with
`back_to_real_time`: time keeps flowing from the moment travelled to, so timeouts and lapses
still behave as they do in production.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# How far the platform's clock is from the machine's; zero but in tests that travel.
_shift = timedelta(0)


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC) + _shift


def travel_to(moment: datetime) -> None:
    """Set the platform's clock to `moment` (aware), from which it keeps running."""
    global _shift
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime; attach a timezone first")
    _shift = moment - datetime.now(UTC)


def back_to_real_time() -> None:
    """Undo `travel_to`: the platform's clock is the machine's again."""
    global _shift
    _shift = timedelta(0)


def to_shanghai(dt: datetime) -> datetime:
    """Convert an aware datetime to Asia/Shanghai time."""
    # A naive datetime would be silently read as the server's local time.
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("naive datetime; attach a timezone first")
    return dt.astimezone(SHANGHAI)
