"""The canonical encoding is exactly what canonical.py documents, so others can re-verify it."""

from __future__ import annotations

import enum
import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from app.audit.canonical import (
    GENESIS_HASH,
    canonical_json,
    chain_hash,
    changes_digest,
    format_timestamp,
    record_body,
    seq_template,
)

RECORD_ID = uuid.UUID("019a0b1c-2d3e-7f40-8a51-b6c7d8e9f001")


def test_a_record_hash_matches_a_hand_written_encoding() -> None:
    body = record_body(
        seq=1,
        id=RECORD_ID,
        occurred_at=datetime(2026, 11, 24, 4, 31, 2, 123456, tzinfo=timezone(timedelta(hours=8))),
        actor_type="staff",
        actor_id="clerk-7",
        action="license.revoked",
        subject_type="license",
        subject_id="鲁卫公证字〔2026〕第001号",
        purpose=None,
        request_id="req-1",
        client_address="10.0.0.1",
        changes_digest="ab" * 32,
    )
    # What an auditor writes in any language: sorted keys, no spaces, raw UTF-8, UTC with µs.
    expected = (
        '{"action":"license.revoked","actor_id":"clerk-7","actor_type":"staff",'
        f'"changes_digest":"{"ab" * 32}","client_address":"10.0.0.1",'
        '"id":"019a0b1c-2d3e-7f40-8a51-b6c7d8e9f001","occurred_at":"2026-11-23T20:31:02.123456Z",'
        '"purpose":null,"request_id":"req-1","seq":1,'
        '"subject_id":"鲁卫公证字〔2026〕第001号","subject_type":"license"}'
    ).encode()
    assert canonical_json(body) == expected
    assert (
        chain_hash(GENESIS_HASH, body)
        == hashlib.sha256(GENESIS_HASH.encode() + expected).hexdigest()
    )
    assert chain_hash("1" * 64, body) != chain_hash(GENESIS_HASH, body)


def test_timestamps_are_utc_with_six_fraction_digits() -> None:
    assert (
        format_timestamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000000Z"
    )
    shanghai = timezone(timedelta(hours=8))
    assert format_timestamp(datetime(2026, 1, 1, 7, 0, tzinfo=shanghai)) == (
        "2025-12-31T23:00:00.000000Z"
    )
    with pytest.raises(ValueError, match="naive"):
        format_timestamp(datetime(2026, 1, 1))


class Status(enum.Enum):
    VALID = "valid"


def test_the_changes_digest_ignores_key_order_but_not_values() -> None:
    before = {"b": 1, "a": [1, "二"], "when": datetime(2026, 1, 1, tzinfo=UTC)}
    reordered = {
        "when": datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))),
        "a": [1, "二"],
        "b": 1,
    }
    assert changes_digest(before, None) == changes_digest(reordered, None)
    assert changes_digest(before, None) != changes_digest(None, before)
    assert changes_digest(before, None) != changes_digest({**before, "b": 2}, None)
    payload = (
        b'{"after":null,"before":{"a":[1,"\xe4\xba\x8c"],"b":1,'
        b'"when":"2026-01-01T00:00:00.000000Z"}}'
    )
    assert changes_digest(before, None) == hashlib.sha256(payload).hexdigest()


def test_common_python_values_have_one_spelling() -> None:
    value = {
        "id": RECORD_ID,
        "day": date(2026, 11, 23),
        "fee": Decimal("12.50"),
        "status": Status.VALID,
        "tags": {"b", "a"},
        "line": 'quote " and\nnewline',
    }
    assert canonical_json(value) == (
        b'{"day":"2026-11-23","fee":"12.50","id":"019a0b1c-2d3e-7f40-8a51-b6c7d8e9f001",'
        b'"line":"quote \\" and\\nnewline","status":"valid","tags":["a","b"]}'
    )


@pytest.mark.parametrize("value", [float("nan"), float("inf"), object(), b"bytes"])
def test_values_without_a_canonical_spelling_are_refused(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        canonical_json({"v": value})


@pytest.mark.parametrize(
    "subject_id",
    ['"seq":0,', "鲁卫〔2026〕", 'tab\there "quoted" \\ back', "\x00\x1f\x7f", "😀 astral"],
)
def test_the_seq_template_hashes_exactly_the_canonical_body(subject_id: str) -> None:
    fields = {
        "id": RECORD_ID,
        "occurred_at": datetime(2026, 11, 23, 20, 31, 2, 123456, tzinfo=UTC),
        "actor_type": "person",
        "actor_id": "p-1",
        "action": "application.submitted",
        "subject_type": "application",
        "subject_id": subject_id,
        "purpose": None,
        "request_id": None,
        "client_address": None,
        "changes_digest": "cd" * 32,
    }
    template = seq_template(**fields)
    for seq in (1, 10, 123456789012):
        body = record_body(seq=seq, **fields)
        assert (template.prefix + str(seq) + template.suffix).encode() == canonical_json(body)
        assert template.chain_hash("ef" * 32, seq) == chain_hash("ef" * 32, body)
