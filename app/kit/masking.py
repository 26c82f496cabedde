"""Masking of personal identifiers for display and logs."""

from __future__ import annotations

import re
from typing import Any

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# \d is Unicode-aware on purpose here: full-width digits in free text are still an ID.
_ID_IN_TEXT = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(\+?86[- ]?)?(1[3-9]\d{9})(?!\d)")
# Bank card (16-19 digits) and account numbers (a housing-fund account has 12-15) have no
# shape of their own: in a document shown masked, every run of 12 or more digits is one.
# Amounts, dates and counts are shorter.
_ACCOUNT_IN_TEXT = re.compile(r"(?<!\d)\d{12,}(?!\d)")
_ACCOUNT_DIGITS = 12


def _mask_keeping_tail(value: str) -> str:
    # Never reveal more than half: masking "all but the last 4" of a 5-char value hides nothing.
    keep = min(4, len(value) // 2)
    return "*" * (len(value) - keep) + value[len(value) - keep :]


def mask_id_number(value: str) -> str:
    """Mask a resident ID number, keeping the region code and the last 4 characters."""
    if len(value) == 18:
        return value[:6] + "*" * 8 + value[-4:]
    return _mask_keeping_tail(value)


def mask_phone(value: str) -> str:
    """Mask a mainland mobile number as 138****5678."""
    if _MOBILE.fullmatch(value):
        return value[:3] + "****" + value[-4:]
    return _mask_keeping_tail(value)


def mask_account(value: str) -> str:
    """Mask a bank card or account number, keeping its last 4 digits: ****5678."""
    return "****" + value[-4:] if len(value) > 8 else _mask_keeping_tail(value)


def mask_name(value: str) -> str:
    """Mask a personal name, keeping only its first character."""
    if len(value) <= 1:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 1)


def redact_text(text: str) -> str:
    """Mask every resident-ID-like token and mainland mobile number in free text."""
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group()), text)
    return _MOBILE_IN_TEXT.sub(lambda m: (m.group(1) or "") + mask_phone(m.group(2)), text)


def mask_identifiers(text: str) -> str:
    """Mask every resident ID, mobile number and account number (a run of 12 or more digits)
    in a text shown masked: not for logs, where a case's number must stay readable."""
    text = redact_text(text)
    return _ACCOUNT_IN_TEXT.sub(lambda m: _mask_keeping_tail(m.group()), text)


def mask_document(value: Any) -> Any:
    """A JSON document (a form, a decision's values) as shown masked: every resident ID,
    mobile and account number in its texts masked, and integers as long as an account number
    turned into masked text; keys, and everything else, as they were."""
    if isinstance(value, str):
        return mask_identifiers(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and len(str(abs(value))) >= _ACCOUNT_DIGITS:
        return mask_identifiers(str(value))
    if isinstance(value, dict):
        return {key: mask_document(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_document(item) for item in value]
    return value
