"""Electronic-license (电子证照) identifiers in the GB/T 36904 form.

An identifier is the OID arc ``1.2.156.3005.2`` followed by five dot-separated segments::

    1.2.156.3005.2.<type code>.<issuer USCC>.<serial>.<version>.<check>

- type code: 1-16 characters from ``0-9A-Z`` (the width of ``license_types.type_code``); the
  seeded codes are the region, the kind letters and a number, e.g. ``370200ZZ0001``.
- issuer USCC: the issuing department's 18-character unified social credit code (GB 32100).
- serial: exactly 10 digits, zero-padded, so each serial 0..9,999,999,999 has one spelling.
- version: exactly 3 digits, 001-999; a renewal or a change issues the next version.
- check: one character from ``0-9A-Z``, ISO/IEC 7064 MOD 37,36 over the segments after the
  root with the dots removed (type code + USCC + serial + version).

MOD 37,36 is the hybrid system for alphanumeric strings (M = 36, M + 1 = 37; ``0-9`` are worth
0-9 and ``A-Z`` 10-35). Starting from P = M, each character of value a gives S = (P + a) mod M,
with 0 read as M, and then P = 2S mod (M + 1). The check character is the one that makes the
final S equal 1, i.e. of value (M + 1 - P) mod M. It detects every single substitution. It misses
an adjacent transposition in 72 of the 45,360 combinations of running P and ordered pair of
distinct characters (1 in 630), always of two characters whose values differ by 1 mod 36:
``0JK`` and ``0KJ`` share their check character.

Worked example: the business licence type ``370200ZZ0001``, issuer ``11370200MB15713705``,
serial 1 and version 1 give the body ``370200ZZ000111370200MB157137050000000001001``, whose check
character is ``I``: ``1.2.156.3005.2.370200ZZ0001.11370200MB15713705.0000000001.001.I``.

The canonical form is the only accepted one: upper case, no whitespace, no leading or trailing
text. An identifier is an exact registry key, so callers that want leniency normalise first.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

from app.kit.uscc import InvalidUscc, is_valid_uscc, parse_uscc

Reason = Literal["format", "root", "type_code", "issuer", "serial", "version", "checksum"]

ROOT = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TYPE_CODE_MAX_LENGTH = 16
SERIAL_DIGITS = 10
MAX_SERIAL = 10**SERIAL_DIGITS - 1
MAX_VERSION = 999

_M = len(ALPHABET)
_VALUES = {char: value for value, char in enumerate(ALPHABET)}
_ROOT_ARCS = ROOT.count(".") + 1
_SEGMENTS = _ROOT_ARCS + 5  # type code, issuer, serial, version, check
# ASCII-only character classes: no upper-casing happens, so "ﬀ" and full-width digits stay out.
_DATA = re.compile("[0-9A-Z]+")
_TYPE_CODE = re.compile(f"[0-9A-Z]{{1,{TYPE_CODE_MAX_LENGTH}}}")
_USCC = re.compile("[0-9A-Z]{18}")
_SERIAL = re.compile(f"[0-9]{{{SERIAL_DIGITS}}}")
_VERSION = re.compile("[0-9]{3}")
_CHECK = re.compile("[0-9A-Z]")


class InvalidLicenseId(ValueError):
    """A license identifier failed validation; `reason` says which rule."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


@dataclass(frozen=True, slots=True)
class LicenseId:
    """A validated license identifier split into its segments."""

    type_code: str
    issuer_uscc: str
    serial: int
    version: int
    check: str

    @property
    def number(self) -> str:
        """The identifier in its canonical dotted form."""
        return (
            f"{ROOT}.{self.type_code}.{self.issuer_uscc}"
            f".{self.serial:0{SERIAL_DIGITS}d}.{self.version:03d}.{self.check}"
        )

    def next_version(self) -> LicenseId:
        """The same license's next version, with its own check character."""
        return parse_license_id(
            make_license_id(self.type_code, self.issuer_uscc, self.serial, self.version + 1)
        )


def _hybrid_p(data: str) -> int:
    return _hybrid_p_from(_M, data)


def _hybrid_p_from(p: int, data: str) -> int:
    for char in data:
        s = (p + _VALUES[char]) % _M or _M
        p = s * 2 % (_M + 1)
    return p


@functools.cache
def _first_endings(p: int) -> tuple[str, ...]:
    """What follows the first 7 serial digits in the identifiers of versions 1 of serials
    xxx000-xxx999 after a running state `p` ("000.001.C" …), indexed by the last 3 digits."""
    checks = _first_tails(p)
    return tuple(f"{rest:03d}.001.{checks[rest]}" for rest in range(1000))


@functools.cache
def _first_tails(p: int) -> str:
    """The check characters of the last three serial digits 000-999 and version 001 after a
    running state `p` (one of 36), as a string indexed by those digits."""
    return "".join(
        ALPHABET[(_M + 1 - _hybrid_p_from(p, f"{rest:03d}001")) % _M] for rest in range(1000)
    )


def check_character(data: str) -> str:
    """Return the ISO/IEC 7064 MOD 37,36 check character for a string over ``0-9A-Z``."""
    if not _DATA.fullmatch(data):
        raise ValueError("expected one or more characters from 0-9A-Z")
    return ALPHABET[(_M + 1 - _hybrid_p(data)) % _M]


def verify_check_character(protected: str) -> bool:
    """Return whether a string ends in its MOD 37,36 check character (the final S is 1)."""
    if len(protected) < 2 or not _DATA.fullmatch(protected):
        return False
    p = _hybrid_p(protected[:-1])
    return (p + _VALUES[protected[-1]]) % _M == 1


def _body(type_code: str, issuer_uscc: str, serial: int, version: int) -> str:
    return f"{type_code}{issuer_uscc}{serial:0{SERIAL_DIGITS}d}{version:03d}"


def parse_license_id(value: str) -> LicenseId:
    """Validate and decompose a license identifier; only the canonical form is accepted."""
    parts = value.split(".")
    if len(parts) != _SEGMENTS:
        raise InvalidLicenseId("format", f"expected {_SEGMENTS} dot-separated segments")
    if ".".join(parts[:_ROOT_ARCS]) != ROOT:
        raise InvalidLicenseId("root", f"expected the root {ROOT}")
    type_code, issuer, serial, version, check = parts[_ROOT_ARCS:]
    if not _TYPE_CODE.fullmatch(type_code):
        raise InvalidLicenseId("type_code", "expected 1-16 characters from 0-9A-Z")
    if not _USCC.fullmatch(issuer):
        raise InvalidLicenseId("issuer", "expected an 18-character upper-case USCC")
    try:
        parse_uscc(issuer)
    except InvalidUscc as exc:
        raise InvalidLicenseId("issuer", f"issuer USCC is invalid ({exc.reason})") from exc
    if not _SERIAL.fullmatch(serial):
        raise InvalidLicenseId("serial", f"expected exactly {SERIAL_DIGITS} digits")
    if not _VERSION.fullmatch(version) or version == "000":
        raise InvalidLicenseId("version", "expected three digits from 001 to 999")
    if not _CHECK.fullmatch(check):
        raise InvalidLicenseId("checksum", "expected one check character from 0-9A-Z")
    if not verify_check_character(f"{type_code}{issuer}{serial}{version}{check}"):
        raise InvalidLicenseId("checksum", "check character does not match")
    return LicenseId(
        type_code=type_code,
        issuer_uscc=issuer,
        serial=int(serial),
        version=int(version),
        check=check,
    )


def is_valid_license_id(value: str) -> bool:
    """Return whether the value is a valid license identifier in canonical form."""
    try:
        parse_license_id(value)
    except InvalidLicenseId:
        return False
    return True


def _check_parts(type_code: str, issuer_uscc: str) -> None:
    if not _TYPE_CODE.fullmatch(type_code):
        raise ValueError(f"type code must be 1-{TYPE_CODE_MAX_LENGTH} characters from 0-9A-Z")
    if not (_USCC.fullmatch(issuer_uscc) and is_valid_uscc(issuer_uscc)):
        raise ValueError("issuer must be a valid upper-case unified social credit code")


class LicenseIdSeries:
    """The identifiers of one type and issuer, for issuing many at once (bulk import).

    The same identifiers as `make_license_id`, but the type code and issuer are checked once
    and the check character's running state after them is kept, so each identifier costs only
    its serial and version digits.
    """

    def __init__(self, type_code: str, issuer_uscc: str) -> None:
        _check_parts(type_code, issuer_uscc)
        self._prefix = f"{ROOT}.{type_code}.{issuer_uscc}."
        self._p = _hybrid_p(type_code + issuer_uscc)
        # Serials come in runs: the running state after a serial's first 7 digits is kept for
        # the next, and the rest of a first version's digits are looked up (`_first_tails`).
        self._thousand = -1
        self._thousand_p = 0
        self._thousand_prefix = ""

    def make(self, serial: int, version: int = 1) -> str:
        """The identifier of `serial` and `version`, with its check character."""
        if not 0 <= serial <= MAX_SERIAL:
            raise ValueError(f"serial must be within 0..{MAX_SERIAL}")
        if not 1 <= version <= MAX_VERSION:
            raise ValueError(f"version must be within 1..{MAX_VERSION}")
        if version == 1:
            thousand, rest = divmod(serial, 1000)
            if thousand != self._thousand:
                head = f"{thousand:0{SERIAL_DIGITS - 3}d}"
                self._thousand_p = _hybrid_p_from(self._p, head)
                self._thousand_prefix = f"{self._prefix}{head}"
                self._thousand = thousand
            check = _first_tails(self._thousand_p)[rest]
            return f"{self._thousand_prefix}{rest:03d}.001.{check}"
        digits = f"{serial:0{SERIAL_DIGITS}d}{version:03d}"
        p = self._p
        for char in digits:
            s = (p + ord(char) - 48) % _M or _M  # a digit's value is the digit
            p = s * 2 % (_M + 1)
        check = ALPHABET[(_M + 1 - p) % _M]
        return f"{self._prefix}{digits[:SERIAL_DIGITS]}.{digits[SERIAL_DIGITS:]}.{check}"

    def make_run(self, first: int, count: int) -> list[str]:
        """`make` of `count` consecutive serials from `first`, each its version 1 (a bulk import
        numbers a batch's licenses of a type at once): a thousand serials share a prefix, and
        each identifier is that prefix and a looked-up ending."""
        if count < 0 or first < 0 or first + count - 1 > MAX_SERIAL:
            raise ValueError(f"serials must be within 0..{MAX_SERIAL}")
        numbers: list[str] = []
        serial, end = first, first + count
        while serial < end:
            thousand, rest = divmod(serial, 1000)
            head = f"{thousand:0{SERIAL_DIGITS - 3}d}"
            prefix = f"{self._prefix}{head}"
            endings = _first_endings(_hybrid_p_from(self._p, head))
            stop = min(1000, rest + end - serial)
            numbers.extend([prefix + ending for ending in endings[rest:stop]])
            serial += stop - rest
        return numbers


def make_license_id(type_code: str, issuer_uscc: str, serial: int, version: int = 1) -> str:
    """Assemble a license identifier and append its check character; parts must be canonical."""
    _check_parts(type_code, issuer_uscc)
    if not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial must be within 0..{MAX_SERIAL}")
    if not 1 <= version <= MAX_VERSION:
        raise ValueError(f"version must be within 1..{MAX_VERSION}")
    check = check_character(_body(type_code, issuer_uscc, serial, version))
    return LicenseId(type_code, issuer_uscc, serial, version, check).number
