"""What departments do when the platform instructs them: the fund centre pays a withdrawal,
a department carries out an approved case (opens an account, moves a household).

Each is idempotent per case, like a real department's intake. The fund centre checks what a
real one would: the account exists, the card named is the one bound to it, and the balance
covers the amount; a paid withdrawal shows in its withdrawals dataset from the day approved.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from app.adapters.simulator.dataset_types import Context
from app.adapters.simulator.datasets import DEPARTMENTS
from app.adapters.simulator.endpoints_admin import SimulatorError
from app.adapters.simulator.schemas import (
    DisbursementReceipt,
    DisbursementRequest,
    InspectionFinding,
    InstructionReceipt,
    InstructionRequest,
)
from app.kit.masking import mask_account


def instruction_routes(
    router: APIRouter,
    context: Context,
    disbursements: dict[str, DisbursementReceipt],
    instructions: dict[tuple[str, str, str], InstructionReceipt],
    caller: Any,
    admin: Any,
) -> None:
    """Add the instruction routes; `caller` and `admin` are the authenticating dependencies."""

    @router.post("/gjj/disbursements", response_model=DisbursementReceipt, dependencies=[caller])
    async def disburse(body: DisbursementRequest) -> DisbursementReceipt:
        """Pay an approved withdrawal to the account's bound card; idempotent per case."""
        receipt = disbursements.get(body.application_number)
        if receipt is not None:
            return receipt
        holder = context.population.person_by_fund_account(body.hpf_account)
        if holder is None:
            raise SimulatorError(404, "simulator.account_unknown", "No such fund account")
        fund = holder.housing_fund
        card = fund.bound_card
        if card is None or card.card_number != body.bank_account.strip():
            raise SimulatorError(
                422, "simulator.card_not_bound", "The card is not the one bound to the account"
            )
        if body.amount > fund.balance:
            raise SimulatorError(422, "simulator.balance_short", "The balance is below the amount")
        receipt = disbursements[body.application_number] = DisbursementReceipt(
            disbursement_id=str(uuid.uuid4()), application_number=body.application_number,
            service=body.service, amount=body.amount,
            bank_account_masked=mask_account(card.card_number), status="accepted",
            recorded_at=datetime.now(UTC),
        )  # fmt: skip
        context.withdrawals[body.hpf_account] = body.approved_on
        for dataset in ("fund-account", "fund-withdrawals"):
            context.changed[("gjj", dataset, holder.id_number)] = receipt.recorded_at
        return receipt

    @router.get(
        "/gjj/disbursements/{application_number}",
        response_model=DisbursementReceipt,
        dependencies=[caller],
    )
    async def disbursement(application_number: str) -> DisbursementReceipt:
        """The receipt of a case's disbursement; 404 when none was accepted."""
        receipt = disbursements.get(application_number)
        if receipt is None:
            raise SimulatorError(404, "simulator.disbursement_unknown", "No such disbursement")
        return receipt

    @router.post("/{dept}/instructions", response_model=InstructionReceipt, dependencies=[caller])
    async def instruct(dept: str, body: InstructionRequest) -> InstructionReceipt:
        """Carry out an approved case; idempotent per (department, case, action)."""
        if dept not in DEPARTMENTS:
            raise SimulatorError(404, "simulator.department_unknown", "No such department", dept)
        key = (dept, body.application_number, body.action)
        receipt = instructions.get(key)
        if receipt is None:
            receipt = instructions[key] = InstructionReceipt(
                instruction_id=str(uuid.uuid4()), application_number=body.application_number,
                action=body.action, status="accepted", recorded_at=datetime.now(UTC),
            )  # fmt: skip
        return receipt

    @router.get(
        "/{dept}/instructions/{application_number}/{action}",
        response_model=InstructionReceipt,
        dependencies=[caller],
    )
    async def instruction(dept: str, application_number: str, action: str) -> InstructionReceipt:
        """The receipt of a case's instruction; 404 when none was accepted."""
        receipt = instructions.get((dept, application_number, action))
        if receipt is None:
            raise SimulatorError(404, "simulator.instruction_unknown", "No such instruction")
        return receipt

    @router.put("/_admin/inspections/{uscc}", dependencies=[admin])
    async def record_inspection(uscc: str, finding: InspectionFinding) -> dict[str, Any]:
        """Record what an inspection found of an enterprise's premises (for rehearsals)."""
        if context.population.find_enterprise(uscc) is None:
            raise SimulatorError(404, "simulator.enterprise_unknown", "No such enterprise")
        context.inspections[uscc.strip().upper()] = finding.conditions_unchanged
        context.changed[("wjw", "hygiene-inspections", uscc.strip().upper())] = datetime.now(UTC)
        return {"uscc": uscc, "conditions_unchanged": finding.conditions_unchanged}
