"""`new_id_texts`: the text of the ids `new_ids` makes, written without a UUID each."""

import os
import uuid

import pytest

from app.kit import ids
from app.kit.ids import new_id, new_id_texts


@pytest.mark.parametrize(
    "runs",
    [
        [(0, 0, 1000)],
        [(1_764_979_200_000, 12_345, 1000)],
        [((1 << 48) - 1, ids._COUNTER_MAX - 999, 1000)],
        [(5, (1 << 30) - 500, 1000)],  # the counter's top bits change within the run
        [(7, ids._COUNTER_MAX, 1)] + [(8, counter, 1) for counter in range(3, 1002)],
    ],
)
def test_the_texts_are_the_uuids_of_the_same_stamps_and_bits(
    monkeypatch: pytest.MonkeyPatch, runs: list[tuple[int, int, int]]
) -> None:
    count = sum(length for _, _, length in runs)
    random_bits = os.urandom(4 * count)
    monkeypatch.setattr(ids, "_new_runs", lambda n: (runs, random_bits[: 4 * n]))
    texts = new_id_texts(count)
    assert texts == [str(uuid.UUID(int=value)) for value in ids._new_values(count)]
    assert [uuid.UUID(text).int & 0xFFFFFFFF for text in texts] == [
        int.from_bytes(random_bits[4 * i : 4 * i + 4]) for i in range(count)
    ]


def test_the_texts_continue_the_sequence_of_new_id() -> None:
    before = new_id()
    batch = [uuid.UUID(text) for text in new_id_texts(1000)]
    assert all(found.version == 7 for found in batch)
    assert [before, *batch] == sorted({before, *batch})
