"""Checking import rows exactly as issuance checks a request, and protecting their holders
and fields.

A row becomes the `LicenseCreate` a department system would post and goes through the same
checks (`holders.protect`, `license_rules.check_fields`, `license_rules.validity`), so an
imported license is one the API could have issued; the plain rows, nearly all of a registry,
take a quick check held to the same decisions (`import_screen`). Pure and picklable: the
importer runs it in worker processes, since encrypting each ID number, computing its blind
index and sealing the fields is the bulk of an import's CPU time; for PostgreSQL they also
write each row's COPY text, so that the single writer process only appends its columns.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from app import sealing
from app.certificates import bulk, holders, license_rules, lifecycle
from app.certificates.bulk import CheckedRow, Record
from app.certificates.errors import InvalidLicense
from app.certificates.import_rows import (
    Block,
    Chunk,
    Payload,
    Rejection,
    Span,
    record_of,
    rejection,
)
from app.certificates.import_screen import Plain, TypeRules, screen
from app.certificates.models import FIELDS_CONTEXT, LicenseStatus, LicenseType
from app.certificates.schemas import LicenseCreate
from app.config import Settings
from app.kit.masking import mask_id_number

# A migrating registry brings its revoked and cancelled licenses too; "superseded" is only
# ever set by a renewal here.
IMPORT_STATUSES = tuple(
    status.value for status in LicenseStatus if status is not LicenseStatus.SUPERSEDED
)
_HOLDER_COLUMNS = {"name": "holder_name", "id_number": "holder_id_number", "uscc": "holder_uscc"}


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """What checking and numbering need of a license type (picklable, unlike the ORM row)."""

    code: str
    type_code: str
    issuer_code: str
    issuer_uscc: str | None  # None: the department cannot issue until it has a credit code
    holder_kind: str
    validity_years: int | None
    fields: list[dict[str, Any]]

    def as_license_type(self) -> LicenseType:
        """A detached LicenseType carrying the rules `issuance` reads."""
        return LicenseType(
            code=self.code,
            type_code=self.type_code,
            issuer_code=self.issuer_code,
            holder_kind=self.holder_kind,
            validity_years=self.validity_years,
            fields=self.fields,
        )


@dataclass(frozen=True, slots=True)
class Checked:
    """A chunk checked: its good rows (still without identifier, serial and slots) with their
    lines, and its rejections."""

    lines: list[int]
    rows: list[CheckedRow]
    rejected: list[Rejection]


def _column(location: Sequence[str | int]) -> str:
    head = str(location[0]) if location else "row"
    if head == "holder" and len(location) > 1:
        return _HOLDER_COLUMNS.get(str(location[1]), "holder")
    if head == "fields" and len(location) > 1:
        return f"fields.{location[1]}"
    return head


def _pydantic_reason(exc: ValidationError) -> str:
    # The messages name the rule, never the value, so no personal data reaches the report.
    error = exc.errors(include_url=False, include_input=False)[0]
    return f"{_column(error['loc'])}: {error['msg']}"


def _issuance_reason(exc: InvalidLicense) -> str:
    params = exc.extra.get("invalid_params") or [{"name": "row", "reason": exc.detail_en}]
    name = str(params[0]["name"]).removeprefix("body.")
    return f"{_column(name.split('.'))}: {params[0]['reason']}"


def _numbers(license_type: TypeInfo, values: dict[str, Any]) -> dict[str, Any]:
    # CSV cells are text: a number field's cell is read as the number it spells.
    for field in license_type.fields:
        value = values.get(field["name"])
        if field["type"] == "number" and isinstance(value, str):
            try:
                values[field["name"]] = int(value)
            except ValueError:
                # Text that is no number stays text, refused later as "must be a number".
                with contextlib.suppress(ValueError):
                    values[field["name"]] = float(value)
    return values


class Checker:
    """Turns a file's rows into checked rows or Rejections.

    `copy_text`: the rows' bodies as COPY text (PostgreSQL), made here in the checking
    processes so that the writer, a single process, only appends its own columns.
    """

    def __init__(
        self, types: Sequence[TypeInfo], settings: Settings, *, copy_text: bool = False
    ) -> None:
        self._types = {info.code: info for info in types}
        self._rules = {info.code: info.as_license_type() for info in types}
        self._settings = settings
        self._copy_text = copy_text
        self._screening = {
            info.code: TypeRules(
                info.holder_kind,
                info.validity_years,
                {field["name"]: field["type"] for field in info.fields},
            )
            for info in types
            if info.issuer_uscc is not None
        }
        # Each type's first three COPY columns (type, issuer, holder kind), with their tabs.
        self._heads = {
            info.code: bulk.copy_text((info.code, info.issuer_code, info.holder_kind)) + "\t"
            for info in types
        }

    def check_chunk(self, chunk: Chunk) -> Checked:
        """Every row of a chunk, checked: the plain rows quickly (`import_screen`), the rest as
        `check` does, and the plain rows' ID numbers and fields encrypted all at once."""
        checked = Checked([], [], [])
        today = lifecycle.today()
        if isinstance(chunk, Span):
            chunk = chunk.read()
        plain: list[Plain] = []
        places: list[int] = []  # where each plain row goes among checked.rows
        rules = self._screening
        for line, payload in chunk.lines() if isinstance(chunk, Block) else chunk:
            quick = screen(payload, rules, today) if type(payload) is str else None
            if quick is not None:
                places.append(len(checked.rows))
                plain.append(quick)
                checked.lines.append(line)
                checked.rows.append(_PENDING)
                continue
            found = self.check(line, payload, today)
            if isinstance(found, Rejection):
                checked.rejected.append(found)
            else:
                checked.lines.append(line)
                checked.rows.append(self._row(found))
        for place, row in zip(places, self._protected(plain), strict=True):
            checked.rows[place] = row
        return checked

    def _row(self, record: Record) -> CheckedRow:
        """A record of `check` as a checked row."""
        holder = record[bulk.HOLDER_ID_MASKED] or record[bulk.HOLDER_USCC]
        values = tuple(record[index] for index in bulk.CHECKED_INDEXES)
        body = bulk.copy_text(values).encode("utf-8") if self._copy_text else values
        return (
            record[bulk.TYPE_CODE],
            record[bulk.ISSUER_CODE],
            record[bulk.SOURCE_RECORD_ID],
            holder,
            body,
        )

    def _protected(self, plain: list[Plain]) -> list[CheckedRow]:
        """Plain rows as checked rows: ID numbers encrypted and indexed, fields sealed, with
        one draw of randomness for the chunk's nonces (per column)."""
        settings = self._settings
        numbers = [row.id_number for row in plain if row.id_number is not None]
        id_ciphers = iter(holders.protect_id_numbers(settings, numbers))
        index_of = holders.id_number_indexer(settings)
        sealed = sealing.sealed_json_texts(settings, [row.fields for row in plain], FIELDS_CONTEXT)
        types, heads, copy_text = self._types, self._heads, self._copy_text
        rows: list[CheckedRow] = []
        append = rows.append
        for row, fields_cipher in zip(plain, sealed, strict=True):
            info = types[row.type_code]
            id_number = row.id_number
            shown: str | None
            if id_number is not None:
                shown = mask_id_number(id_number)
                person: tuple[str | None, ...] = (
                    next(id_ciphers),
                    index_of(id_number),
                    shown,
                    None,
                )
            else:
                shown = row.uscc
                person = (None, None, None, shown)
            if copy_text:
                # No escaping needed but in the type's columns (`import_screen`). A person has
                # no credit code, an enterprise no ID number (`_holder`).
                until = "\\N" if row.valid_until is None else row.valid_until.isoformat()
                if id_number is not None:
                    holder = f"{person[0]}\t{person[1]}\t{shown}\t\\N"
                else:
                    holder = f"\\N\t\\N\t\\N\t{shown}"
                body: bytes | tuple[Any, ...] = (
                    f"{heads[info.code]}{row.name}\t{holder}\t{fields_cipher}\t"
                    f"{row.valid_from.isoformat()}\t"
                    f"{until}\t{row.status}\t1\t\\N\t"
                    f"{row.source_record_id}"
                ).encode()
            else:
                body = (
                    info.code,
                    info.issuer_code,
                    info.holder_kind,
                    row.name,
                    *person,
                    fields_cipher,
                    row.valid_from,
                    row.valid_until,
                    row.status,
                    1,
                    None,
                    row.source_record_id,
                )
            append((info.code, info.issuer_code, row.source_record_id, shown, body))
        return rows

    def check(self, line: int, payload: Payload, today: date | None = None) -> Record | Rejection:
        """One row, checked as `POST /api/v1/licenses` checks a request (`today`: Beijing's
        date, read once per chunk)."""
        parsed = record_of(payload)
        if isinstance(parsed, str):
            return rejection(line, parsed)
        record, text_cells = parsed
        type_code = record.get("type")
        info = self._types.get(type_code) if isinstance(type_code, str) else None
        if info is None:
            return rejection(line, "type: unknown license type", record)
        if info.issuer_uscc is None:
            return rejection(line, f"type: {info.issuer_code} has no credit code yet", record)
        status = record.get("status", LicenseStatus.VALID.value)
        if not isinstance(status, str) or status not in IMPORT_STATUSES:
            return rejection(line, f"status: must be one of {', '.join(IMPORT_STATUSES)}", record)
        values = record["fields"]
        if text_cells and isinstance(values, dict):
            values = _numbers(info, values)
        try:
            data = LicenseCreate.model_validate(
                {
                    "type": info.code,
                    "holder": {
                        "kind": info.holder_kind,
                        "name": record.get("holder_name"),
                        "id_number": record.get("holder_id_number"),
                        "uscc": record.get("holder_uscc"),
                    },
                    "fields": values,
                    "valid_from": record.get("valid_from"),
                    "valid_until": record.get("valid_until"),
                    "source_record_id": record.get("source_record_id"),
                }
            )
        except ValidationError as exc:
            return rejection(line, _pydantic_reason(exc), record)
        if data.source_record_id is None:
            return rejection(line, "source_record_id: required", record)
        if data.valid_from is None:
            return rejection(line, "valid_from: required", record)
        license_type = self._rules[info.code]
        try:
            holder = holders.protect(self._settings, data.holder, today=today)
            fields = license_rules.check_fields(license_type, data.fields, data.holder)
            valid_from, valid_until = license_rules.validity(
                license_type, data.valid_from, data.valid_until
            )
        except InvalidLicense as exc:
            return rejection(line, _issuance_reason(exc), record)
        # In bulk.COLUMNS order; the importer fills in the Nones.
        return [
            None,  # id
            None,  # license_no
            info.code,
            info.issuer_code,
            holder.kind,
            holder.name,
            holder.id_cipher,
            holder.id_index,
            holder.id_masked,
            holder.uscc,
            # Sealed here, in the worker process, like the holder's ID number above; a plain
            # str on its way to the writer (`bulk` marks it `Sealed` for SQLite).
            sealing.sealed_json_text(self._settings, fields, FIELDS_CONTEXT),
            valid_from,
            valid_until,
            status,
            1,  # version
            None,  # serial
            None,  # supersedes_id
            data.source_record_id,
            None,  # revocation_list_id
            None,  # revocation_index
            None,  # suspension_list_id
            None,  # suspension_index
            None,  # created_at
            None,  # updated_at
        ]


# A place held among a chunk's rows for a plain row until its encryption is done.
_PENDING: CheckedRow = ("", "", "", None, b"")


# How far an everyday import's checking processes step back (see `start_worker`).
YIELDING_NICENESS = 10
# The checker of a worker process, made once by `start_worker` (the pool's initializer).
_worker_checker: Checker | None = None


def start_worker(
    types: Sequence[TypeInfo], settings: Settings, niceness: int, copy_text: bool = False
) -> None:
    """Pool initializer: build this process's checker, at `niceness`.

    An everyday import runs beside the service: its checking yields (YIELDING_NICENESS) to the
    requests and to the batches being written, the import's critical path (the workers run
    ahead of the writer anyway). An initial load fills a registry that serves nobody yet, so
    its workers take their share of the CPUs (0): niced, on a machine busy with anything else
    they got a tenth of it and the load crawled, a quarter of its speed at nice 0 (200k rows,
    a load average of 8).
    """
    global _worker_checker
    if niceness:
        os.nice(niceness)
    _worker_checker = Checker(types, settings, copy_text=copy_text)
    # What the process holds by now lives as long as it: left out of the collections.
    gc.freeze()


def check_in_worker(chunk: Chunk) -> Checked:
    """Check a chunk in a worker process started with `start_worker`."""
    if _worker_checker is None:
        raise RuntimeError("start_worker did not run in this process")
    return _worker_checker.check_chunk(chunk)
