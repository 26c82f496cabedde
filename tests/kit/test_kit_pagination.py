import base64
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.kit.pagination import (
    CursorValue,
    InvalidCursor,
    Page,
    decode_cursor,
    encode_cursor,
)

quick = settings(database=None, deadline=None)
value_st = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
)


def raw(payload: str) -> str:
    return base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()


@quick
@given(values=st.lists(value_st, max_size=4))
def test_encode_then_decode_round_trips(values: list[CursorValue]) -> None:
    cursor = encode_cursor(values)
    assert cursor.isascii()
    assert not set(cursor) - set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    decoded = decode_cursor(cursor, arity=len(values))
    assert decoded == values
    assert [type(v) for v in decoded] == [type(v) for v in values]


def test_example_cursor() -> None:
    cursor = encode_cursor(["2025-01-01T00:00:00Z", 42, None])
    assert json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))) == [
        "2025-01-01T00:00:00Z",
        42,
        None,
    ]
    assert decode_cursor(cursor, arity=3) == ["2025-01-01T00:00:00Z", 42, None]
    assert decode_cursor("W10", arity=0) == []


@pytest.mark.parametrize(
    ("cursor", "arity"),
    [
        ("", 1),
        ("!!!!", 1),
        ("abc=", 1),
        ("A", 1),
        ("W11", 0),  # "[]" with non-zero trailing bits; canonical is "W10"
        (raw("not json"), 1),
        (raw("[1,2]"), 1),
        (raw("[1]"), 2),
        (raw('{"a":1}'), 1),
        (raw('"abc"'), 1),
        (raw("[true]"), 1),
        (raw("[[1]]"), 1),
        (raw('[{"a":1}]'), 1),
        (raw("[NaN]"), 1),
        (raw("[Infinity]"), 1),
        (base64.urlsafe_b64encode(b"[\xff]").rstrip(b"=").decode(), 1),
        (raw(json.dumps(["x" * 2000])), 1),
    ],
)
def test_malformed_cursors_raise(cursor: str, arity: int) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, arity=arity)


def test_encode_rejects_unsupported_values() -> None:
    with pytest.raises(TypeError):
        encode_cursor([True])
    with pytest.raises(TypeError):
        encode_cursor([[1]])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="not JSON compliant"):
        encode_cursor([math.nan])


def test_page_model() -> None:
    page = Page[int](items=[1, 2], next_cursor=encode_cursor([2]))
    assert page.model_dump() == {"items": [1, 2], "next_cursor": "WzJd"}
    assert Page[str](items=[]).next_cursor is None
    with pytest.raises(ValidationError):
        Page[int](items=["not a number"])  # type: ignore[list-item]
