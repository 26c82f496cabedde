import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.kit.uscc import (
    ALPHABET,
    InvalidUscc,
    Uscc,
    check_character,
    is_valid_uscc,
    make_uscc,
    parse_uscc,
)

KNOWN_GOOD = ["91110000600037341L", "91350100M000100Y43"]
quick = settings(database=None, deadline=None)

char_st = st.sampled_from(ALPHABET)
region_st = st.from_regex(r"[0-9]{6}", fullmatch=True)
org_st = st.text(alphabet=ALPHABET, min_size=9, max_size=9)


def test_alphabet_is_31_characters_without_confusable_letters() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 31
    assert not set("IOSVZ") & set(ALPHABET)


@pytest.mark.parametrize("code", KNOWN_GOOD)
def test_known_good_vectors(code: str) -> None:
    assert is_valid_uscc(code)
    assert check_character(code[:17]) == code[17]
    assert parse_uscc(code.lower()).code == code


def test_parse_splits_fields() -> None:
    assert parse_uscc("91350100M000100Y43") == Uscc(
        code="91350100M000100Y43",
        registration_authority="9",
        entity_type="1",
        region_code="350100",
        organization_code="M000100Y4",
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "format"),
        ("91110000600037341", "format"),
        ("91110000600037341L0", "format"),
        ("91110000600037341I", "format"),
        ("91110000600037341O", "format"),
        ("9111000060003734SL", "format"),
        ("91110000V00037341L", "format"),
        ("91110000Z00037341L", "format"),
        ("9111000A600037341L", "format"),  # region part must be digits
        ("91110000600037341-", "format"),
        ("9111000060003734１L", "format"),
        ("91110000600037341M", "checksum"),
        ("91350100M000100Y44", "checksum"),
        ("91110000600037342L", "checksum"),
    ],
)
def test_known_bad(value: str, reason: str) -> None:
    with pytest.raises(InvalidUscc) as excinfo:
        parse_uscc(value)
    assert excinfo.value.reason == reason
    assert not is_valid_uscc(value)


def test_non_ascii_that_uppercases_to_ascii_is_rejected() -> None:
    # "ﬀ".upper() == "FF": without an ASCII check this 17-character input would pass.
    code = make_uscc("9", "1", "370200", "MA3C0FF12")
    sneaky = code.replace("FF", "ﬀ")
    assert len(sneaky) == 17
    assert not is_valid_uscc(sneaky)


@quick
@given(authority=char_st, entity=char_st, region=region_st, org=org_st)
def test_make_then_parse_round_trips(authority: str, entity: str, region: str, org: str) -> None:
    code = make_uscc(authority, entity, region, org)
    parsed = parse_uscc(code)
    assert parsed.code == code
    assert (parsed.registration_authority, parsed.entity_type) == (authority, entity)
    assert (parsed.region_code, parsed.organization_code) == (region, org)


@quick
@given(
    authority=char_st,
    entity=char_st,
    region=region_st,
    org=org_st,
    position=st.integers(min_value=0, max_value=17),
    data=st.data(),
)
def test_any_single_character_change_is_detected(
    authority: str, entity: str, region: str, org: str, position: int, data: st.DataObject
) -> None:
    code = make_uscc(authority, entity, region, org)
    replacement = data.draw(st.sampled_from([c for c in ALPHABET if c != code[position]]))
    corrupted = code[:position] + replacement + code[position + 1 :]
    assert not is_valid_uscc(corrupted)


def test_make_uscc_normalises_case_and_rejects_bad_parts() -> None:
    assert make_uscc("9", "1", "350100", "m000100y4") == "91350100M000100Y43"
    for parts in [
        ("91", "1", "350100", "M000100Y4"),
        ("9", "1", "35010", "M000100Y4"),
        ("9", "1", "35010A", "M000100Y4"),
        ("9", "1", "350100", "M000100Y"),
        ("9", "1", "350100", "M000100YO"),
    ]:
        with pytest.raises(ValueError, match="parts"):
            make_uscc(*parts)


def test_check_character_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="17 characters"):
        check_character("9111000060003734")
    with pytest.raises(ValueError, match="17 characters"):
        check_character("9111000060003734I")
