"""Unified Social Credit Codes for organisations (GB 32100-2015)."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Literal

Reason = Literal["format", "checksum"]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {char: value for value, char in enumerate(ALPHABET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_CHAR = f"[{ALPHABET}]"
# The region part (chars 3-8) is a GB/T 2260 code, hence digits only.
_SHAPE = re.compile(f"{_CHAR}{{2}}[0-9]{{6}}{_CHAR}{{10}}")
_FIRST17 = re.compile(f"{_CHAR}{{17}}")


class InvalidUscc(ValueError):
    """A credit code failed validation; `reason` says which rule."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


@dataclass(frozen=True, slots=True)
class Uscc:
    """A validated unified social credit code split into its fields."""

    code: str
    registration_authority: str
    entity_type: str
    region_code: str
    organization_code: str


def check_character(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters."""
    if not _FIRST17.fullmatch(first17):
        raise ValueError("expected 17 characters from the USCC alphabet")
    total = sum(map(operator.mul, map(_VALUES.__getitem__, first17), _WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def parse_uscc(value: str) -> Uscc:
    """Validate and decompose an 18-character unified social credit code."""
    code = uscc_code(value)
    return Uscc(
        code=code,
        registration_authority=code[0],
        entity_type=code[1],
        region_code=code[2:8],
        organization_code=code[8:17],
    )


def uscc_code(value: str) -> str:
    """The normalised code of `parse_uscc`, without the decomposition (a bulk import checks
    millions); InvalidUscc as there."""
    code = value.strip().upper()
    # Some non-ASCII characters upper-case into ASCII (the ligature "ﬀ" becomes "FF").
    if not value.isascii() or not _SHAPE.fullmatch(code):
        raise InvalidUscc("format", "expected 18 characters from the USCC alphabet")
    # check_character, its input already known to be from the alphabet.
    total = sum(map(operator.mul, map(_VALUES.__getitem__, code[:17]), _WEIGHTS))
    if ALPHABET[(31 - total % 31) % 31] != code[17]:
        raise InvalidUscc("checksum", "check character does not match")
    return code


def is_valid_uscc(value: str) -> bool:
    """Return whether the value is a valid unified social credit code."""
    try:
        parse_uscc(value)
    except InvalidUscc:
        return False
    return True


def make_uscc(authority: str, entity_type: str, region_code: str, organization_code9: str) -> str:
    """Assemble a unified social credit code and append its check character."""
    first17 = f"{authority}{entity_type}{region_code}{organization_code9}".upper()
    if not (
        len(authority) == 1
        and len(entity_type) == 1
        and len(region_code) == 6
        and len(organization_code9) == 9
        and _SHAPE.fullmatch(first17 + "0")
    ):
        raise ValueError("parts must be 1 + 1 + 6 digits + 9 characters from the USCC alphabet")
    return first17 + check_character(first17)
