"""Carrying out one step of a bundle case, by its kind: what the department's system is asked
and what comes back. Called from the step's job; every write to a department is idempotent
there by a key of the step (so a job that runs again after a crash asks again and gets the
same receipt), and the platform's own writes (the new certificate) commit with the step's
completion, which the database lets happen once.

A department that does not answer raises StepFailed (the saga retries, then a clerk); a
registration the verified data does not carry is Referred to the registry's clerks; a
registration is approved only on verified facts: the seller's title as the registry's data
shows it, the buyer's identity as they confirmed it in their own account.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import instructions
from app.adapters import service as exchange
from app.adapters.client import Fact, Subject
from app.adapters.service import Actor
from app.audit.schemas import AuditContext
from app.auth import service as auth
from app.certificates import service as certificates
from app.certificates.errors import LicenseNotFound, TransitionNotAllowed
from app.certificates.schemas import HolderCreate, LicenseCreate
from app.config import Settings
from app.kit.clock import to_shanghai, utcnow
from app.kit.masking import mask_id_number
from app.services.bundles.definitions import Bundle, Constant, Step
from app.services.bundles.models import BundleCase, CaseStep

PROPERTY_CERTIFICATE = "property-certificate"
OWNERSHIP = ("bdc", "property-ownership")
READ_SECONDS = 5.0
ACTOR = Actor("system", "bundle-saga")


class StepFailed(Exception):
    """The department's system did not do it now (a fault, a timeout); worth trying again.
    The message names the department and the error, never personal data."""


@dataclass(frozen=True, slots=True)
class Done:
    """The step was carried out; `outcome` is shown to every party (no personal data)."""

    outcome: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Referred:
    """The step needs a clerk of its department: why, shown to the parties."""

    reason: str


def step_form(step: Step, form: dict[str, Any]) -> dict[str, Any]:
    """The step's service form, filled from the merged form by the bundle's mapping."""
    filled: dict[str, Any] = {}
    for name, wanted in step.form.items():
        value = (
            form.get(wanted)
            if isinstance(wanted, str)
            else wanted.value
            if isinstance(wanted, Constant)
            else None
        )
        if value is not None:
            filled[name] = value
    return filled


def purpose(case: BundleCase) -> str:
    """The purpose every department read and write of the case names."""
    return f"bundle:{case.number}"


async def carry_out(
    session: AsyncSession, settings: Settings, case: BundleCase, bundle: Bundle, row: CaseStep
) -> Done | Referred:
    """Carry the step out (see the module's docstring)."""
    step = bundle.step(row.key)
    form = step_form(step, case.form)
    if step.kind == "property_registration":
        return await _registration(session, settings, case, form)
    if step.kind == "utility_transfer":
        return await _utility(session, case, row, form)
    return await _instruction(case, row, form)


async def _registration(
    session: AsyncSession, settings: Settings, case: BundleCase, form: dict[str, Any]
) -> Done | Referred:
    seller = Subject.person(str(form["seller_id_number"]), name=str(form["seller_name"]))
    found = await exchange.gather_facts(
        session,
        seller,
        [OWNERSHIP],
        purpose=purpose(case),
        actor=ACTOR,
        case_id=case.number,
        deadline_seconds=READ_SECONDS,
    )
    fact = found.get(OWNERSHIP)
    if not isinstance(fact, Fact):
        raise StepFailed(f"bdc/property-ownership: {getattr(fact, 'reason', 'unavailable')}")
    properties = getattr(fact.record, "properties", None) or []
    number = str(form.get("certificate_number", ""))
    if not any(getattr(p, "certificate_number", None) == number for p in properties):
        return Referred("不动产登记数据未显示转让方持有该不动产权证书，转登记窗口人工审核")
    return await _issue(session, settings, case, form, approved_by="rules")


async def register_by_clerk(
    session: AsyncSession, settings: Settings, case: BundleCase, bundle: Bundle, row: CaseStep
) -> Done | Referred:
    """A clerk approved the step: a registration's certificate is issued as the rules' would
    be; any other step the clerk carried out by hand (nothing more to send)."""
    step = bundle.step(row.key)
    if step.kind != "property_registration":
        return Done({})
    return await _issue(session, settings, case, step_form(step, case.form), approved_by="clerk")


def new_certificate_number(case_number: str, year: int) -> str:
    """The buyer's 不动产权证书 number, in the registry's form: a transfer registers a new title
    with a number of its own (the seller's is void with it). Derived from the case, so that a
    step run again mints the same one."""
    serial = int.from_bytes(hashlib.sha256(case_number.encode()).digest()[:8], "big") % 10**7
    return f"鲁({year})青岛市不动产权第{serial:07d}号"


async def _issue(
    session: AsyncSession,
    settings: Settings,
    case: BundleCase,
    form: dict[str, Any],
    *,
    approved_by: str,
) -> Done | Referred:
    number = str(form.get("certificate_number", ""))
    seller_index = auth.id_number_blind_index(settings, str(form["seller_id_number"]))
    held = await certificates.held_license(
        session, type_code=PROPERTY_CERTIFICATE, holder_id_index=seller_index
    )
    buyer = HolderCreate(
        kind="person", name=str(form["buyer_name"]), id_number=str(form["buyer_id_number"])
    )
    registered_on = to_shanghai(utcnow()).date()
    new_fields: dict[str, Any] = {
        "certificate_number": new_certificate_number(case.number, registered_on.year),
        "owner": buyer.name,
        "registered_on": registered_on.isoformat(),
    }
    audit_context = AuditContext()
    superseded: str | None = None
    if (
        held is not None
        and held.fields.get("certificate_number") == number
        and held.status == "valid"
    ):
        try:
            issued = await certificates.transfer_as_system(
                session,
                settings,
                held.license_no,
                buyer,
                fields=new_fields,
                actor_id=ACTOR.id,
                reason=f"二手房转移登记（{case.number}）",
                audit_context=audit_context,
            )
        except (LicenseNotFound, TransitionNotAllowed):
            return Referred("转让方的电子不动产权证书不在有效状态，转登记窗口人工审核")
        superseded = held.license_no
    else:
        # The seller's title is on the registry's record but was never issued as an
        # e-license (older titles): the buyer's is issued new.
        issued = await certificates.issue_as_system(
            session,
            settings,
            LicenseCreate(
                type=PROPERTY_CERTIFICATE,
                holder=buyer,
                fields={
                    **new_fields,
                    "location": str(form.get("location", "")),
                    "area": form.get("area") or 0,
                    "usage": "城镇住宅用地/住宅",
                },
                source_record_id=f"bundle:{case.number}",
            ),
            actor_id=ACTOR.id,
            audit_context=audit_context,
        )
    return Done(
        {
            "decision": "approved",
            "approved_by": approved_by,
            "license_no": issued.license_no,
            "superseded_license_no": superseded,
            "holder_id_number_masked": mask_id_number(str(form["buyer_id_number"])),
        }
    )


async def _utility(
    session: AsyncSession, case: BundleCase, row: CaseStep, form: dict[str, Any]
) -> Done:
    utility = row.department_code
    found = await exchange.gather_facts(
        session,
        Subject("address", str(form["address"])),
        [(utility, "account-by-address")],
        purpose=purpose(case),
        actor=ACTOR,
        case_id=case.number,
        deadline_seconds=READ_SECONDS,
    )
    fact = found.get((utility, "account-by-address"))
    if not isinstance(fact, Fact) or not fact.found:
        raise StepFailed(f"{utility}/account-by-address: {getattr(fact, 'reason', 'no account')}")
    account_no = str(getattr(fact.record, "account_no", ""))
    try:
        receipt = await instructions.send(
            utility,
            f"/{utility}/accounts/{account_no}/transfer",
            {
                "new_holder_id_number": str(form["id_number"]),
                "effective_date": to_shanghai(utcnow()).date().isoformat(),
            },
            purpose=purpose(case),
            end_user=ACTOR.header,
            case_id=f"{case.number}-{row.key}",
        )
    except instructions.InstructionFailed as exc:
        raise StepFailed(str(exc)) from exc
    return Done(
        {
            "transfer_id": receipt.get("transfer_id"),
            "account_no": account_no,
            "new_holder_id_number_masked": receipt.get("new_holder_id_number_masked"),
            "effective_date": receipt.get("effective_date"),
        }
    )


async def _instruction(case: BundleCase, row: CaseStep, form: dict[str, Any]) -> Done:
    department = row.department_code
    try:
        receipt = await instructions.send(
            department,
            f"/{department}/instructions",
            {
                "application_number": f"{case.number}-{row.position}",
                "service": row.service_code,
                "action": row.key,
                "subject": {"id_number": str(form.get("id_number", ""))},
                "terms": {"bundle": case.bundle_code},
            },
            purpose=purpose(case),
            end_user=ACTOR.header,
            case_id=f"{case.number}-{row.key}",
        )
    except instructions.InstructionFailed as exc:
        raise StepFailed(str(exc)) from exc
    return Done({"receipt": receipt.get("instruction_id"), "status": receipt.get("status")})
