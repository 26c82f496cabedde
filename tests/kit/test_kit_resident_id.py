from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.kit import regions
from app.kit.resident_id import (
    InvalidResidentId,
    ResidentId,
    check_character,
    is_valid_resident_id,
    make_resident_id,
    parse_resident_id,
)

KNOWN_GOOD = "11010519491231002X"
TODAY = date(2025, 6, 1)
quick = settings(database=None, deadline=None)


def with_check(first17: str) -> str:
    return first17 + check_character(first17)


regions_st = st.sampled_from(sorted(regions.PREFECTURES)).flatmap(
    lambda prefix: st.from_regex(r"[0-9]{2}", fullmatch=True).map(lambda tail: prefix + tail)
)
births_st = st.dates(min_value=date(1900, 1, 1), max_value=date.today() - timedelta(days=1))
sequences_st = st.integers(min_value=0, max_value=999)


def test_known_good_vector() -> None:
    assert parse_resident_id(KNOWN_GOOD) == ResidentId(
        number=KNOWN_GOOD,
        region_code="110105",
        birth_date=date(1949, 12, 31),
        sex="female",
        sequence=2,
    )
    assert is_valid_resident_id(KNOWN_GOOD)
    assert check_character(KNOWN_GOOD[:17]) == "X"


def test_lowercase_x_and_whitespace_are_normalised() -> None:
    assert parse_resident_id(" 11010519491231002x ").number == KNOWN_GOOD


def test_odd_seventeenth_digit_is_male() -> None:
    number = with_check("37020219900101123")
    parsed = parse_resident_id(number)
    assert parsed.sex == "male"
    assert parsed.sequence == 123
    assert parsed.region_code == "370202"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "format"),
        ("11010519491231002", "format"),
        ("11010519491231002XX", "format"),
        ("1101051949123100AX", "format"),
        ("11010519491231002Y", "format"),
        ("１１０１０５１９４９１２３１００２Ｘ", "format"),
        ("110105194912310021", "checksum"),
        ("11010519491231003X", "checksum"),
        (with_check("11010519490230002"), "birth_date"),
        (with_check("11010519491301002"), "birth_date"),
        (with_check("11010518991231002"), "birth_date"),
        (with_check("11010521000101002"), "birth_date"),
        (with_check("99010519491231002"), "region"),
        (with_check("11000019491231002"), "region"),
    ],
)
def test_known_bad(value: str, reason: str) -> None:
    with pytest.raises(InvalidResidentId) as excinfo:
        parse_resident_id(value, today=TODAY)
    assert excinfo.value.reason == reason
    assert isinstance(excinfo.value, ValueError)
    assert not is_valid_resident_id(value)


def test_birth_today_is_accepted_and_tomorrow_is_not() -> None:
    assert parse_resident_id(with_check("37020220250601001"), today=TODAY).birth_date == TODAY
    with pytest.raises(InvalidResidentId, match="out of range"):
        parse_resident_id(with_check("37020220250602001"), today=TODAY)


def test_check_character_rejects_bad_input() -> None:
    for bad in ["1234", "1101051949123100X", "１１０１０５１９４９１２３１００２"]:
        with pytest.raises(ValueError, match="17 ASCII digits"):
            check_character(bad)


@quick
@given(region=regions_st, birth=births_st, sequence=sequences_st)
def test_make_then_parse_round_trips(region: str, birth: date, sequence: int) -> None:
    number = make_resident_id(region, birth, sequence)
    parsed = parse_resident_id(number)
    assert parsed.number == number
    assert parsed.region_code == region
    assert parsed.birth_date == birth
    assert parsed.sequence == sequence
    assert parsed.sex == ("male" if sequence % 2 else "female")


@quick
@given(
    region=regions_st,
    birth=births_st,
    sequence=sequences_st,
    position=st.integers(min_value=0, max_value=17),
    data=st.data(),
)
def test_any_single_character_change_is_detected(
    region: str, birth: date, sequence: int, position: int, data: st.DataObject
) -> None:
    number = make_resident_id(region, birth, sequence)
    allowed = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from([c for c in allowed if c != number[position]]))
    corrupted = number[:position] + replacement + number[position + 1 :]
    assert not is_valid_resident_id(corrupted)


def test_make_resident_id_rejects_bad_parts() -> None:
    with pytest.raises(ValueError, match="region"):
        make_resident_id("990000", date(1990, 1, 1), 1)
    with pytest.raises(ValueError, match="birth date"):
        make_resident_id("370202", date(1899, 12, 31), 1)
    with pytest.raises(ValueError, match="birth date"):
        make_resident_id("370202", date.today() + timedelta(days=2), 1)
    with pytest.raises(ValueError, match="sequence"):
        make_resident_id("370202", date(1990, 1, 1), 1000)
    with pytest.raises(ValueError, match="sequence"):
        make_resident_id("370202", date(1990, 1, 1), -1)


def test_make_resident_id_pads_sequence() -> None:
    assert make_resident_id("370202", date(1990, 1, 1), 7) == with_check("37020219900101007")
