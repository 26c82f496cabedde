"""The quick check of an import row: the common, well-formed row accepted by hand, anything
else sent on to the full check.

`import_checks` checks a row as `POST /api/v1/licenses` checks a request: a `LicenseCreate`
model, `holders.protect`, `issuance.check_fields`. For a registry of millions of rows that was
half of the checking processes' time, and nearly every row is plain: an NDJSON line without a
backslash, every value of the kind the model wants as it is. Such a row is checked here with
the same rules, and comes out as the same values; a row this check is not sure of (any
rejection, any value the model would convert or could refuse) returns None and gets the full
check, so the rejections and their reasons are the full check's alone. A test holds both
checks to the same decisions and values.

What a plain line brings needs no escaping in a COPY text row: JSON strings cannot hold a tab,
a line break or a control character raw, and without a backslash in the line none were
escaped in either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import orjson

from app.certificates import lifecycle
from app.certificates.import_rows import COLUMNS
from app.certificates.models import LicenseStatus
from app.kit.resident_id import InvalidResidentId, resident_id_number
from app.kit.uscc import InvalidUscc, uscc_code

# The limits of LicenseCreate and HolderCreate (app/certificates/schemas.py).
_NAME_MAX = 200
_HOLDER_ID_MAX = 18
_SOURCE_MAX = 128
_FIELDS_MAX = 100
_TEXT_MAX = 2000
_EARLIEST = date(1900, 1, 1)
_LATEST = date(2199, 12, 31)
_KNOWN = COLUMNS | {"fields"}
_loads = orjson.loads
# IMPORT_STATUSES of import_checks, which imports this module.
_STATUSES = frozenset(status.value for status in LicenseStatus) - {LicenseStatus.SUPERSEDED.value}


@dataclass(frozen=True, slots=True)
class TypeRules:
    """What the quick check needs of a license type."""

    holder_kind: str
    validity_years: int | None
    declared: dict[str, str]  # field name → kind


class Plain(NamedTuple):
    """A row the quick check accepted: the values the full check would give (the person's ID
    number normalised, still to be encrypted and indexed; the fields still to be sealed). A
    tuple: a frozen dataclass cost a twentieth of the quick check to make."""

    type_code: str
    status: str
    name: str
    id_number: str | None
    uscc: str | None
    fields: dict[str, Any]
    valid_from: date
    valid_until: date | None
    source_record_id: str


def _date(value: Any) -> date | None:
    # Only the plain form: pydantic reads other spellings too (a timestamp, a datetime).
    if (
        type(value) is not str
        or len(value) != 10
        or value[4] != "-"
        or value[7] != "-"
        or not value.isascii()
    ):
        return None
    try:
        found = date.fromisoformat(value)
    except ValueError:
        return None
    return found if _EARLIEST <= found <= _LATEST else None


def screen(line: str, rules: dict[str, TypeRules], today: date) -> Plain | None:
    """The row of an NDJSON line if it is plain and valid; None: it needs the full check."""
    if "\\" in line:
        return None
    try:
        record = _loads(line)
    except orjson.JSONDecodeError:
        return None
    if type(record) is not dict or not _KNOWN.issuperset(record):
        return None
    type_code = record.get("type")
    values = record.get("fields")
    name = record.get("holder_name")
    source = record.get("source_record_id")
    status = record.get("status", "valid")
    if type(type_code) is not str or type(values) is not dict or type(name) is not str:
        return None
    type_rules = rules.get(type_code)
    if type_rules is None or type(source) is not str or type(status) is not str:
        return None
    if status not in _STATUSES:
        return None
    if not 1 <= len(name) <= _NAME_MAX or name.strip() != name:
        return None
    if not 1 <= len(source) <= _SOURCE_MAX:
        return None
    id_number, uscc = _holder(record, type_rules.holder_kind, today)
    if id_number is None and uscc is None:
        return None
    fields = _fields(type_rules.declared, values, name, id_number)
    if fields is None:
        return None
    valid_from = _date(record.get("valid_from"))
    if valid_from is None:
        return None
    given_until = record.get("valid_until")
    if given_until is None:
        valid_until = lifecycle.valid_until_for(valid_from, type_rules.validity_years)
    else:
        valid_until = _date(given_until)
        if valid_until is None:
            return None
    if valid_until is not None and valid_until < valid_from:
        return None
    return Plain(type_code, status, name, id_number, uscc, fields, valid_from, valid_until, source)


def _holder(record: dict[str, Any], kind: str, today: date) -> tuple[str | None, str | None]:
    """(normalised ID number, None) of a person, (None, credit code) of an enterprise, or
    (None, None) when the full check must look."""
    given_id, given_uscc = record.get("holder_id_number"), record.get("holder_uscc")
    if kind == "person":
        if type(given_id) is not str or len(given_id) > _HOLDER_ID_MAX or given_uscc is not None:
            return None, None
        try:
            return resident_id_number(given_id.strip().upper(), today=today), None
        except InvalidResidentId:
            return None, None
    if type(given_uscc) is not str or len(given_uscc) > _HOLDER_ID_MAX or given_id is not None:
        return None, None
    try:
        return None, uscc_code(given_uscc)
    except InvalidUscc:
        return None, None


def _fields(
    declared: dict[str, str], values: dict[str, Any], name: str, given_id: str | None
) -> dict[str, Any] | None:
    """`issuance.check_fields` of plain values: the fields to store, or None.

    A plain value is one FieldValue keeps as it is: text within the limit, an int (no bool,
    read as 1), a finite float; it fits its kind as `license_rules.value_fits` says. Both are
    written out here in one pass over the values: the calls were a third of this check."""
    if len(values) > _FIELDS_MAX:
        return None
    # What a field repeating the holder must match, normalised as check_fields compares.
    from_holder: dict[str, str] = {}
    if "holder_name" in declared:
        from_holder["holder_name"] = name.strip().upper()
    if given_id is not None and "id_number" in declared:
        from_holder["id_number"] = given_id.strip().upper()
    stored = {}
    for field, value in values.items():
        kind = declared.get(field)
        if kind is None:
            return None
        held = from_holder.get(field)
        given = type(value)
        if given is str:
            if len(value) > _TEXT_MAX:
                return None
            if held is not None:
                if value.strip().upper() != held:
                    return None
                continue
            if kind == "number" or not value.strip():
                return None
            if kind == "date":
                try:
                    date.fromisoformat(value)
                except ValueError:
                    return None
        elif given is int or (given is float and math.isfinite(value)):
            if held is not None:
                if str(value).strip().upper() != held:
                    return None
                continue
            if kind != "number":
                return None
        else:  # no bool (read as 1), no NaN, nothing but text and numbers
            return None
        stored[field] = value
    if len(stored) + len(from_holder) != len(declared):
        return None  # a declared field is missing
    return stored
