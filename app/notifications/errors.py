"""Errors of the notifications domain."""

from __future__ import annotations

from app.errors import Conflict, InvalidInput, NotFound


class MessageNotFound(NotFound):
    code = "notifications.message_not_found"
    title_zh = "消息不存在"
    title_en = "Message not found"


class UnknownEventType(InvalidInput):
    code = "notifications.unknown_event_type"
    title_zh = "未知的事件类型"
    title_en = "Unknown event type"


class StatutoryNotice(Conflict):
    code = "notifications.statutory_notice"
    title_zh = "法定告知事项的短信不能关闭"
    title_en = "Texts of statutory notices cannot be switched off"


class SubscriptionNotFound(NotFound):
    code = "webhooks.subscription_not_found"
    title_zh = "订阅不存在"
    title_en = "Subscription not found"


class UnsafeWebhookUrl(InvalidInput):
    code = "webhooks.unsafe_url"
    title_zh = "回调地址不可用：须为 https 公网地址"
    title_en = "The endpoint must be a public https URL"


class DeliveryNotFound(NotFound):
    code = "webhooks.delivery_not_found"
    title_zh = "投递记录不存在"
    title_en = "Delivery not found"


class DeliveryNotDead(Conflict):
    code = "webhooks.delivery_not_dead"
    title_zh = "只有已放弃（dead）的投递可以重试"
    title_en = "Only a dead delivery can be retried"
