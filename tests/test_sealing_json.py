"""The sealed columns' JSON text: what json.dumps writes, from an encoder made once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from settings_support import make_settings

from app import sealing

VALUES: list[Any] = [
    {"名称": "青岛\t海韵\n印务", "数量": 12, "比例": 0.1, "大数": 10**30, "空": None},
    {"nested": [1, 2.5, {"a": [True, False, None]}], "quote": 'say "hi" \\ ok', "": ""},
    {"control": "\x00\x1f\u2028", "emoji": "😀", "float": -1e300, "nan": float("nan")},
    [],
    {},
    "plain text",
    42,
]


@pytest.mark.parametrize("value", VALUES)
def test_the_fields_text_is_what_json_dumps_writes(value: Any) -> None:
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert sealing._dumps(value) == expected


def test_a_value_json_cannot_write_is_refused() -> None:
    with pytest.raises(TypeError):
        sealing._dumps({"when": object()})


def test_the_bulk_sealed_texts_open_to_their_values() -> None:
    # orjson writes the flat ones; an integer beyond 64 bits and a key that is not text
    # (orjson refuses them), an infinity (orjson would write null) and nested values are
    # written by the standard library's encoder instead.
    settings = make_settings("sqlite+aiosqlite:///:memory:")
    values: list[Any] = [
        {"名称": "青岛\t海韵", "数量": 12, "比例": 0.1, "空": None, "真": True},
        {"大数": 10**30},
        {1: "a key that is a number"},
        {"inf": float("inf")},
        {"nested": [1, {"a": "b"}]},
        ["a", 2],
    ]
    sealed = sealing.sealed_json_texts(settings, values, "licenses.fields")
    cipher = sealing._cipher(settings.secret_key.get_secret_value())
    texts = [cipher.decrypt(text, context="licenses.fields") for text in sealed]
    assert [json.loads(text) for text in texts] == [
        values[0],
        values[1],
        {"1": "a key that is a number"},
        *values[3:],
    ]
    assert texts[3] == '{"inf":Infinity}'
    assert texts[0] == json.dumps(values[0], ensure_ascii=False, separators=(",", ":"))
