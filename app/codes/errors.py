"""Failures of the city code: one class per answer a verifier or a clerk acts on."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, InvalidInput, RateLimited


class InvalidCode(InvalidInput):
    """Not a code the platform signed: garbled, forged, another algorithm or type, another
    issuer. Says nothing more, so a forger learns nothing from the answer."""

    code = "codes.invalid"
    title_zh = "二维码无效"
    title_en = "The code is not valid"


class CodeExpired(InvalidInput):
    """A genuine code past its end: the person shows a fresh one."""

    code = "codes.expired"
    title_zh = "二维码已过期，请刷新后再出示"
    title_en = "The code has expired; ask for a fresh one"


class CodeAlreadyUsed(Conflict):
    """A genuine code verified before: each code is good for one verification."""

    code = "codes.already_used"
    title_zh = "二维码已被核验过，请刷新后再出示"
    title_en = "The code has already been verified; ask for a fresh one"


class UnknownPurpose(InvalidInput):
    code = "codes.unknown_purpose"
    title_zh = "未登记的核验用途"
    title_en = "Unknown verification purpose"


class PurposeNotForVerifier(Forbidden):
    """The purpose is not one this kind of verifier may state (a counter is staffed by clerks)."""

    code = "codes.purpose_not_allowed"
    title_zh = "无权以此用途核验"
    title_en = "This verifier may not verify for this purpose"


class InvalidTicket(InvalidInput):
    """An on-behalf ticket that is unknown, another clerk's, used, or past its end."""

    code = "codes.invalid_ticket"
    title_zh = "代办凭据无效或已使用"
    title_en = "The on-behalf ticket is not valid or has been used"


class TooManyCodes(RateLimited):
    code = "codes.rate_limited"
    title_zh = "获取二维码过于频繁，请稍后再试"
    title_en = "Too many codes asked for; try again later"
