"""Reading a bulk-import file: NDJSON or CSV records, each with the line it starts on.

Nothing here knows the license types: a record is the row's columns as given, checked later by
`import_checks`. A file the importer cannot use at all (missing, unknown format, a CSV header
without the required columns) raises `UnusableFile`; a bad row is only a `Rejection`.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from app.kit.masking import mask_id_number

Format = Literal["ndjson", "csv"]
FORMATS: dict[str, Format] = {".ndjson": "ndjson", ".jsonl": "ndjson", ".csv": "csv"}
COLUMNS = frozenset(
    {
        "type",
        "source_record_id",
        "holder_name",
        "holder_id_number",
        "holder_uscc",
        "valid_from",
        "valid_until",
        "status",
    }
)
REQUIRED_COLUMNS = ("type", "source_record_id", "holder_name", "valid_from")
FIELD_PREFIX = "field."


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row the reader could already tell is unusable (a CSV row of the wrong width)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Block:
    """Whole lines of an NDJSON file as bytes, and the number of the first one.

    NDJSON is checked in blocks of bytes, split into lines by the checking processes, which
    get each block by where it lies in the file (`Span`) and read it themselves.
    """

    first_line: int
    data: bytes
    offset: int = 0  # where the data starts in the file

    def lines(self) -> Iterator[tuple[int, Payload]]:
        """The block's non-blank lines, numbered (a line that is not UTF-8 is a BadRow)."""
        try:
            # The whole block at once (a line break is never inside a UTF-8 character): one
            # decoding instead of one a line, and the same lines.
            text = self.data.decode("utf-8")
        except UnicodeDecodeError:
            yield from self._lines_one_by_one()
            return
        for number, line in enumerate(text.split("\n"), start=self.first_line):
            if line.strip(_ASCII_SPACE):  # blank as bytes.strip() reads it
                yield number, line

    def _lines_one_by_one(self) -> Iterator[tuple[int, Payload]]:
        for number, raw in enumerate(self.data.split(b"\n"), start=self.first_line):
            if raw.strip():
                try:
                    yield number, raw.decode("utf-8")
                except UnicodeDecodeError:
                    yield number, BadRow("the line is not UTF-8 text")


@dataclass(frozen=True, slots=True)
class Span:
    """A block named by where it lies in the file, for a checking process to read itself.

    Handing each MiB to a process through a pipe (pickled, written, read) cost the importer's
    single writer process more than reading the file; the page cache holds it for the second
    reading.
    """

    path: str
    offset: int
    size: int
    first_line: int

    @classmethod
    def of(cls, path: Path, block: Block) -> Span:
        """Where `block`, read from `path`, lies in it."""
        return cls(str(path), block.offset, len(block.data), block.first_line)

    def read(self) -> Block:
        """The block, read again; UnusableFile if the file changed meanwhile."""
        try:
            with open(self.path, "rb") as file:
                data = os.pread(file.fileno(), self.size, self.offset)
        except OSError as exc:
            raise UnusableFile(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        if len(data) != self.size:
            raise UnusableFile(f"{self.path} changed while it was imported")
        return Block(self.first_line, data, self.offset)


# A record: (line number, NDJSON text, a CSV row as {column: cell}, or a BadRow).
Payload = str | dict[str, str] | BadRow
# A chunk: a block of NDJSON lines (or where it lies), or CSV rows already split by the reader.
Chunk = Block | Span | list[tuple[int, Payload]]
_BLOCK_BYTES = 1 << 20
_ASCII_SPACE = " \t\n\r\x0b\x0c"  # what bytes.strip() strips
_BOM = b"\xef\xbb\xbf"


class UnusableFile(Exception):
    """The file cannot be imported at all (the command exits with 2)."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row left out, why, and what identifies it without personal data."""

    line: int
    reason: str
    source_record_id: str | None = None
    holder: str | None = None  # a masked ID number or a (public) USCC

    def as_dict(self) -> dict[str, Any]:
        """The rejection as printed and written to the rejects file."""
        found: dict[str, Any] = {"line": self.line, "reason": self.reason}
        if self.source_record_id is not None:
            found["source_record_id"] = self.source_record_id
        if self.holder is not None:
            found["holder"] = self.holder
        return found


def rejection(line: int, reason: str, record: dict[str, Any] | None = None) -> Rejection:
    """A rejection naming the row's record id and its holder, the ID number masked."""
    if record is None:
        return Rejection(line, reason)
    source = record.get("source_record_id")
    id_number, uscc = record.get("holder_id_number"), record.get("holder_uscc")
    holder = mask_id_number(id_number) if isinstance(id_number, str) else None
    if holder is None and isinstance(uscc, str):
        holder = uscc
    return Rejection(line, reason, source if isinstance(source, str) else None, holder)


def file_format(path: Path, given: str | None) -> Format:
    """The format named by `--format` or, failing that, by the file's extension."""
    if given is not None:
        if given not in FORMATS.values():
            raise UnusableFile(f"unknown format {given!r}: use ndjson or csv")
        return "csv" if given == "csv" else "ndjson"
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise UnusableFile(
            f"cannot tell the format of {path.name}: name it .ndjson, .jsonl or .csv, or pass"
            " --format"
        )
    return found


def open_source(path: Path, file_format: Format) -> IO[Any]:
    """The file opened for reading: bytes for NDJSON, text for CSV."""
    try:
        if file_format == "ndjson":
            return path.open("rb")
        return path.open(encoding="utf-8-sig", newline="")  # a byte-order mark is skipped
    except OSError as exc:
        raise UnusableFile(f"cannot read {path}: {exc.strerror or exc}") from exc


def chunks(source: IO[Any], file_format: Format, rows: int) -> Iterator[Chunk]:
    """The file's records in chunks: NDJSON blocks of about a MiB, CSV `rows` rows at a time."""
    if file_format == "ndjson":
        yield from _blocks(source)
        return
    chunk: list[tuple[int, Payload]] = []
    for record in _csv(source):
        chunk.append(record)
        if len(chunk) >= rows:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _blocks(source: IO[bytes]) -> Iterator[Block]:
    line = 1
    carry = b""
    start = 0  # where carry begins in the file
    while True:
        data = source.read(_BLOCK_BYTES)
        if line == 1 and not carry:
            found = data
            data = data.removeprefix(_BOM)
            start += len(found) - len(data)
        if not data:
            break
        data = carry + data
        end = data.rfind(b"\n")
        if end < 0:  # a line longer than a block: read on
            carry = data
            continue
        whole, carry = data[: end + 1], data[end + 1 :]
        yield Block(line, whole, start)
        start += len(whole)
        line += whole.count(b"\n")
    if carry:
        yield Block(line, carry, start)


def _csv(source: IO[str]) -> Iterator[tuple[int, Payload]]:
    reader = csv.reader(source)
    header = next(reader, None)
    if header is None:
        raise UnusableFile("the CSV file is empty: expected a header row")
    columns = [name.strip() for name in header]
    unknown = sorted(c for c in columns if c not in COLUMNS and not c.startswith(FIELD_PREFIX))
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if unknown or missing:
        problems = [f"unknown columns {', '.join(unknown)}"] if unknown else []
        problems += [f"missing columns {', '.join(missing)}"] if missing else []
        raise UnusableFile(f"the CSV header does not fit: {'; '.join(problems)}")
    # csv counts physical lines, so a quoted cell spanning lines still reports where it began.
    start = reader.line_num + 1
    for row in reader:
        if any(cell.strip() for cell in row):
            if len(row) != len(columns):
                yield start, BadRow(f"the row has {len(row)} cells, the header {len(columns)}")
            else:
                yield start, dict(zip(columns, row, strict=True))
        start = reader.line_num + 1


def record_of(payload: Payload) -> tuple[dict[str, Any], bool] | str:
    """The row as a record {column: value, "fields": {…}} and whether its values are all text
    (CSV cells), or why it cannot be one."""
    if isinstance(payload, BadRow):
        return payload.reason
    if isinstance(payload, dict):
        return _csv_record(payload), True
    try:
        record = json.loads(payload)
    except ValueError as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8 text"
        return f"malformed JSON ({reason})"
    if not isinstance(record, dict):
        return "a line must hold one JSON object"
    unknown = sorted(set(record) - COLUMNS - {"fields"})
    if unknown:
        return f"unknown columns: {', '.join(unknown)}"
    if "fields" not in record:
        return "missing column: fields"
    return record, False


def _csv_record(row: dict[str, str]) -> dict[str, Any]:
    # An empty cell is an absent value: optional columns take their default, fields go missing.
    record: dict[str, Any] = {}
    fields: dict[str, str] = {}
    for column, cell in row.items():
        if not cell:
            continue
        if column.startswith(FIELD_PREFIX):
            fields[column[len(FIELD_PREFIX) :]] = cell
        else:
            record[column] = cell
    record["fields"] = fields
    return record
