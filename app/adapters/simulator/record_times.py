"""When a department's record last changed: the `as_of` of its answer.

A department vouches for a record as of its last change, not as of the moment it is read.
Registries change on events (a filing, a marriage, a permit); exports change on their schedule
(the nightly batch, the month's posting of contributions). The simulated world is dated
`population.as_of`: an event record's time is drawn from its key within the two years before
that day, during office hours in Qingdao, so every process answers the same; a scheduled export
is as of its last run; a check made when asked (identity, face) is as of now. A change the
simulator itself made (a paid withdrawal, an inspection) is as of that change.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from app.adapters.simulator.dataset_types import Context, Dataset
from app.adapters.simulator.draw import Draw

QINGDAO = timezone(timedelta(hours=8), "Asia/Shanghai")
_EVENT_SPAN_DAYS = 730
_OFFICE_OPENS = time(8, 30)
_OFFICE_MINUTES = 9 * 60  # 08:30 to 17:30
_NIGHTLY_RUN = time(2, 0)
_MONTHLY_RUN = time(3, 0)


def record_time(ctx: Context, department: str, dataset: Dataset, key: str) -> datetime:
    """The time this department's record about `key` last changed."""
    key = key.upper()  # ID numbers end in x or X, USCCs are read either way
    changed = ctx.changed.get((department, dataset.code, key))
    if changed is not None:
        return changed
    world = ctx.population.as_of
    if dataset.refresh == "live":
        return datetime.now(QINGDAO)
    if dataset.refresh == "nightly":
        return _at(world - timedelta(days=1), _NIGHTLY_RUN, _minutes(ctx, dataset, key, 50))
    if dataset.refresh == "monthly":
        return _at(world.replace(day=1), _MONTHLY_RUN, _minutes(ctx, dataset, key, 50))
    draw = Draw(ctx.population.seed, "record-time", department, dataset.code, key)
    day = draw.days_before(world, _EVENT_SPAN_DAYS)
    return _at(day, _OFFICE_OPENS, draw.below(_OFFICE_MINUTES))


def _minutes(ctx: Context, dataset: Dataset, key: str, span: int) -> int:
    # A batch writes its records over a while, not all in one instant.
    return Draw(ctx.population.seed, "batch-time", dataset.code, key).below(span)


def _at(day: date, start: time, minutes: int) -> datetime:
    return datetime.combine(day, start, QINGDAO) + timedelta(minutes=minutes)
