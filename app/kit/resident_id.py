"""Chinese resident identity card numbers (GB 11643-1999)."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from app.kit.clock import to_shanghai, utcnow
from app.kit.regions import is_known_region

Reason = Literal["format", "checksum", "birth_date", "region"]
Sex = Literal["male", "female"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# Σ digit × weight over the digits' code points, less this, is the same sum: one pass over the
# bytes instead of an int() per digit (a bulk import checks millions of numbers).
_ZERO_OFFSET = ord("0") * sum(_WEIGHTS)
_EARLIEST_BIRTH = date(1900, 1, 1)
# ASCII-only on purpose: \d would also accept full-width and other Unicode digits.
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_FIRST17 = re.compile(r"[0-9]{17}")


class InvalidResidentId(ValueError):
    """A resident ID number failed validation; `reason` says which rule."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A validated resident ID number and the facts encoded in it."""

    number: str
    region_code: str
    birth_date: date
    sex: Sex
    sequence: int


def check_character(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits."""
    if not _FIRST17.fullmatch(first17):
        raise ValueError("expected exactly 17 ASCII digits")
    total = sum(map(operator.mul, first17.encode("ascii"), _WEIGHTS)) - _ZERO_OFFSET
    return _CHECK_CHARS[total % 11]


def _today() -> date:
    # Birth dates are civil dates in China, so "the future" is judged on Beijing time.
    return to_shanghai(utcnow()).date()


def parse_resident_id(value: str, *, today: date | None = None) -> ResidentId:
    """Validate and decompose an 18-character resident ID number."""
    number, birth = _validated(value, today)
    return ResidentId(
        number=number,
        region_code=number[:6],
        birth_date=birth,
        sex="male" if int(number[16]) % 2 else "female",
        sequence=int(number[14:17]),
    )


def resident_id_number(value: str, *, today: date | None = None) -> str:
    """The normalised number of `parse_resident_id`, without the decomposition (a bulk import
    checks millions); InvalidResidentId as there."""
    return _validated(value, today)[0]


def _validated(value: str, today: date | None) -> tuple[str, date]:
    number = value.strip().upper()
    if not _SHAPE.fullmatch(number):
        raise InvalidResidentId("format", "expected 17 digits followed by a digit or X")
    # check_character, its input already known to be 17 ASCII digits.
    total = sum(map(operator.mul, number[:17].encode("ascii"), _WEIGHTS)) - _ZERO_OFFSET
    if _CHECK_CHARS[total % 11] != number[17]:
        raise InvalidResidentId("checksum", "check character does not match")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidResidentId("birth_date", "birth date is not a calendar date") from exc
    if not _EARLIEST_BIRTH <= birth <= (today or _today()):
        raise InvalidResidentId("birth_date", "birth date is out of range")
    if not is_known_region(number[:6]):
        raise InvalidResidentId("region", "unknown region code")
    return number, birth


def is_valid_resident_id(value: str) -> bool:
    """Return whether the value is a valid resident ID number."""
    try:
        parse_resident_id(value)
    except InvalidResidentId:
        return False
    return True


def make_resident_id(region_code: str, birth_date: date, sequence: int) -> str:
    """Build a valid resident ID number; the sequence's parity sets the sex (odd = male)."""
    if not is_known_region(region_code):
        raise ValueError(f"unknown region code {region_code!r}")
    if not _EARLIEST_BIRTH <= birth_date <= _today():
        raise ValueError("birth date must be between 1900-01-01 and today")
    if not 0 <= sequence <= 999:
        raise ValueError("sequence must be within 0..999")
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
