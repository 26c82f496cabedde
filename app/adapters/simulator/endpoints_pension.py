"""The pension system's roster and payment instructions, and every department's batch feed of
activity and life events (app.adapters.simulator.pension), as HTTP routes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from app.adapters.errors import PurposeNotAllowed, PurposeRequired
from app.adapters.purposes import check_purpose
from app.adapters.simulator.endpoints_admin import SimulatorError
from app.adapters.simulator.pension import (
    FEEDS,
    MAX_PAGE,
    MAX_SUBJECTS,
    PaymentAction,
    PensionPayments,
    RecentRecipients,
    feed_hits,
    recipients,
)
from app.adapters.simulator.population import Population
from app.kit.masking import mask_id_number


class FeedRequest(BaseModel):
    """The subjects a feed is asked about."""

    id_numbers: list[str] = Field(min_length=1, max_length=MAX_SUBJECTS)


class PaymentInstruction(BaseModel):
    """Stop or resume one person's pension; idempotent per instruction id."""

    instruction_id: str = Field(min_length=1, max_length=128)
    id_number: str = Field(min_length=18, max_length=18)
    action: PaymentAction
    reason: str = Field(min_length=1, max_length=255)


def _purpose(request: Request, department: str, dataset: str) -> None:
    try:
        check_purpose(request.headers.get("x-purpose"), department, dataset)
    except (PurposeRequired, PurposeNotAllowed) as exc:
        raise SimulatorError(
            403, "simulator.purpose_refused", "The purpose is not agreed", exc.detail_en
        ) from exc


def pension_routes(
    router: APIRouter, population: Population, payments: PensionPayments, caller: Any, admin: Any
) -> None:
    """Add the roster, feed and payment routes; `caller` and `admin` authenticate."""
    recent = RecentRecipients()

    @router.get("/rsj/pension-roster", dependencies=[caller])
    async def roster(request: Request) -> dict[str, Any]:
        """How many roster positions there are to page through, and as of when."""
        _purpose(request, "rsj", "pension-recipients")
        return {"positions": population.size, "as_of": population.as_of.isoformat()}

    @router.get("/rsj/pension-recipients", dependencies=[caller])
    async def page(
        request: Request, start: int = Query(ge=0), end: int = Query(ge=0)
    ) -> dict[str, Any]:
        """The pension recipients among roster positions [start, end)."""
        _purpose(request, "rsj", "pension-recipients")
        if end < start or end - start > MAX_PAGE:
            raise SimulatorError(422, "request.invalid", "Invalid request", "bad page bounds")
        people = recipients(population, start, end, recent)
        return {
            "start": start,
            "end": end,
            "source": "人社局/养老金待遇",
            "recipients": [
                {"id_number": p.id_number, "monthly_amount": p.pension.monthly_amount}
                for p in people
            ],
        }

    @router.post("/{dept}/signals/{feed}", dependencies=[caller])
    async def signals(request: Request, dept: str, feed: str, body: FeedRequest) -> dict[str, Any]:
        """The last event of the feed's kind for each subject that has one (others absent)."""
        if (dept, feed) not in FEEDS:
            raise SimulatorError(404, "simulator.dataset_unknown", "No such feed", feed)
        _purpose(request, dept, feed)
        hits: dict[str, str] = {}
        step = 500
        for offset in range(0, len(body.id_numbers), step):
            if offset:
                await asyncio.sleep(0)  # let other requests run during a long batch
            part = body.id_numbers[offset : offset + step]
            hits.update(feed_hits(population, dept, feed, part, recent))
        return {
            "department": dept,
            "feed": feed,
            "as_of": datetime.now(UTC).isoformat(),
            "asked": len(body.id_numbers),
            "hits": hits,
        }

    @router.post("/rsj/pension-payments", dependencies=[caller])
    async def instruct(request: Request, body: PaymentInstruction) -> dict[str, Any]:
        """Stop or resume a recipient's pension; a repeated instruction id changes nothing."""
        _purpose(request, "rsj", "pension-payments")
        person = population.find_person(body.id_number)
        if person is None or not person.pension.receiving:
            raise SimulatorError(404, "simulator.recipient_unknown", "No such pension recipient")
        receipt = payments.instruct(body.instruction_id, person.id_number, body.action)
        return {
            "instruction_id": receipt.instruction_id,
            "receipt_id": receipt.receipt_id,
            "action": receipt.action,
            "payment_status": receipt.payment_status,
            "recorded_at": receipt.recorded_at.isoformat(),
        }

    @router.get("/rsj/pension-payments/{id_number}", dependencies=[caller])
    async def payment(request: Request, id_number: str) -> dict[str, Any]:
        """Whether the person's pension is being paid."""
        _purpose(request, "rsj", "pension-payments")
        person = population.find_person(id_number)
        if person is None:
            raise SimulatorError(404, "simulator.recipient_unknown", "No such pension recipient")
        return {
            "id_number_masked": mask_id_number(person.id_number),
            "status": payments.status(person),
        }

    @router.get("/_admin/pension-payments", dependencies=[admin])
    async def payments_overview() -> dict[str, Any]:
        """How many pensions are stopped and how many instructions were taken (rehearsals)."""
        return {
            "suspended": len(payments.suspended),
            "instructions": len(payments.receipts),
        }
