"""Identifiers that encode an index reversibly: resident IDs, mobile numbers, credit codes."""

from __future__ import annotations

from datetime import date

from app.adapters.simulator.names import MOBILE_PREFIXES
from app.adapters.simulator.permutation import Permutation
from app.kit.regions import QINGDAO_DISTRICTS
from app.kit.resident_id import InvalidResidentId, make_resident_id, parse_resident_id
from app.kit.uscc import ALPHABET, InvalidUscc, make_uscc, parse_uscc

DISTRICTS: tuple[str, ...] = tuple(QINGDAO_DISTRICTS)
BIRTH_FIRST = date(1941, 1, 1)
BIRTH_LAST = date(2006, 12, 31)
_BIRTH_DAYS = BIRTH_LAST.toordinal() - BIRTH_FIRST.toordinal() + 1
_FIRST_ORDINAL = BIRTH_FIRST.toordinal()
# Sequence numbers come in (even, odd) pairs: the slot picks the pair, the index parity the sex.
_SEQUENCE_PAIRS = 500
_PHONE_BLOCK = 10**8
_ORG_DIGITS = 7
_ORG_PREFIX = "MA"
_PREFIX_INDEX = {prefix: i for i, prefix in enumerate(MOBILE_PREFIXES)}
_ALPHABET_INDEX = {char: i for i, char in enumerate(ALPHABET)}

ID_CAPACITY = len(DISTRICTS) * _BIRTH_DAYS * _SEQUENCE_PAIRS
PHONE_CAPACITY = len(MOBILE_PREFIXES) * _PHONE_BLOCK


def is_male_index(index: int) -> bool:
    """Sex follows index parity, so pairing 2k with 2k+1 always pairs a man with a woman."""
    return index % 2 == 0


class IdentityCodec:
    """Keyed, invertible encodings of person and enterprise indices."""

    def __init__(self, seed: int) -> None:
        self._ids = Permutation(seed, "resident-id", ID_CAPACITY)
        self._phones = Permutation(seed, "phone", PHONE_CAPACITY)
        self._orgs = Permutation(seed, "organization", len(ALPHABET) ** _ORG_DIGITS)

    def identity(self, index: int) -> tuple[str, date, int]:
        """Return the (district code, birth date, sequence) encoded for a person index."""
        slot = self._ids.forward(index)
        slot, district = divmod(slot, len(DISTRICTS))
        pair, day = divmod(slot, _BIRTH_DAYS)
        sequence = 2 * pair + (1 if is_male_index(index) else 0)
        return DISTRICTS[district], date.fromordinal(_FIRST_ORDINAL + day), sequence

    def birth_date(self, index: int) -> date:
        """Return only the birth date of a person index."""
        slot = self._ids.forward(index) // len(DISTRICTS)
        return date.fromordinal(_FIRST_ORDINAL + slot % _BIRTH_DAYS)

    def id_number(self, index: int) -> str:
        """Return the resident ID number of a person index."""
        district, birth, sequence = self.identity(index)
        return make_resident_id(district, birth, sequence)

    def index_of_id(self, id_number: str) -> int | None:
        """Return the index an ID number encodes, or None if this population never issues it."""
        try:
            parsed = parse_resident_id(id_number)
        except InvalidResidentId:
            return None
        if parsed.region_code not in QINGDAO_DISTRICTS:
            return None
        if not BIRTH_FIRST <= parsed.birth_date <= BIRTH_LAST:
            return None
        day = parsed.birth_date.toordinal() - _FIRST_ORDINAL
        district = DISTRICTS.index(parsed.region_code)
        slot = (parsed.sequence // 2 * _BIRTH_DAYS + day) * len(DISTRICTS) + district
        index = self._ids.inverse(slot)
        if is_male_index(index) != (parsed.sequence % 2 == 1):
            return None
        return index

    def phone(self, index: int) -> str:
        """Return the mobile number of a person index."""
        prefix, rest = divmod(self._phones.forward(index), _PHONE_BLOCK)
        return f"{MOBILE_PREFIXES[prefix]}{rest:08d}"

    def index_of_phone(self, phone: str) -> int | None:
        """Return the index a mobile number encodes, or None if it is not one of ours."""
        phone = phone.strip()
        if len(phone) != 11 or not phone.isascii() or not phone.isdigit():
            return None
        prefix = _PREFIX_INDEX.get(phone[:3])
        if prefix is None:
            return None
        return self._phones.inverse(prefix * _PHONE_BLOCK + int(phone[3:]))

    def uscc(self, index: int, district_code: str) -> str:
        """Return the credit code of an enterprise index registered in a district."""
        value = self._orgs.forward(index)
        chars = []
        for _ in range(_ORG_DIGITS):
            value, digit = divmod(value, len(ALPHABET))
            chars.append(ALPHABET[digit])
        return make_uscc("9", "1", district_code, _ORG_PREFIX + "".join(reversed(chars)))

    def index_of_uscc(self, code: str) -> int | None:
        """Return the enterprise index a credit code encodes (the caller checks the region)."""
        try:
            parsed = parse_uscc(code)
        except InvalidUscc:
            return None
        org = parsed.organization_code
        if parsed.code[:2] != "91" or not org.startswith(_ORG_PREFIX):
            return None
        value = 0
        for char in org[len(_ORG_PREFIX) :]:
            value = value * len(ALPHABET) + _ALPHABET_INDEX[char]
        return self._orgs.inverse(value)
