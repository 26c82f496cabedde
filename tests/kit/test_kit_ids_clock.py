import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from app.kit import ids
from app.kit.clock import SHANGHAI, to_shanghai, utcnow
from app.kit.ids import new_id, new_ids, timestamp_of


def test_new_id_is_uuid7() -> None:
    value = new_id()
    assert isinstance(value, uuid.UUID)
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_new_id_embeds_the_current_time() -> None:
    before = time.time_ns() // 1_000_000
    value = new_id()
    after = time.time_ns() // 1_000_000
    assert before <= value.int >> 80 <= after
    assert abs(timestamp_of(value) - utcnow()) < timedelta(seconds=5)


def test_ids_are_strictly_increasing_and_unique() -> None:
    values = [new_id() for _ in range(5000)]
    assert values == sorted(values)
    assert len(set(values)) == len(values)
    assert [str(v) for v in values] == sorted(str(v) for v in values)


def test_ids_are_ordered_across_milliseconds() -> None:
    first = new_id()
    time.sleep(0.005)
    second = new_id()
    assert first < second
    assert timestamp_of(first) < timestamp_of(second)


def test_ids_stay_ordered_when_the_clock_steps_back(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [2_000_000_000_000 * 1_000_000]
    monkeypatch.setattr(ids, "time", SimpleNamespace(time_ns=lambda: now[0]))
    first = new_id()
    now[0] -= 10_000 * 1_000_000  # ten seconds back
    second = new_id()
    assert first < second
    assert first.int >> 80 == second.int >> 80 == 2_000_000_000_000


def test_timestamp_of_rejects_other_versions() -> None:
    with pytest.raises(ValueError, match="UUIDv7"):
        timestamp_of(uuid.uuid4())


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is UTC
    assert abs(now.timestamp() - time.time()) < 5


def test_to_shanghai() -> None:
    shanghai = to_shanghai(datetime(2024, 12, 31, 16, 30, tzinfo=UTC))
    assert (shanghai.year, shanghai.month, shanghai.day, shanghai.hour) == (2025, 1, 1, 0)
    assert shanghai.utcoffset() == timedelta(hours=8)
    assert shanghai.tzinfo is SHANGHAI
    other = datetime(2024, 6, 1, 9, tzinfo=timezone(timedelta(hours=-5)))
    assert to_shanghai(other).hour == 22


def test_to_shanghai_rejects_naive() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_shanghai(datetime(2024, 1, 1))


def test_new_ids_continue_the_sequence_of_new_id() -> None:
    before = new_id()
    batch = new_ids(1000)
    after = new_id()
    assert [before, *batch, after] == sorted({before, *batch, after})
    assert all(value.version == 7 and value.variant == uuid.RFC_4122 for value in batch)


def test_new_ids_step_over_a_full_counter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids, "_last_ms", time.time_ns() // 1_000_000 + 60_000)
    monkeypatch.setattr(ids, "_counter", ids._COUNTER_MAX - 2)
    batch = new_ids(5)
    assert batch == sorted(set(batch))
    assert len({value.int >> 80 for value in batch}) == 2, "the timestamp moves on by one"
