"""Schedules: periodic jobs declared as data (app/jobs/data/schedules.yaml).

A schedule's period is the hour, or the day from a local time (Asia/Shanghai). A worker that
finds a period begun queues the schedule's job with the period's start as its dedupe key, so
any number of workers queue it once; the job then runs like any other (retried, visible in the
admin jobs API). A worker remembers the last period it queued, so it writes once per period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.jobs import service
from app.kit.clock import SHANGHAI
from app.kit.data_files import read_yaml

SCHEDULES_FILE = Path(__file__).resolve().parent / "data" / "schedules.yaml"


@dataclass(frozen=True, slots=True)
class Schedule:
    """One periodic job."""

    name: str
    kind: str
    every: Literal["hour", "day"]
    at: time = time(0, 0)

    def period_start(self, now: datetime) -> datetime:
        """The start of the period `now` falls in (an aware datetime in Asia/Shanghai)."""
        local = now.astimezone(SHANGHAI)
        if self.every == "hour":
            return local.replace(minute=0, second=0, microsecond=0)
        start = datetime.combine(local.date(), self.at, tzinfo=SHANGHAI)
        return start if start <= local else start - timedelta(days=1)

    def dedupe_key(self, period: datetime) -> str:
        """The job's dedupe key in a period: one job per schedule and period."""
        return f"schedule:{self.name}:{period.isoformat()}"


def _parse(raw: object) -> tuple[Schedule, ...]:
    if not isinstance(raw, dict) or not isinstance(raw.get("schedules"), dict):
        raise ValueError(f"{SCHEDULES_FILE.name}: expected a mapping `schedules`")
    found = []
    for name, spec in raw["schedules"].items():
        if not isinstance(spec, dict) or spec.get("every") not in ("hour", "day"):
            raise ValueError(f"{SCHEDULES_FILE.name}: {name}: `every` is hour or day")
        if not isinstance(spec.get("kind"), str) or not isinstance(spec.get("why"), str):
            raise ValueError(f"{SCHEDULES_FILE.name}: {name}: needs `kind` and `why`")
        at = time.fromisoformat(str(spec.get("at", "00:00")))
        found.append(Schedule(name=str(name), kind=spec["kind"], every=spec["every"], at=at))
    return tuple(found)


@lru_cache
def schedules() -> tuple[Schedule, ...]:
    """The declared schedules, checked when first read."""
    return _parse(read_yaml(SCHEDULES_FILE))


def pending(now: datetime, queued: dict[str, datetime]) -> bool:
    """Whether a schedule's period began since this worker last queued it."""
    return any(queued.get(s.name) != s.period_start(now) for s in schedules())


async def queue_due(
    session: AsyncSession, now: datetime, *, queued: dict[str, datetime] | None = None
) -> int:
    """Queue each schedule's job for the period `now` is in, unless `queued` (a worker's memory
    of what it queued) has it already; how many were looked at. Queueing a period twice, here or
    in another worker, finds the first job (its dedupe key)."""
    count = 0
    for schedule in schedules():
        period = schedule.period_start(now)
        if queued is not None and queued.get(schedule.name) == period:
            continue
        await service.enqueue(
            session, schedule.kind, {"schedule": schedule.name, "period": period.isoformat()},
            dedupe_key=schedule.dedupe_key(period),
        )  # fmt: skip
        if queued is not None:
            queued[schedule.name] = period
        count += 1
    return count
