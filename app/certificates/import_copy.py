"""A batch of checked rows made whole: the writer's columns added, as COPY text or records.

The checking processes send each row's checked columns ready to write (`Checker(copy_text=…)`);
the writer, a single process and the import's narrowest point, only adds what must be decided
in one place: the id, the serial and its identifier, the status-list slots and the time. On
PostgreSQL that is a few values appended to each row's COPY text; SQLite gets records.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

from app.certificates import bulk
from app.certificates.bulk import ROW_BODY, CheckedRow, CopyText, Record
from app.certificates.import_slots import Slot

_INDEX = itemgetter(1)  # a slot's index in its list


@dataclass(frozen=True, slots=True)
class Filled:
    """The writer's columns of a batch, row by row."""

    ids: list[uuid.UUID] | list[str]  # text for COPY text
    numbered: list[tuple[int, str]]  # (serial, license number)
    revocation: list[Slot]
    suspension: list[Slot]
    now: datetime


def copy_text(rows: list[CheckedRow], filled: Filled) -> CopyText:
    """The rows as COPY text, in COPY_COLUMNS order (their bodies are COPY text already; the
    writer's columns are ASCII)."""
    now = filled.now.isoformat()
    tail = f"\t{now}\t{now}\n"
    added = [
        f"\t{license_id}\t{number}\t{serial}\t{revocation}\t{r_index}"
        f"\t{suspension}\t{s_index}{tail}".encode("ascii")
        for license_id, (serial, number), revocation, r_index, suspension, s_index in zip(
            filled.ids,
            filled.numbered,
            _list_texts(filled.revocation),
            map(_INDEX, filled.revocation),
            _list_texts(filled.suspension),
            map(_INDEX, filled.suspension),
            strict=True,
        )
    ]
    # Each row's body, then what the writer adds to it: laid out by slicing, not row by row
    # (a body that is not bytes, from a Checker without copy_text, fails the join).
    parts: list[bytes] = [b""] * (2 * len(rows))
    parts[0::2] = [row[ROW_BODY] for row in rows]  # type: ignore[misc]
    parts[1::2] = added
    return CopyText(b"".join(parts), len(rows))


def _list_texts(slots: list[Slot]) -> list[str]:
    """Each slot's list id as text: a batch's slots come from a list or two, each written out
    once."""
    texts: list[str] = []
    last: uuid.UUID | None = None
    text = ""
    for list_id, _ in slots:
        if list_id is not last:  # the same object for a list's run of slots
            last, text = list_id, str(list_id)
        texts.append(text)
    return texts


def records(rows: list[CheckedRow], filled: Filled) -> list[Record]:
    """The rows as records in COLUMNS order (their bodies are tuples of values)."""
    made = []
    for row, license_id, (serial, number), (revocation, r_index), (suspension, s_index) in zip(
        rows, filled.ids, filled.numbered, filled.revocation, filled.suspension, strict=True
    ):
        values = row[ROW_BODY]
        assert isinstance(values, tuple)  # a Checker without copy_text made them
        record: Record = [None] * len(bulk.COLUMNS)
        for index, value in zip(bulk.CHECKED_INDEXES, values, strict=True):
            record[index] = value
        record[bulk.ID] = license_id
        record[bulk.LICENSE_NO] = number
        record[bulk.SERIAL] = serial
        record[bulk.REVOCATION_LIST_ID] = revocation
        record[bulk.REVOCATION_INDEX] = r_index
        record[bulk.SUSPENSION_LIST_ID] = suspension
        record[bulk.SUSPENSION_INDEX] = s_index
        record[bulk.CREATED_AT] = record[bulk.UPDATED_AT] = filled.now
        made.append(record)
    return made
