"""Campaign kinds as data (data/campaigns.yaml), checked when loaded."""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.kit.data_files import read_yaml

_DATA = Path(__file__).parent / "data" / "campaigns.yaml"
_FEED = r"^[a-z]+/[a-z-]+$"


class CampaignKind(BaseModel):
    """What a campaign reads, how long its periods last and how its work is cut."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    department: str = Field(pattern=r"^[a-z]+$")
    activity_window_days: int = Field(ge=1, le=730)
    qualification_days: int = Field(ge=1, le=730)
    warning_days: int = Field(ge=1, le=365)
    reminder_days: tuple[int, ...] = ()
    block_size: int = Field(ge=100, le=20_000)
    activity_feeds: tuple[str, ...] = Field(min_length=1)
    negative_feeds: tuple[str, ...] = Field(min_length=1)

    @field_validator("activity_feeds", "negative_feeds")
    @classmethod
    def _feeds(cls, feeds: tuple[str, ...]) -> tuple[str, ...]:
        import re

        for feed in feeds:
            if not re.fullmatch(_FEED, feed):
                raise ValueError(f"feed {feed!r} is not department/feed")
        if len(set(feeds)) != len(feeds):
            raise ValueError("a feed is listed twice")
        return feeds

    @field_validator("reminder_days")
    @classmethod
    def _reminders(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if list(days) != sorted(set(days)) or any(day < 1 for day in days):
            raise ValueError("reminder_days must be increasing positive days")
        return days

    @property
    def feeds(self) -> tuple[str, ...]:
        """Every department feed a batch reads about its people."""
        return (*self.activity_feeds, *self.negative_feeds)

    @property
    def datasets(self) -> tuple[str, ...]:
        """Everything read about a person, as their data-access record lists it: the pension
        roster that names them and every feed."""
        return (f"{self.department}/pension-recipients", *self.feeds)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kinds: dict[str, CampaignKind]


@functools.cache
def kinds() -> dict[str, CampaignKind]:
    """Every campaign kind by its code."""
    return _File.model_validate(read_yaml(_DATA)).kinds


def kind(code: str) -> CampaignKind | None:
    """The kind with this code, or None."""
    return kinds().get(code)
