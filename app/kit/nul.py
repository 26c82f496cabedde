"""Where a NUL character (U+0000) hides in what a client sent.

PostgreSQL's text types cannot hold U+0000, so a NUL that reaches a query fails in the driver
as a server error; no field of the platform has a use for one either. These finders name each
place a NUL was found, the way a validation error names a parameter (`query.q`,
`body.form.applicant_name`), so that the request can be refused before any handler runs.

Each finder first looks for the NUL's spelling in the raw bytes and parses only on a hit: the
usual request costs one substring search. Framework-free: bytes in, names out.
"""

from __future__ import annotations

import binascii
import json
from base64 import b64decode
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

NUL = "\x00"
_NUL_BYTE = b"\x00"
# How a NUL is spelled in a JSON string. A JSON text cannot carry a raw NUL: the strict parser
# the routes use refuses control characters in strings.
_JSON_ESCAPE = b"\\u0000"
_PERCENT = b"%00"


def shown(name: str) -> str:
    """A name fit to show back: a NUL in the name itself spelled as JSON would."""
    return name.replace(NUL, "\\u0000")


def in_text(value: str) -> bool:
    """Whether a decoded value holds a NUL."""
    return NUL in value


def in_pairs(encoded: bytes, prefix: str) -> Iterator[str]:
    """`prefix.name` of every pair of a query string or url-encoded form whose name or value
    holds a NUL, raw or percent-encoded."""
    if _NUL_BYTE not in encoded and _PERCENT not in encoded:
        return
    # Decoded as Starlette decodes query strings and forms, so the names are the routes'.
    for name, value in parse_qsl(encoded.decode("latin-1"), keep_blank_values=True):
        if NUL in name or NUL in value:
            yield f"{prefix}.{shown(name)}"


def in_basic_credentials(authorization: bytes) -> bool:
    """Whether HTTP Basic credentials hold a NUL, decoded as OAuth clients encode them: the
    base64 of form-urlencoded parts (RFC 6749 §2.3.1), so raw or percent-encoded."""
    scheme, _, encoded = authorization.strip().partition(b" ")
    if scheme.lower() != b"basic":
        return False
    try:
        decoded = b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return _NUL_BYTE in decoded or _PERCENT in decoded


def in_json(document: bytes, prefix: str = "body") -> Iterator[str]:
    """The dotted path (`body.materials.0.code`) of every string or key of a JSON document
    that holds a NUL. A document that does not parse yields nothing: the route says why."""
    # The routes' parser also reads UTF-16 and UTF-32 (json.loads finds the encoding from the
    # first bytes), where the escape is not spelled in these bytes: look in the decoded text.
    encoding = json.detect_encoding(document)
    if encoding != "utf-8":
        try:
            document = document.decode(encoding).encode()
        except UnicodeDecodeError:
            return
    if _JSON_ESCAPE not in document:
        return
    try:
        parsed = json.loads(document)
    except (ValueError, RecursionError):
        return
    # Walked with a stack, not recursion: the nesting depth is the client's choice. Each entry
    # says whether the key it is held under has a NUL, named just before what it holds.
    stack: list[tuple[str, Any, bool]] = [(prefix, parsed, False)]
    while stack:
        path, value, key_has_nul = stack.pop()
        if key_has_nul:
            yield path
        if isinstance(value, str):
            if NUL in value:
                yield path
        elif isinstance(value, dict):
            items = [(f"{path}.{shown(k)}", item, NUL in k) for k, item in value.items()]
            stack.extend(reversed(items))
        elif isinstance(value, list):
            stack.extend(reversed([(f"{path}.{i}", item, False) for i, item in enumerate(value)]))


def in_multipart(body: bytes, content_type: str, prefix: str = "body") -> Iterator[str]:
    """`prefix.name` of every field of a `multipart/form-data` body whose name or value holds
    a NUL; the contents of files are not looked at (a file's bytes may be anything). A body
    that does not parse names the body as a whole."""
    if _NUL_BYTE not in body:
        return
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        yield prefix
        return
    found: list[str] = []
    part = _Part()
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": part.begin,
            "on_header_field": part.header_field,
            "on_header_value": part.header_value,
            "on_header_end": part.header_end,
            "on_part_data": part.data,
            "on_part_end": lambda: found.extend(part.end(prefix)),
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except FormParserError:
        yield prefix
        return
    yield from found


class _Part:
    """The name of the part being parsed and whether a NUL was seen in its value."""

    def __init__(self) -> None:
        self.begin()

    def begin(self) -> None:
        self._field = self._value = self._disposition = b""
        self._nul = False

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        if self._field.strip().lower() == b"content-disposition":
            self._disposition = self._value
        self._field = self._value = b""

    def data(self, data: bytes, start: int, end: int) -> None:
        self._nul = self._nul or _NUL_BYTE in data[start:end]

    def end(self, prefix: str) -> list[str]:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name", b"").decode("utf-8", errors="replace")
        is_file = b"filename" in options
        if (self._nul and not is_file) or NUL in name:
            return [f"{prefix}.{shown(name)}"]
        return []
