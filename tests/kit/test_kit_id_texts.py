"""`new_id_texts`: the text of the ids `new_ids` makes, written without a UUID each."""

import os
import uuid

import pytest

from app.kit import ids
from app.kit.ids import new_id, new_id_texts


@pytest.mark.parametrize(
    ("ms", "first"),
    [(0, 0), (1_764_979_200_000, 12_345), ((1 << 48) - 1, ids._COUNTER_MAX - 999), (5, 1 << 30)],
)
def test_the_texts_are_the_uuids_of_the_same_stamps_and_bits(
    monkeypatch: pytest.MonkeyPatch, ms: int, first: int
) -> None:
    count = 1000
    stamps = [(ms, counter) for counter in range(first, first + count)]
    random_hex = os.urandom(4 * count).hex()
    monkeypatch.setattr(ids, "_new_stamps", lambda n: (stamps[:n], random_hex[: 8 * n]))
    texts = new_id_texts(count)
    assert texts == [str(uuid.UUID(int=value)) for value in ids._new_values(count)]
    assert [uuid.UUID(text).int & 0xFFFFFFFF for text in texts] == [
        int(random_hex[8 * i : 8 * i + 8], 16) for i in range(count)
    ]


def test_the_texts_continue_the_sequence_of_new_id() -> None:
    before = new_id()
    batch = [uuid.UUID(text) for text in new_id_texts(1000)]
    assert all(found.version == 7 for found in batch)
    assert [before, *batch] == sorted({before, *batch})
