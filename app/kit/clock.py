"""Time helpers: always aware, UTC internally, Asia/Shanghai for citizens."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def to_shanghai(dt: datetime) -> datetime:
    """Convert an aware datetime to Asia/Shanghai time."""
    # A naive datetime would be silently read as the server's local time.
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("naive datetime; attach a timezone first")
    return dt.astimezone(SHANGHAI)
