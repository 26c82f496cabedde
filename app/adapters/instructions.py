"""Instructions to departments: the platform asking a department's system to act (a fund centre
to pay out an approved withdrawal), as opposed to reading its data.

Sent from durable jobs after the approving transaction commits: a failure raises and the job
is retried, so the department's endpoint must be idempotent per case (the case number travels
as the Idempotency-Key too). The same credential and X-Road-style headers as look-ups.
"""

from __future__ import annotations

from typing import Any

import httpx

from app.adapters.service import get_exchange

TIMEOUT_SECONDS = 5.0


class InstructionFailed(Exception):
    """The department did not take the instruction (a fault or a refusal); retry later."""


async def send(
    department: str,
    path: str,
    body: dict[str, Any],
    *,
    purpose: str,
    end_user: str,
    case_id: str,
) -> dict[str, Any]:
    """POST an instruction to `department` at `path`; the department's JSON receipt."""
    client = get_exchange().client
    endpoint = client.registry.endpoint(department)
    headers = client.headers(endpoint, purpose=purpose, end_user=end_user, case_id=case_id)
    headers["Idempotency-Key"] = case_id
    try:
        response = await client.http.post(
            f"{endpoint.base_url}{path}", json=body, headers=headers, timeout=TIMEOUT_SECONDS
        )
    except httpx.HTTPError as exc:
        raise InstructionFailed(f"{department}{path}: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise InstructionFailed(f"{department}{path}: HTTP {response.status_code}")
    receipt: dict[str, Any] = response.json()
    return receipt
