"""SMS login codes, and the SMS gateways every text goes through.

A code is 6 digits, valid 5 minutes, for at most 5 attempts; only its keyed digest is stored
(salted with the challenge id, so equal codes have unequal digests). Requesting a new code voids
the previous one. Texts go through the gateway QE_SMS_GATEWAY names: `aliyun` (Aliyun SMS,
app.adapters.sms_aliyun; production refuses to start without it), or, in development and tests,
the demo gateway, which keeps each text in `demo_sms_messages`; those can be read only when the
demo world is on (`qingeban demo sms`).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.sms_aliyun import AliyunSms, SmsProviderError, http_client
from app.auth import opaque, repository, sms_repository
from app.auth.errors import SmsUnavailable
from app.auth.models import DemoSmsMessage, SmsChallenge
from app.auth.personal_data import blind_index
from app.config import Settings
from app.kit.clock import to_shanghai, utcnow
from app.kit.ids import new_id
from app.kit.masking import mask_phone

logger = logging.getLogger("qingeban.auth")

CODE_DIGITS = 6
CODE_SECONDS = 300
MAX_ATTEMPTS = 5


class SmsGateway(Protocol):
    """Where texts go: the demo gateway, or a real provider behind configuration.

    A text is a template (`otp`, or a notification template's key) with its variables; the
    rendered `body` is what the demo gateway keeps, a provider renders its registered copy."""

    name: str

    async def send(
        self, session: AsyncSession, phone: str, body: str, *, template: str, params: dict[str, str]
    ) -> str:
        """Deliver a text to a mainland mobile number; the gateway's id for it."""

    async def status(self, phone: str, provider_id: str, sent_at: datetime) -> str:
        """Where a text is: sent (no receipt yet), delivered or failed."""


class DemoSmsGateway:
    """Keeps texts in the database instead of sending them."""

    name = "demo"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(
        self, session: AsyncSession, phone: str, body: str, *, template: str, params: dict[str, str]
    ) -> str:
        message_id = new_id()
        await repository.add(
            session,
            DemoSmsMessage(
                id=message_id,
                phone_index=blind_index(self.settings, phone),
                phone_masked=mask_phone(phone),
                body=body,
                sent_at=utcnow(),
            ),
        )
        logger.info("demo sms stored", extra={"phone": mask_phone(phone)})
        return str(message_id)

    async def status(self, phone: str, provider_id: str, sent_at: datetime) -> str:
        return "delivered"  # kept is as delivered as a demo text gets


class AliyunSmsGateway:
    """Aliyun SMS: the provider's templates by code, its delivery receipts by query."""

    name = "aliyun"

    def __init__(self, settings: Settings) -> None:
        secret = settings.sms_aliyun_access_key_secret
        self.templates = settings.sms_aliyun_templates
        self.client = AliyunSms(
            endpoint=settings.sms_aliyun_endpoint,
            access_key_id=settings.sms_aliyun_access_key_id or "",
            access_key_secret=secret.get_secret_value() if secret is not None else "",
            sign_name=settings.sms_aliyun_sign_name,
            timeout=settings.sms_timeout_seconds,
        )

    async def send(
        self, session: AsyncSession, phone: str, body: str, *, template: str, params: dict[str, str]
    ) -> str:
        code = self.templates.get(template)
        if code is None:
            raise SmsProviderError(f"no provider template is configured for {template!r}")
        return await self.client.send(
            http_client(), phone=phone, template_code=code, params=params, now=utcnow()
        )

    async def status(self, phone: str, provider_id: str, sent_at: datetime) -> str:
        return await self.client.status(
            http_client(), phone=phone, biz_id=provider_id,
            sent_at=to_shanghai(sent_at), now=utcnow(),
        )  # fmt: skip


def gateway(settings: Settings) -> SmsGateway | None:
    """The gateway texts go through (None: the demo gateway outside development and tests is
    not one; production refuses to start without a real one, app.config)."""
    if settings.sms_gateway == "aliyun":
        return AliyunSmsGateway(settings)
    if settings.env == "production":
        return None
    return DemoSmsGateway(settings)


def configured_gateway(settings: Settings) -> SmsGateway:
    """The configured gateway; SmsUnavailable when there is none."""
    sms_gateway = gateway(settings)
    if sms_gateway is None:
        raise SmsUnavailable("短信网关尚未配置", "no SMS gateway is configured")
    return sms_gateway


async def send_code(
    session: AsyncSession, settings: Settings, sms_gateway: SmsGateway, phone: str
) -> None:
    """Void the phone's earlier codes, store a new one and text it."""
    now = utcnow()
    index = blind_index(settings, phone)
    await sms_repository.void_sms_challenges(session, index, now)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    challenge_id = new_id()
    await repository.add(
        session,
        SmsChallenge(
            id=challenge_id,
            phone_index=index,
            code_hash=opaque.digest(settings, f"sms:{challenge_id}", code),
            attempts=0,
            created_at=now,
            expires_at=now + timedelta(seconds=CODE_SECONDS),
        ),
    )
    body = f"【青e办】您的验证码为 {code}，{CODE_SECONDS // 60} 分钟内有效。请勿泄露给他人。"
    try:
        await sms_gateway.send(session, phone, body, template="otp", params={"code": code})
    except SmsProviderError as exc:
        # The code is not stored either (the request rolls back): ask again in a moment.
        logger.warning("sms provider failed", extra={"error": str(exc)[:200]})
        raise SmsUnavailable("短信发送失败，请稍后重试", "the SMS provider failed") from exc


async def check_code(session: AsyncSession, settings: Settings, phone: str, code: str) -> bool:
    """Whether `code` is the phone's current code; each check uses up one of its attempts."""
    now = utcnow()
    index = blind_index(settings, phone)
    challenge = await sms_repository.live_sms_challenge(session, index, now, MAX_ATTEMPTS)
    if challenge is None:
        return False
    # Counted atomically: parallel guesses cannot share one attempt.
    attempts = await sms_repository.count_sms_attempt(session, challenge.id)
    if attempts > MAX_ATTEMPTS:
        return False
    candidate = code.strip()
    valid = (
        len(candidate) == CODE_DIGITS
        and candidate.isascii()
        and candidate.isdigit()
        and opaque.matches(settings, f"sms:{challenge.id}", candidate, challenge.code_hash)
    )
    if valid:
        await sms_repository.consume_sms_challenge(session, challenge.id, now)
    return valid


async def demo_messages(
    session: AsyncSession, settings: Settings, phone: str | None, limit: int
) -> list[DemoSmsMessage]:
    """The newest texts of the demo gateway, optionally to one phone."""
    index = blind_index(settings, phone) if phone is not None else None
    return list(await sms_repository.demo_sms_messages(session, index, limit))
