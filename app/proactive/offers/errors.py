"""Failures of the offers domain."""

from __future__ import annotations

from app.errors import Conflict, InvalidInput, NotFound, Unauthorized


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


class CourierSignatureInvalid(Unauthorized):
    code = "couriers.signature_invalid"
    title_zh = "快递回调签名无效或已过期"
    title_en = "The courier's webhook signature is invalid or stale"


class CourierUnknown(NotFound):
    code = "couriers.unknown"
    title_zh = "未登记的快递部门"
    title_en = "Unknown courier"


class ShipmentNotFound(NotFound):
    code = "couriers.shipment_not_found"
    title_zh = "运单不存在"
    title_en = "Shipment not found"


class InvalidCourierEvent(InvalidInput):
    code = "couriers.invalid_event"
    title_zh = "快递回调内容不正确"
    title_en = "The courier's event is malformed"


class PaperCopyUnavailable(Conflict):
    code = "offers.paper_copy_unavailable"
    title_zh = "暂无法邮寄纸质证照：未取得登记地址"
    title_en = "No paper copy: the registered address could not be read"
