"""Masking of personal identifiers for display and logs."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# \d is Unicode-aware on purpose here: full-width digits in free text are still an ID.
_ID_IN_TEXT = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(\+?86[- ]?)?(1[3-9]\d{9})(?!\d)")


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
