"""The checkpoint store: signed chain heads in an append-only JSON-lines file, outside the database.

Whoever can write the database can rewrite the whole chain, recompute every hash and move the
head, and the chain alone would still verify. A checkpoint says "record `seq` had hash `hash`
at `created_at`", signed with a key the database does not hold (`app.audit.signing`), in a
place the database's administrators cannot rewrite: a file opened only for appending, which
production puts on append-only storage (README, "Audit checkpoints"). Verification then holds
the chain to its checkpoints.

One checkpoint per line, as canonical JSON with the keys `created_at, hash, kid, seq,
signature`. Lines are never rewritten: a writer appends under an exclusive lock, and only a
checkpoint further along the chain than every trusted one already there. A line that does not
parse or whose signature does not verify is refused (it anchors nothing) and reported.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from app.audit import signing
from app.audit.canonical import canonical_json, format_timestamp
from app.audit.schemas import Checkpoint, CheckpointRead, RefusedCheckpoint
from app.audit.signing import CheckpointKey

# Far longer than any checkpoint line; a longer one is refused unread.
_MAX_LINE_BYTES = 4096


@dataclass(frozen=True, slots=True)
class StoredLine:
    """One line of the store: its number, and the checkpoint on it (None: it does not parse)."""

    line: int
    checkpoint: CheckpointRead | None


class CheckpointStore:
    """The JSON-lines file at `path` (missing until the first checkpoint is written)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> list[StoredLine]:
        """Every complete line, in the order written (blocking: call it from a thread)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        return _parse(data)

    def append(self, decide: Callable[[list[StoredLine]], Checkpoint | None]) -> Checkpoint | None:
        """Append the checkpoint `decide` picks after reading the store under an exclusive lock.

        The lock spans the read and the write, so two writers cannot both append on the same
        view of the store. Returns what was appended (None: `decide` declined). Blocking.
        """
        # "a+b" opens with O_APPEND, which every write honours whatever the read position, and
        # which is all a file with the append-only attribute (chattr +a) allows.
        with self.path.open("a+b") as file:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX)
            try:
                file.seek(0)
                data = file.read()
                checkpoint = decide(_parse(data))
                if checkpoint is None:
                    return None
                text = line_of(checkpoint)
                if data and not data.endswith(b"\n"):
                    # A writer died mid-line: that torn line stays (refused); this one starts
                    # on a line of its own.
                    text = b"\n" + text
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            finally:
                fcntl.flock(file.fileno(), fcntl.LOCK_UN)
        return checkpoint


def line_of(checkpoint: Checkpoint) -> bytes:
    """The stored line of a checkpoint, newline included."""
    fields = {
        "created_at": format_timestamp(checkpoint.created_at),
        "hash": checkpoint.hash,
        "kid": checkpoint.kid,
        "seq": checkpoint.seq,
        "signature": checkpoint.signature,
    }
    return canonical_json(fields) + b"\n"


def _parse(data: bytes) -> list[StoredLine]:
    lines = data.split(b"\n")
    # What follows the last newline is a line still being written (or torn): not yet a line.
    lines.pop()
    stored = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        stored.append(StoredLine(number, _checkpoint(number, text)))
    return stored


def _checkpoint(number: int, text: bytes) -> CheckpointRead | None:
    if len(text) > _MAX_LINE_BYTES:
        return None
    try:
        checkpoint = Checkpoint.model_validate_json(text)
    except ValidationError:
        return None
    return CheckpointRead(**checkpoint.model_dump(), line=number)


@dataclass(frozen=True, slots=True)
class Sorted:
    """The store's lines sorted out: trusted checkpoints by position, and refused lines."""

    trusted: list[CheckpointRead]
    refused: list[RefusedCheckpoint]


def sort_out(lines: list[StoredLine], key: CheckpointKey, *, every: bool) -> Sorted:
    """Check signatures: of every line (`every`), or from the furthest position down until one
    verifies, so that verifying from the newest checkpoint costs one signature, not thousands.

    The anchor is the trusted checkpoint furthest along the chain, not the last line, so that
    an old line copied to the end (a replay) cannot pull verification back to an older point.
    """
    refused: list[RefusedCheckpoint] = []
    parsed: list[CheckpointRead] = []
    for item in lines:
        if item.checkpoint is None:
            refused.append(RefusedCheckpoint(line=item.line, reason="malformed"))
        else:
            parsed.append(item.checkpoint)
    if not every:
        parsed.sort(key=lambda checkpoint: (checkpoint.seq, checkpoint.line), reverse=True)
    trusted: list[CheckpointRead] = []
    for checkpoint in parsed:
        reason = signing.refusal(checkpoint, key)
        if reason is not None:
            refused.append(RefusedCheckpoint(line=checkpoint.line, reason=reason))
            continue
        trusted.append(checkpoint)
        if not every:
            break
    trusted.sort(key=lambda checkpoint: (checkpoint.seq, checkpoint.line))
    refused.sort(key=lambda item: item.line)
    return Sorted(trusted=trusted, refused=refused)
