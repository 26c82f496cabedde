"""Batch reads for a pension-qualification campaign: the pension system's roster, one batch feed
per department that sees pensioners live (or die), and the payment instructions.

Each call has a deadline (`DEADLINE_SECONDS`): a department that does not answer in time fails
the batch, whose job is retried later with backoff, so a slow department delays the campaign and
never loses a person. The reads are logged by the caller, once per person and campaign, listing
the datasets (a batch feed answers about a thousand people at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from app.adapters.service import get_exchange

DEADLINE_SECONDS = 30.0
END_USER = "system:campaigns"


class FeedUnavailable(Exception):
    """A department did not answer a batch read in time, or refused it; retry the batch."""


@dataclass(frozen=True, slots=True)
class Recipient:
    """One pension recipient as the pension system lists them."""

    id_number: str
    monthly_amount: int


@dataclass(frozen=True, slots=True)
class Roster:
    """How many roster positions the pension system pages through, and its reference date."""

    positions: int
    as_of: date


async def _call(
    department: str, method: str, path: str, *, purpose: str, json: Any = None, params: Any = None
) -> dict[str, Any]:
    client = get_exchange().client
    endpoint = client.registry.endpoint(department)
    headers = client.headers(endpoint, purpose=purpose, end_user=END_USER, case_id=None)
    try:
        response = await client.http.request(
            method, f"{endpoint.base_url}{path}", json=json, params=params, headers=headers,
            timeout=DEADLINE_SECONDS,
        )  # fmt: skip
    except httpx.HTTPError as exc:
        raise FeedUnavailable(f"{department}{path}: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise FeedUnavailable(f"{department}{path}: HTTP {response.status_code}")
    body: dict[str, Any] = response.json()
    return body


async def roster(*, purpose: str) -> Roster:
    """The extent of the pension system's roster."""
    body = await _call("rsj", "GET", "/rsj/pension-roster", purpose=purpose)
    return Roster(positions=int(body["positions"]), as_of=date.fromisoformat(body["as_of"]))


async def recipients(start: int, end: int, *, purpose: str) -> list[Recipient]:
    """The recipients at roster positions [start, end)."""
    body = await _call(
        "rsj", "GET", "/rsj/pension-recipients", purpose=purpose,
        params={"start": start, "end": end},
    )  # fmt: skip
    return [
        Recipient(id_number=item["id_number"], monthly_amount=int(item["monthly_amount"]))
        for item in body["recipients"]
    ]


async def feed(
    department: str, name: str, id_numbers: list[str], *, purpose: str
) -> dict[str, date]:
    """ID number -> the date of the subject's last event in a department's feed."""
    if not id_numbers:
        return {}
    body = await _call(
        department, "POST", f"/{department}/signals/{name}", purpose=purpose,
        json={"id_numbers": id_numbers},
    )  # fmt: skip
    return {key: date.fromisoformat(value) for key, value in body["hits"].items()}


async def instruct_payment(
    instruction_id: str, id_number: str, action: str, *, reason: str, purpose: str
) -> str:
    """Stop or resume a pension (idempotent per instruction id); the payment status after."""
    body = await _call(
        "rsj", "POST", "/rsj/pension-payments", purpose=purpose,
        json={"instruction_id": instruction_id, "id_number": id_number, "action": action,
              "reason": reason},
    )  # fmt: skip
    return str(body["payment_status"])


async def payment_status(id_number: str, *, purpose: str) -> str:
    """paying, suspended or not_receiving, as the pension system says."""
    body = await _call("rsj", "GET", f"/rsj/pension-payments/{id_number}", purpose=purpose)
    return str(body["status"])
