"""Aliyun SMS (Dysmsapi 2017-05-25) over its RPC HTTP API, signed as the provider documents it.

Signature version 1.0 (HMAC-SHA1): every parameter but `Signature` is percent-encoded per RFC
3986 (space as %20, `*` as %2A, `~` kept), sorted by name and joined as a query string; the
string to sign is `POST&%2F&` followed by that query string percent-encoded again; the key is
the AccessKey secret followed by `&`; the signature is the digest in base64. A fresh
`SignatureNonce` and the UTC `Timestamp` make each request unrepeatable.

`send` is SendSms (a template code and its parameters as JSON; the answer's `BizId` names the
text); `status` is QuerySendDetails (SendStatus 1 waiting, 2 failed, 3 delivered). Both have a
deadline, and raise `SmsProviderError` on a refusal or an answer not understood, so that the job
sending the text is retried.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

import httpx

VERSION = "2017-05-25"
DeliveryStatus = Literal["sent", "delivered", "failed"]
_STATUS: dict[int, DeliveryStatus] = {1: "sent", 2: "failed", 3: "delivered"}


# One client per event loop (connections belong to the loop that opened them).
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def http_client() -> httpx.AsyncClient:
    """The running loop's client of the provider, keeping its connections open."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = _clients[loop] = httpx.AsyncClient(trust_env=False)
    return client


class SmsProviderError(Exception):
    """The provider refused a request or answered what cannot be read."""


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Aliyun's signature needs it."""
    return quote(value, safe="~")


def sign(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """The `Signature` of a request's parameters (all but `Signature` itself)."""
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items())
    )
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class AliyunSms:
    """A client of one Aliyun account's SMS service."""

    endpoint: str
    access_key_id: str
    access_key_secret: str
    sign_name: str
    timeout: float = 5.0
    region: str = "cn-hangzhou"

    def _params(self, action: str, now: datetime, **extra: str) -> dict[str, str]:
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": VERSION,
            **extra,
        }
        params["Signature"] = sign(params, self.access_key_secret)
        return params

    async def _call(self, client: httpx.AsyncClient, params: dict[str, str]) -> dict[str, Any]:
        try:
            response = await client.post(self.endpoint, data=params, timeout=self.timeout)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SmsProviderError(f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(answer, dict) or answer.get("Code") != "OK":
            code = answer.get("Code") if isinstance(answer, dict) else None
            raise SmsProviderError(f"provider refused: {code} (HTTP {response.status_code})")
        return answer

    async def send(
        self,
        client: httpx.AsyncClient,
        *,
        phone: str,
        template_code: str,
        params: dict[str, str],
        now: datetime,
    ) -> str:
        """Send a templated text; the provider's `BizId` for it."""
        answer = await self._call(
            client,
            self._params(
                "SendSms", now, PhoneNumbers=phone, SignName=self.sign_name,
                TemplateCode=template_code,
                TemplateParam=json.dumps(params, ensure_ascii=False, separators=(",", ":")),
            ),
        )  # fmt: skip
        biz_id = answer.get("BizId")
        if not isinstance(biz_id, str) or not biz_id:
            raise SmsProviderError("the answer names no BizId")
        return biz_id

    async def status(
        self,
        client: httpx.AsyncClient,
        *,
        phone: str,
        biz_id: str,
        sent_at: datetime,
        now: datetime,
    ) -> DeliveryStatus:
        """Where a text is: sent (waiting for the carrier's receipt), delivered or failed."""
        answer = await self._call(
            client,
            self._params(
                "QuerySendDetails", now, PhoneNumber=phone, BizId=biz_id,
                SendDate=sent_at.strftime("%Y%m%d"), PageSize="10", CurrentPage="1",
            ),
        )  # fmt: skip
        details = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        if not details:
            return "sent"
        return _STATUS.get(int(details[0].get("SendStatus", 1)), "sent")
