import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.kit.masking import mask_document, mask_id_number, mask_name, mask_phone, redact_text
from app.kit.resident_id import make_resident_id

quick = settings(database=None, deadline=None)
id_st = st.from_regex(r"[0-9]{17}[0-9X]", fullmatch=True)
phone_st = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
# Surrounding text without digits, so a number is never part of a longer digit run.
prose_st = st.text(st.characters(blacklist_categories=("Nd", "Cs")), max_size=20)
separator_st = st.text(st.characters(blacklist_categories=("Nd", "Cs")), min_size=1, max_size=5)


def test_mask_id_number() -> None:
    assert mask_id_number("370202199001011234") == "370202********1234"
    assert mask_id_number("11010519491231002X") == "110105********002X"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("370202900101123", "***********1123"),  # legacy 15-digit number
        ("12345678", "****5678"),
        ("12345", "***45"),
        ("1234", "**34"),
        ("1", "*"),
        ("", ""),
    ],
)
def test_mask_id_number_odd_lengths_never_reveal_everything(value: str, expected: str) -> None:
    assert mask_id_number(value) == expected


@quick
@given(value=id_st)
def test_masked_id_hides_the_middle(value: str) -> None:
    masked = mask_id_number(value)
    assert masked[6:14] == "********"
    assert (masked[:6], masked[14:]) == (value[:6], value[14:])


@quick
@given(value=st.text(st.characters(blacklist_characters="*"), min_size=1, max_size=40))
def test_masking_never_returns_the_value(value: str) -> None:
    for mask in (mask_id_number, mask_phone, mask_name):
        masked = mask(value)
        assert masked != value
        assert len(masked) == len(value)


def test_mask_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0532-8888") == "*****8888"
    assert mask_phone("12345678901") == "*******8901"


def test_mask_name() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("张") == "*"
    assert mask_name("") == ""


def test_redact_text_sentence() -> None:
    text = "申请人身份证号11010519491231002X，手机13812345678，请核实。"
    assert redact_text(text) == "申请人身份证号110105********002X，手机138****5678，请核实。"


def test_redact_text_variants() -> None:
    assert redact_text("id=11010519491231002x.") == "id=110105********002x."
    assert redact_text("tel +8613812345678") == "tel +86138****5678"
    assert redact_text("tel 86-13812345678;") == "tel 86-138****5678;"
    assert redact_text("a 13812345678 and 15900001111") == "a 138****5678 and 159****1111"


def test_redact_text_leaves_other_numbers_alone() -> None:
    for text in [
        "order 1381234567890 shipped",  # phone-like prefix of a longer digit run
        "amount 12812345678",  # 12x is not a mobile prefix
        "ticket 1101051949123100211",  # 19 digits is not an ID
        "nothing to see",
    ]:
        assert redact_text(text) == text


@quick
@given(before=prose_st, after=prose_st, region=st.sampled_from(["370202", "110105"]))
def test_redacted_text_never_contains_full_id(before: str, after: str, region: str) -> None:
    number = make_resident_id(region, date(1990, 1, 1), 123)
    assert number not in redact_text(before + number + after)
    assert number.lower() not in redact_text(before + number.lower() + after)


@quick
@given(before=separator_st, after=separator_st, phone=phone_st, number=id_st)
def test_redacted_text_never_contains_full_phone_or_id(
    before: str, after: str, phone: str, number: str
) -> None:
    redacted = redact_text(before + phone + after + number + before)
    assert phone not in redacted
    assert number not in redacted
    assert not re.search(r"[0-9]{9}", redacted)


def test_mask_document_masks_identifiers_at_any_depth_and_nothing_else() -> None:
    form = {
        "applicant_name": "王晓明",
        "id_number": "37020219900517123X",
        "phone": "13912345678",
        "bank_account": "6222020300012345678",
        "hpf_account": 370200001234567,
        "shareholders": [{"id_number": "370202199005171234", "contribution": 200}],
        "note": "请拨打 13912345678 联系",
        "rental_address": "青岛市市南区香港中路 10 号 3 单元 501 户",
        "lease_start": "2026-09-01",
        "conditions_unchanged": True,
        "registered_capital": 200,
        "balance": 48210.5,
    }
    assert mask_document(form) == {
        **form,
        "id_number": "370202********123X",
        "phone": "139****5678",
        "bank_account": "***************5678",
        "hpf_account": "***********4567",
        "shareholders": [{"id_number": "370202********1234", "contribution": 200}],
        "note": "请拨打 139****5678 联系",
    }


@quick
@given(account=st.from_regex(r"[1-9][0-9]{11,18}", fullmatch=True), before=prose_st, after=prose_st)
def test_a_masked_document_never_contains_an_account_number(
    account: str, before: str, after: str
) -> None:
    masked = mask_document({"a": [before + account + after], "b": int(account)})
    assert account not in str(masked)
    assert str(int(account)) not in str(masked)
