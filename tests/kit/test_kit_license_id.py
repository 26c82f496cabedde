import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.kit import license_id
from app.kit.license_id import (
    ALPHABET,
    MAX_SERIAL,
    ROOT,
    InvalidLicenseId,
    LicenseId,
    LicenseIdSeries,
    check_character,
    is_valid_license_id,
    make_license_id,
    parse_license_id,
    verify_check_character,
)
from app.kit.uscc import ALPHABET as USCC_ALPHABET
from app.kit.uscc import make_uscc
from app.reference.license_types import license_types

LICENSE_TYPES = license_types()

ISSUER = "11370200MB15713705"  # fictional: Qingdao government body, valid GB 32100 check
EXAMPLE = "1.2.156.3005.2.370200ZZ0001.11370200MB15713705.0000000001.001.I"
EXAMPLE_BODY = "370200ZZ000111370200MB157137050000000001001"
# GRid (IFPI) identifiers protected with MOD 37,36, published with their check character.
MOD37_36_VECTORS = ["A12425GABC1234002M", "B159D8FA01240000K", "188166C7342000003"]
M = 36
quick = settings(database=None, deadline=None)

type_code_st = st.text(alphabet=ALPHABET, min_size=1, max_size=16)
uscc_st = st.builds(
    make_uscc,
    st.sampled_from(USCC_ALPHABET),
    st.sampled_from(USCC_ALPHABET),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)
serial_st = st.integers(min_value=0, max_value=MAX_SERIAL)
version_st = st.integers(min_value=1, max_value=999)
license_id_st = st.builds(make_license_id, type_code_st, uscc_st, serial_st, version_st)


def reference_final_s(text: str) -> int:
    """ISO/IEC 7064 hybrid MOD 37,36 spelled out step by step, independent of the module."""
    product = M
    remainder = M
    for char in text:
        total = (product + ALPHABET.index(char)) % M
        remainder = M if total == 0 else total
        product = (2 * remainder) % (M + 1)
    return remainder


def with_segments(**changes: str) -> str:
    """The example identifier with some segments replaced (the check is left as it was)."""
    names = ["type_code", "issuer", "serial", "version", "check"]
    parts = dict(zip(names, EXAMPLE.removeprefix(ROOT + ".").split("."), strict=True))
    parts.update(changes)
    return ".".join([ROOT, *parts.values()])


def test_alphabet_is_the_36_digits_and_letters() -> None:
    assert ALPHABET == "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@pytest.mark.parametrize("protected", MOD37_36_VECTORS)
def test_published_mod37_36_vectors(protected: str) -> None:
    assert check_character(protected[:-1]) == protected[-1]
    assert verify_check_character(protected)
    assert reference_final_s(protected) == 1


def test_worked_example_from_the_docstring() -> None:
    assert make_license_id("370200ZZ0001", ISSUER, 1) == EXAMPLE
    assert check_character(EXAMPLE_BODY) == "I"
    assert reference_final_s(EXAMPLE_BODY + "I") == 1
    assert parse_license_id(EXAMPLE) == LicenseId(
        type_code="370200ZZ0001", issuer_uscc=ISSUER, serial=1, version=1, check="I"
    )
    assert parse_license_id(EXAMPLE).number == EXAMPLE
    assert license_id.__doc__ is not None
    assert EXAMPLE in license_id.__doc__
    assert EXAMPLE_BODY in license_id.__doc__


def test_every_seeded_license_type_code_fits() -> None:
    for license_type in LICENSE_TYPES:
        number = make_license_id(license_type.type_code, ISSUER, 42)
        assert parse_license_id(number).type_code == license_type.type_code


@quick
@given(body=st.text(alphabet=ALPHABET, min_size=1, max_size=60))
def test_exactly_one_check_character_validates(body: str) -> None:
    accepted = [char for char in ALPHABET if reference_final_s(body + char) == 1]
    assert accepted == [check_character(body)]
    for char in ALPHABET:
        assert verify_check_character(body + char) == (char == accepted[0])


def test_adjacent_transpositions_missed_only_for_neighbouring_values() -> None:
    # The first character runs P through all 36 values, so this covers every case.
    missed = [
        (first, a, b)
        for first in ALPHABET
        for a in ALPHABET
        for b in ALPHABET
        if a != b and check_character(first + a + b) == check_character(first + b + a)
    ]
    assert len(missed) == 72
    assert all((ALPHABET.index(a) - ALPHABET.index(b)) % M in (1, M - 1) for _, a, b in missed)
    assert ("0", "J", "K") in missed  # the docstring's example


def test_a_known_undetected_transposition() -> None:
    # A documented limit of MOD 37,36: "78" -> "87" in the serial keeps the check character.
    original = make_license_id("370200ZZ0001", ISSUER, 780)
    swapped = make_license_id("370200ZZ0001", ISSUER, 870)
    assert original.rsplit(".", 1)[1] == swapped.rsplit(".", 1)[1]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "format"),
        (EXAMPLE + ".I", "format"),
        (EXAMPLE.rsplit(".", 1)[0], "format"),
        (EXAMPLE.replace("ZZ0001.", "ZZ0001"), "format"),
        (EXAMPLE.replace("1.2.156.3005.2", "1.2.156.3005.3"), "root"),
        (EXAMPLE.replace("1.2.156.3005.2", "1.2.156.3006.2"), "root"),
        (EXAMPLE.replace("1.2.156.3005.2", "2.1.156.3005.2"), "root"),
        (" " + EXAMPLE, "root"),
        (with_segments(type_code=""), "type_code"),
        (with_segments(type_code="370200zz0001"), "type_code"),
        (with_segments(type_code="370200ZZ0001-A"), "type_code"),
        (with_segments(type_code="A" * 17), "type_code"),
        (with_segments(type_code="３70200ZZ0001"), "type_code"),
        (with_segments(issuer=ISSUER.lower()), "issuer"),
        (with_segments(issuer=ISSUER[:-1]), "issuer"),
        (with_segments(issuer=ISSUER + "0"), "issuer"),
        (with_segments(issuer="11370200MB15713706"), "issuer"),  # USCC check fails
        (with_segments(issuer="11370200MB1571370I"), "issuer"),  # I is outside the USCC alphabet
        (with_segments(issuer="1137020AMB15713705"), "issuer"),  # region part must be digits
        (with_segments(serial="000000001"), "serial"),
        (with_segments(serial="00000000001"), "serial"),
        (with_segments(serial="000000000A"), "serial"),
        (with_segments(serial="１000000000"), "serial"),
        (with_segments(version="000"), "version"),
        (with_segments(version="0001"), "version"),
        (with_segments(version="01"), "version"),
        (with_segments(version="1"), "version"),
        (with_segments(version="00A"), "version"),
        (with_segments(check="J"), "checksum"),
        (with_segments(check="i"), "checksum"),
        (with_segments(check=""), "checksum"),
        (with_segments(check="II"), "checksum"),
        (with_segments(check="*"), "checksum"),
        (EXAMPLE + " ", "checksum"),
        (EXAMPLE + "\n", "checksum"),
        (with_segments(serial="0000000002"), "checksum"),
        (with_segments(version="002"), "checksum"),
    ],
)
def test_known_bad(value: str, reason: str) -> None:
    with pytest.raises(InvalidLicenseId) as excinfo:
        parse_license_id(value)
    assert excinfo.value.reason == reason
    assert isinstance(excinfo.value, ValueError)
    assert not is_valid_license_id(value)


def test_lowercase_is_not_the_canonical_form() -> None:
    assert not is_valid_license_id(EXAMPLE.lower())
    assert not is_valid_license_id(EXAMPLE.replace("ZZ", "zz"))


@pytest.mark.parametrize(
    ("type_code", "issuer", "serial", "version", "message"),
    [
        ("", ISSUER, 1, 1, "type code"),
        ("370200zz0001", ISSUER, 1, 1, "type code"),
        ("3702.ZZ0001", ISSUER, 1, 1, "type code"),
        ("A" * 17, ISSUER, 1, 1, "type code"),
        ("370200ZZ0001", ISSUER.lower(), 1, 1, "issuer"),
        ("370200ZZ0001", " " + ISSUER, 1, 1, "issuer"),
        ("370200ZZ0001", "11370200MB15713706", 1, 1, "issuer"),
        ("370200ZZ0001", ISSUER, -1, 1, "serial"),
        ("370200ZZ0001", ISSUER, MAX_SERIAL + 1, 1, "serial"),
        ("370200ZZ0001", ISSUER, 1, 0, "version"),
        ("370200ZZ0001", ISSUER, 1, 1000, "version"),
    ],
)
def test_make_rejects_bad_parts(
    type_code: str, issuer: str, serial: int, version: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message) as excinfo:
        make_license_id(type_code, issuer, serial, version)
    assert type(excinfo.value) is ValueError


def test_extreme_parts_are_accepted() -> None:
    number = make_license_id("Z" * 16, ISSUER, MAX_SERIAL, 999)
    assert parse_license_id(number).serial == MAX_SERIAL
    assert make_license_id("0", ISSUER, 0).split(".")[-3:-1] == ["0000000000", "001"]


def test_next_version_stops_at_999() -> None:
    last = parse_license_id(make_license_id("370200ZZ0001", ISSUER, 1, 999))
    with pytest.raises(ValueError, match="version"):
        last.next_version()


def test_check_character_rejects_bad_input() -> None:
    for bad in ["", "abc", "A.B", "A B", "１"]:
        with pytest.raises(ValueError, match="0-9A-Z"):
            check_character(bad)
    for bad in ["", "A", "a1", "A-1"]:
        assert not verify_check_character(bad)


@quick
@given(type_code=type_code_st, issuer=uscc_st, serial=serial_st, version=version_st)
def test_make_then_parse_round_trips(
    type_code: str, issuer: str, serial: int, version: int
) -> None:
    number = make_license_id(type_code, issuer, serial, version)
    parsed = parse_license_id(number)
    assert (parsed.type_code, parsed.issuer_uscc) == (type_code, issuer)
    assert (parsed.serial, parsed.version) == (serial, version)
    assert parsed.number == number
    assert number.startswith(ROOT + ".")
    body = number.removeprefix(ROOT + ".").replace(".", "")
    assert reference_final_s(body) == 1
    assert check_character(body[:-1]) == parsed.check


def _alphanumeric_positions(number: str) -> list[int]:
    return [i for i in range(len(ROOT) + 1, len(number)) if number[i] != "."]


@quick
@given(number=license_id_st, data=st.data())
def test_any_single_substitution_is_detected(number: str, data: st.DataObject) -> None:
    position = data.draw(st.sampled_from(_alphanumeric_positions(number)))
    replacement = data.draw(st.sampled_from([c for c in ALPHABET if c != number[position]]))
    corrupted = number[:position] + replacement + number[position + 1 :]
    assert not is_valid_license_id(corrupted)


@quick
@given(number=license_id_st, data=st.data())
def test_adjacent_transpositions_are_detected(number: str, data: st.DataObject) -> None:
    # Anywhere after the root, dots included; MOD 37,36's only blind spot (values differing by
    # one, see above) may slip through when nothing else (a segment's shape, the USCC check) helps.
    start = len(ROOT) + 1
    position = data.draw(st.integers(min_value=start, max_value=len(number) - 2))
    a, b = number[position], number[position + 1]
    swapped = number[:position] + b + a + number[position + 2 :]
    if a == b:
        assert is_valid_license_id(swapped)
        return
    neighbours = "." not in (a, b) and (ALPHABET.index(a) - ALPHABET.index(b)) % M in (1, M - 1)
    assert not is_valid_license_id(swapped) or neighbours


@quick
@given(number=license_id_st, data=st.data())
def test_transposing_non_neighbouring_values_is_always_detected(
    number: str, data: st.DataObject
) -> None:
    positions = [i for i in _alphanumeric_positions(number) if i + 1 < len(number)]
    pairs = [
        i
        for i in positions
        if number[i + 1] != "."
        and (ALPHABET.index(number[i]) - ALPHABET.index(number[i + 1])) % M not in (0, 1, M - 1)
    ]
    if not pairs:
        return
    i = data.draw(st.sampled_from(pairs))
    assert not is_valid_license_id(number[:i] + number[i + 1] + number[i] + number[i + 2 :])


@quick
@given(type_code=type_code_st, issuer=uscc_st, serial=serial_st, version=st.integers(1, 998))
def test_next_version_increments_and_stays_valid(
    type_code: str, issuer: str, serial: int, version: int
) -> None:
    current = parse_license_id(make_license_id(type_code, issuer, serial, version))
    following = current.next_version()
    assert following.version == version + 1
    assert (following.type_code, following.issuer_uscc, following.serial) == (
        type_code,
        issuer,
        serial,
    )
    assert is_valid_license_id(following.number)
    assert following.number == make_license_id(type_code, issuer, serial, version + 1)


def _parse_or_reject(value: str) -> None:
    try:
        parsed = parse_license_id(value)
    except InvalidLicenseId:
        assert not is_valid_license_id(value)
    else:
        assert parsed.number == value
        assert is_valid_license_id(value)


@quick
@given(value=st.text())
def test_random_text_is_rejected_cleanly(value: str) -> None:
    _parse_or_reject(value)


@quick
@given(tail=st.text(alphabet=ALPHABET + ".", max_size=60))
def test_random_tails_after_the_root_are_rejected_cleanly(tail: str) -> None:
    _parse_or_reject(f"{ROOT}.{tail}")


@quick
@given(number=license_id_st, data=st.data())
def test_inserting_or_deleting_outside_the_type_code_is_detected(
    number: str, data: st.DataObject
) -> None:
    # Every other segment has a fixed width, so a change of length breaks the shape. Inside the
    # variable-length type code only the check character guards (it misses about 1 in 36).
    start = len(ROOT) + 1
    type_code_end = number.index(".", start)
    outside = [i for i in range(len(number)) if not start <= i <= type_code_end]
    position = data.draw(st.sampled_from(outside))
    deleted = number[:position] + number[position + 1 :]
    inserted = number[:position] + data.draw(st.sampled_from(ALPHABET + ".")) + number[position:]
    assert not is_valid_license_id(deleted)
    assert not is_valid_license_id(inserted)


@quick
@given(type_code=type_code_st, issuer=uscc_st, serial=serial_st, version=version_st)
def test_a_series_makes_the_same_identifiers_as_make_license_id(
    type_code: str, issuer: str, serial: int, version: int
) -> None:
    series = LicenseIdSeries(type_code, issuer)
    assert series.make(serial, version) == make_license_id(type_code, issuer, serial, version)


def test_a_series_refuses_what_make_license_id_refuses() -> None:
    assert LicenseIdSeries("370200ZZ0001", ISSUER).make(1) == EXAMPLE
    with pytest.raises(ValueError, match="issuer"):
        LicenseIdSeries("370200ZZ0001", ISSUER[:-1] + "0")
    with pytest.raises(ValueError, match="type code"):
        LicenseIdSeries("370200zz0001", ISSUER)
    series = LicenseIdSeries("370200ZZ0001", ISSUER)
    with pytest.raises(ValueError, match="serial"):
        series.make(MAX_SERIAL + 1)
    with pytest.raises(ValueError, match="version"):
        series.make(1, 0)
