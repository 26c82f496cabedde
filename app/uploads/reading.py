"""The file of a `multipart/form-data` upload, read as it streams in and cut off at the limit.

The body is parsed chunk by chunk (python-multipart, as Starlette does) rather than through
Starlette's form parsing, which would take in the whole body first, spooling it to a local
temporary file past 1 MB: an upload over the limit is refused as soon as the limit is passed,
and nothing touches the disk (DESIGN §2, principle 7). Framework-free: it reads any async
iterator of chunks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from app.uploads.errors import InvalidUpload, UploadTooLarge

FIELD = "file"
# What the body may carry beyond the file itself: the boundaries and the parts' headers.
ENVELOPE_BYTES = 16 * 1024


@dataclass(slots=True)
class Received:
    """The `file` field's bytes and the file name the client gave (not to be trusted)."""

    data: bytearray = field(default_factory=bytearray)
    file_name: str | None = None
    found: bool = False


def too_large(max_bytes: int) -> UploadTooLarge:
    """The error for a file over `max_bytes`."""
    mib = max_bytes / (1024 * 1024)
    return UploadTooLarge(
        f"文件不能超过 {mib:g} MB", f"the file may be at most {max_bytes} bytes",
        extra={"max_bytes": max_bytes},
    )  # fmt: skip


def check_declared_length(content_length: str | None, max_bytes: int) -> None:
    """UploadTooLarge (413) at once for a body declared larger than any allowed upload."""
    declared = int(content_length) if content_length and content_length.isdigit() else 0
    if declared > max_bytes + ENVELOPE_BYTES:
        raise too_large(max_bytes)


class _FilePart:
    """Callbacks of the multipart parser keeping the `file` part and dropping the others."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.received = Received()
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._in_file = False

    def on_part_begin(self) -> None:
        self._disposition = b""
        self._in_file = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if options.get(b"name") != FIELD.encode():
            return
        if self.received.found:
            raise InvalidUpload("一次只能上传一个文件", "send exactly one file per upload")
        self.received.found = self._in_file = True
        raw_name = options.get(b"filename")
        if raw_name is not None:
            self.received.file_name = raw_name.decode("utf-8", errors="replace")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file:
            return
        if len(self.received.data) + (end - start) > self.max_bytes:
            raise too_large(self.max_bytes)
        self.received.data += data[start:end]

    def on_part_end(self) -> None:
        self._in_file = False


def _boundary(content_type: str | None) -> bytes:
    media_type, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        raise InvalidUpload(
            "请以 multipart/form-data 上传，文件放在 file 字段",
            "send multipart/form-data with the file in the field `file`",
        )
    return boundary


async def read_file_field(
    content_type: str | None, chunks: AsyncIterator[bytes], *, max_bytes: int
) -> Received:
    """The `file` field of the body; UploadTooLarge (413) once it passes `max_bytes` (or the
    whole body passes it by more than the envelope), InvalidUpload (422) for a malformed body
    or one without the field."""
    part = _FilePart(max_bytes)
    parser = MultipartParser(
        _boundary(content_type),
        {
            "on_part_begin": part.on_part_begin,
            "on_header_field": part.on_header_field,
            "on_header_value": part.on_header_value,
            "on_header_end": part.on_header_end,
            "on_headers_finished": part.on_headers_finished,
            "on_part_data": part.on_part_data,
            "on_part_end": part.on_part_end,
        },
    )
    total = 0
    try:
        async for chunk in chunks:
            total += len(chunk)
            if total > max_bytes + ENVELOPE_BYTES:
                raise too_large(max_bytes)
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise InvalidUpload("上传内容格式有误", "the multipart body is malformed") from exc
    if not part.received.found:
        raise InvalidUpload("缺少 file 字段", "the body has no field `file`")
    return part.received
