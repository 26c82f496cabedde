"""The NUL finders name exactly the places a NUL is, and nothing else."""

from __future__ import annotations

import json
from base64 import b64encode
from typing import Any
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from app.kit import nul

quick = settings(database=None, deadline=None)
# NULs often, among ordinary and non-ASCII characters.
text_st = st.text(
    st.sampled_from("\x00a.中") | st.characters(blacklist_categories=("Cs",)), max_size=8
)
json_st = st.recursive(
    st.none() | st.booleans() | st.integers() | text_st,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(text_st, children, max_size=4)
    ),
    max_leaves=20,
)


def _expected(value: Any, path: str) -> list[str]:
    """Every NUL's place, in document order (keys before what they hold)."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{nul.shown(key)}"
            if "\x00" in key:
                found.append(child)
            found += _expected(item, child)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _expected(item, f"{path}.{i}")
    return found


@quick
@given(json_st)
def test_json_documents_yield_exactly_the_places_of_their_nuls(document: Any) -> None:
    encoded = json.dumps(document).encode()
    assert list(nul.in_json(encoded)) == _expected(document, "body")


@quick
@given(st.lists(st.tuples(text_st, text_st), max_size=6))
def test_query_strings_and_forms_yield_the_names_of_pairs_holding_a_nul(
    pairs: list[tuple[str, str]],
) -> None:
    encoded = urlencode(pairs).encode()
    expected = [f"query.{nul.shown(k)}" for k, v in pairs if "\x00" in k + v]
    assert list(nul.in_pairs(encoded, "query")) == expected


def test_a_raw_nul_in_a_query_string_counts_too() -> None:
    assert list(nul.in_pairs(b"a=1&b=x\x00y", "query")) == ["query.b"]


@quick
@given(json_st, st.sampled_from(["utf-16-le", "utf-16-be", "utf-16", "utf-32", "utf-32-le"]))
def test_json_in_utf16_or_utf32_is_looked_into_too(document: Any, encoding: str) -> None:
    # The routes' parser (json.loads) reads these encodings as well as UTF-8.
    encoded = json.dumps(document).encode(encoding)
    assert list(nul.in_json(encoded)) == _expected(document, "body")


def test_basic_credentials_with_a_nul_raw_or_percent_encoded() -> None:
    def basic(credentials: bytes) -> bytes:
        return b"Basic " + b64encode(credentials)

    assert nul.in_basic_credentials(basic(b"client\x00:secret"))
    assert nul.in_basic_credentials(basic(b"client:se%00cret"))
    assert not nul.in_basic_credentials(basic(b"client:se%2500cret"))
    assert not nul.in_basic_credentials(b"Bearer " + b64encode(b"\x00"))
    assert not nul.in_basic_credentials(b"Basic not-base64!")


def test_json_that_does_not_parse_is_left_to_the_route() -> None:
    assert list(nul.in_json(b'{"a": "\\u0000"')) == []
    deep = b"[" * 100_000 + b'"\\u0000"' + b"]" * 100_000
    assert list(nul.in_json(deep)) == []


def _multipart(*parts: tuple[str, bytes, str | None]) -> bytes:
    lines = []
    for name, value, file_name in parts:
        disposition = f'form-data; name="{name}"'
        if file_name is not None:
            disposition += f'; filename="{file_name}"'
        lines.append(b"--XyZ\r\nContent-Disposition: " + disposition.encode() + b"\r\n\r\n" + value)
    return b"\r\n".join(lines) + b"\r\n--XyZ--\r\n"


def test_multipart_fields_holding_a_nul_are_named_but_files_may_hold_anything() -> None:
    body = _multipart(
        ("client_id", b"c\x00", None), ("scope", b"openid", None), ("scan", b"\x89PNG\x00", "a.png")
    )
    assert list(nul.in_multipart(body, "multipart/form-data; boundary=XyZ")) == ["body.client_id"]
    clean = _multipart(("scan", b"\x89PNG\x00", "a.png"))
    assert list(nul.in_multipart(clean, "multipart/form-data; boundary=XyZ")) == []


def test_a_multipart_body_that_does_not_parse_is_named_whole() -> None:
    assert list(nul.in_multipart(b"\x00garbage", "multipart/form-data; boundary=XyZ")) == ["body"]
    assert list(nul.in_multipart(b"\x00", "multipart/form-data")) == ["body"]
