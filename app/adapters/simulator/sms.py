"""A provider-shaped SMS endpoint: Aliyun's Dysmsapi RPC API (SendSms, QuerySendDetails) as
the platform's gateway calls it, with the provider's checks: the signature (HMAC-SHA1 over the
canonical query, app.adapters.sms_aliyun), the access key, a timestamp within 15 minutes, a
nonce used once. Texts are kept for `GET /_admin/sms`; a number ending in 0000 is one the
carrier cannot reach (its receipt says failed)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.adapters.sms_aliyun import sign

# Published like the departments' demo tokens: the simulator is no secret-keeper.
ACCESS_KEY_ID = "LTAI5tSimulatorKey"
ACCESS_KEY_SECRET = "simulator-sms-access-key-secret"  # noqa: S105
PATH = "/aliyun/dysmsapi"
_SKEW = timedelta(minutes=15)


@dataclass
class SmsProviderState:
    """The texts the provider accepted, and the nonces it has seen."""

    texts: list[dict[str, Any]] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)


def _refuse(code: str, message: str, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"Code": code, "Message": message, "RequestId": str(uuid.uuid4())}, status_code=status
    )


def _checked(params: dict[str, str], state: SmsProviderState) -> JSONResponse | None:
    if params.get("AccessKeyId") != ACCESS_KEY_ID:
        return _refuse("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
    given = params.pop("Signature", "")
    if sign(params, ACCESS_KEY_SECRET) != given:
        return _refuse("SignatureDoesNotMatch", "Specified signature is not matched.")
    try:
        at = datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return _refuse("MissingTimestamp", "Timestamp is mandatory and must be ISO 8601 UTC.")
    if abs(datetime.now(UTC) - at.replace(tzinfo=UTC)) > _SKEW:
        return _refuse("InvalidTimeStamp.Expired", "Specified time stamp is expired.")
    nonce = params.get("SignatureNonce", "")
    if not nonce or nonce in state.nonces:
        return _refuse("SignatureNonceUsed", "Specified signature nonce was used already.")
    state.nonces.add(nonce)
    return None


def sms_routes(router: APIRouter, state: SmsProviderState, admin: Any) -> None:
    """Add the provider's endpoint and its admin view to the simulator's router."""

    @router.post(PATH, include_in_schema=False)
    async def dysmsapi(request: Request) -> JSONResponse:
        params = {k: str(v) for k, v in (await request.form()).items()}
        refused = _checked(params, state)
        if refused is not None:
            return refused
        action = params.get("Action")
        if action == "SendSms":
            return _send(params, state)
        if action == "QuerySendDetails":
            return _query(params, state)
        return _refuse("InvalidAction.NotFound", "Specified api is not found.", 404)

    @router.get("/_admin/sms", dependencies=[admin], include_in_schema=False)
    async def texts() -> dict[str, Any]:
        return {"texts": state.texts}


def _send(params: dict[str, str], state: SmsProviderState) -> JSONResponse:
    phone = params.get("PhoneNumbers", "")
    if not (phone.isdigit() and len(phone) == 11):
        return _refuse("isv.MOBILE_NUMBER_ILLEGAL", "Illegal mobile number.")
    if not params.get("SignName") or not params.get("TemplateCode", "").startswith("SMS_"):
        return _refuse("isv.SMS_TEMPLATE_ILLEGAL", "The template or sign name is illegal.")
    try:
        variables = json.loads(params.get("TemplateParam") or "{}")
    except ValueError:
        return _refuse("isv.INVALID_JSON_PARAM", "TemplateParam is not valid JSON.")
    biz_id = f"{uuid.uuid4().int % 10**18:018d}^0"
    state.texts.append(
        {
            "biz_id": biz_id, "phone": phone, "sign_name": params["SignName"],
            "template_code": params["TemplateCode"], "params": variables,
            "status": 2 if phone.endswith("0000") else 3,
        }
    )  # fmt: skip
    return JSONResponse(
        {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": str(uuid.uuid4())}
    )


def _query(params: dict[str, str], state: SmsProviderState) -> JSONResponse:
    found = [
        {"PhoneNum": t["phone"], "SendStatus": t["status"], "TemplateCode": t["template_code"]}
        for t in state.texts
        if t["biz_id"] == params.get("BizId") and t["phone"] == params.get("PhoneNumber")
    ]
    return JSONResponse(
        {
            "Code": "OK", "Message": "OK", "RequestId": str(uuid.uuid4()),
            "TotalCount": len(found), "SmsSendDetailDTOs": {"SmsSendDetailDTO": found},
        }
    )  # fmt: skip
