"""Failures of the offers domain."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class OfferNotFound(NotFound):
    code = "offers.not_found"
    title_zh = "主动服务要约不存在"
    title_en = "Offer not found"


class OfferExpired(Conflict):
    code = "offers.expired"
    title_zh = "要约已随证照到期失效"
    title_en = "The offer expired with the license"


class OfferDeclined(Conflict):
    code = "offers.declined"
    title_zh = "要约已被拒绝"
    title_en = "The offer was declined"


class OfferAccepted(Conflict):
    code = "offers.already_accepted"
    title_zh = "要约已被接受"
    title_en = "The offer was already accepted"


class OfferNotEligible(Conflict):
    code = "offers.not_eligible"
    title_zh = "不符合主动换证条件，请按常规事项申请"
    title_en = "Not eligible for the offered renewal: apply through the service"
