"""Renewal offers (无感审批): the daily scan, and the holder's one tap.

The scan (`scan`, daily through the schedule `offers.renewal-scan`) looks at every valid
license of a type whose renewal is offered (data/renewals.yaml) that expires within the type's
window, evaluates the renewal ruleset on the departments' data as its representative would
apply today (app/services/applications), and records per license and last day either an offer
(told by inbox, SMS and webhook: `offer.made`) or why there is none (`offer.ineligible`, naming
the reasons and the service to apply for). Finding someone ineligible stops nothing: their
license stays as it is and the ordinary service is open to them (DESIGN §2, principle 10).

Accepting files the renewal case and decides it in the request's transaction, after a
conditional update that only an open, unexpired offer passes: two taps race to one renewal.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth import service as auth
from app.certificates import service as certificates
from app.certificates.schemas import LicenseRead
from app.config import Settings
from app.kit import pagination
from app.kit.clock import SHANGHAI, utcnow
from app.kit.ids import new_id
from app.notifications import service as notifications
from app.proactive.offers import courier, repository
from app.proactive.offers.errors import (
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
    OfferNotEligible,
    OfferNotFound,
    PaperCopyUnavailable,
)
from app.proactive.offers.models import RenewalOffer
from app.proactive.offers.renewals import Renewal, renewals
from app.proactive.offers.schemas import (
    OfferCommitment,
    OfferDelivery,
    OfferPage,
    OfferRead,
    OfferReason,
    OfferService,
    ScanReport,
)
from app.services.applications import service as applications
from app.services.catalog import service as catalog

ACTOR = "renewal-offers"
OFFER_MADE = "offer.made"
OFFER_INELIGIBLE = "offer.ineligible"
_PAGE = 500


def today() -> date:
    """Today in Asia/Shanghai, where a license's last day is counted."""
    return utcnow().astimezone(SHANGHAI).date()


def _status(offer: RenewalOffer, on: date) -> str:
    if offer.status == "open" and offer.license_valid_until < on:
        return "expired"
    return offer.status


async def scan(
    session: AsyncSession,
    settings: Settings,
    *,
    on: date | None = None,
    window_days: int | None = None,
) -> ScanReport:
    """Offer the renewals due (`window_days` overrides each type's window); how many licenses
    were offered, found ineligible, or left as they were. Safe to run again, and concurrently:
    one row per license and last day."""
    day = on or today()
    offered = ineligible = unchanged = 0
    for renewal in renewals().values():
        if not renewal.offered:
            continue
        within = window_days if window_days is not None else renewal.window_days
        after: tuple[date, str] | None = None
        while True:
            page = await certificates.licenses_expiring(
                session, within_days=within, on=day, after=after, limit=_PAGE
            )
            for license_ in page:
                if license_.type.code != renewal.license_type or license_.holder.uscc is None:
                    continue
                found = await _consider(session, settings, renewal, license_, day)
                offered += found == "open"
                ineligible += found == "ineligible"
                unchanged += found is None
            if len(page) < _PAGE:
                break
            last = page[-1]
            assert last.valid_until is not None
            after = (last.valid_until, last.license_no)
    return ScanReport(offered=offered, ineligible=ineligible, unchanged=unchanged)


async def _consider(
    session: AsyncSession, settings: Settings, renewal: Renewal, license_: LicenseRead, day: date
) -> str | None:
    """Evaluate one expiring license; the status it was given now (None: nothing changed)."""
    assert license_.valid_until is not None
    assert license_.holder.uscc is not None
    existing = await repository.for_license(session, license_.license_no, license_.valid_until)
    if existing is not None and existing.status != "ineligible":
        return None  # offered already (open, accepted or declined): the holder decides
    assessment = await applications.assess_renewal(
        session, settings, license_, service_code=renewal.service,
        form=renewal.form_from(license_.fields), on=day,
    )  # fmt: skip
    if assessment.account_id is None or assessment.outcome is None:
        return None  # nobody with an account represents it, or no ruleset is in force
    status = "open" if assessment.outcome == "approve" else "ineligible"
    reasons = [] if status == "open" else assessment.failing
    now = utcnow()
    if existing is not None:
        if status == "ineligible" and existing.reasons == reasons:
            return None
        existing.status, existing.reasons, existing.updated_at = status, reasons, now
        existing.ruleset_version = assessment.ruleset_version
        offer = existing
    else:
        offer = RenewalOffer(
            id=new_id(), license_no=license_.license_no, license_valid_until=license_.valid_until,
            license_type=renewal.license_type, service_code=renewal.service,
            holder_uscc=license_.holder.uscc, account_id=assessment.account_id, status=status,
            reasons=reasons, ruleset_version=assessment.ruleset_version, decline_reason=None,
            application_id=None, application_number=None, renewed_license_no=None,
            created_at=now, updated_at=now, decided_at=None,
        )  # fmt: skip
        if not await repository.add(session, offer):
            return None  # another scan recorded it a moment ago
    await notifications.publish(
        session, OFFER_MADE if status == "open" else OFFER_INELIGIBLE,
        subject=f"offer:{offer.id}",
        department_code=license_.issuer,  # the issuing department's systems may subscribe
        payload={"offer_id": str(offer.id), "license_no": offer.license_no,
                 "service_code": offer.service_code,
                 "expires_on": offer.license_valid_until.isoformat()},
        accounts=[offer.account_id],
    )  # fmt: skip
    await audit.record(
        session,
        AuditContext().entry(
            actor_type="system", actor_id=ACTOR, action=f"offer.{status}",
            subject_type="renewal_offer", subject_id=str(offer.id),
            after={"license_no": offer.license_no, "service": offer.service_code,
                   "reasons": [r["id"] for r in reasons]},
        ),
    )  # fmt: skip
    return status


async def read(session: AsyncSession, offer: RenewalOffer, *, english: bool) -> OfferRead:
    """An offer as its holder reads it, with the message in their language."""
    day = today()
    status = _status(offer, day)
    service = await catalog.cached_service(session, offer.service_code)
    renewal = renewals().get(offer.license_type)
    commitments = [
        OfferCommitment(field=c.field, text=c.en if english else c.zh)
        for c in (renewal.commitments if renewal is not None else ())
    ]
    reasons = [
        OfferReason(id=r["id"], title=r["title_en"] if english else r["title"], result=r["result"])
        for r in offer.reasons
    ]
    return OfferRead(
        id=offer.id, status=status,
        license_no=offer.license_no, license_type=offer.license_type,
        holder_uscc=offer.holder_uscc, expires_on=offer.license_valid_until,
        service=OfferService(code=service.code, link=f"/api/v1/services/{service.code}"),
        message=_message(offer, status, service.name_en if english else service.name,
                         [r.title for r in reasons], english),
        reasons=reasons, commitments=commitments, decline_reason=offer.decline_reason,
        application_id=offer.application_id, application_number=offer.application_number,
        renewed_license_no=offer.renewed_license_no, delivery=await _delivery(session, offer),
        created_at=offer.created_at, decided_at=offer.decided_at,
    )  # fmt: skip


async def _delivery(session: AsyncSession, offer: RenewalOffer) -> OfferDelivery | None:
    if offer.status != "accepted":
        return None
    shipment = await repository.shipment_of_offer(session, offer.id)
    if shipment is None:
        return None
    return OfferDelivery.model_validate(
        {"courier": shipment.department, "tracking_no": shipment.tracking_no,
         "status": shipment.status}
    )  # fmt: skip


def _message(
    offer: RenewalOffer, status: str, service: str, reasons: list[str], english: bool
) -> str:
    until = offer.license_valid_until.isoformat()
    if english:
        return {
            "open": f"Your license expires on {until}. The departments' data shows you can renew "
            f"it now: accept to renew it in one tap ({service}).",
            "accepted": f"Accepted: application {offer.application_number} ({service}).",
            "declined": f"You declined this renewal: {offer.decline_reason}",
            "ineligible": f"Your license expires on {until}; it cannot be renewed by offer: "
            f"{'; '.join(reasons)}. Apply through the service {service} ({offer.service_code}).",
            "expired": f"The offer lapsed with the license on {until}. Apply through the service "
            f"{service} ({offer.service_code}).",
        }[status]
    return {
        "open": f"您的证照将于{until}到期。经核验部门数据，您符合换证条件，"
        f"确认即可一键换证（{service}）。",
        "accepted": f"已确认换证，办件号 {offer.application_number}（{service}）。",
        "declined": f"您已拒绝本次换证：{offer.decline_reason}",
        "ineligible": f"您的证照将于{until}到期，暂不符合主动换证条件：{'；'.join(reasons)}。"
        f"请通过“{service}”（{offer.service_code}）按常规方式申请。",
        "expired": f"要约已随证照于{until}到期失效，"
        f"请通过“{service}”（{offer.service_code}）申请。",
    }[status]


async def list_mine(
    session: AsyncSession, account_id: uuid.UUID, *, cursor: str | None, limit: int, english: bool
) -> OfferPage:
    """The person's offers (for every enterprise they represent), newest first."""
    before = pagination.decode_id_cursor(cursor)
    rows = await repository.list_mine(session, account_id, before=before, limit=limit + 1)
    page = list(rows[:limit])
    next_cursor = pagination.encode_cursor([str(page[-1].id)]) if len(rows) > limit else None
    return OfferPage(
        items=[await read(session, row, english=english) for row in page], next_cursor=next_cursor
    )


async def _open_offer(
    session: AsyncSession, offer_id: uuid.UUID, account_id: uuid.UUID, day: date
) -> RenewalOffer:
    """The account's offer, still open and unexpired; the problem saying why not otherwise."""
    offer = await repository.mine(session, offer_id, account_id)
    if offer is None:
        raise OfferNotFound("未找到该要约", "no such offer")
    status = _status(offer, day)
    if status == "expired":
        raise OfferExpired(
            f"证照已于{offer.license_valid_until}到期，请按常规事项申请",
            f"the license expired on {offer.license_valid_until}: apply through the service",
            extra={"service_code": offer.service_code},
        )
    if status == "declined":
        raise OfferDeclined(
            "该要约已被拒绝，请按常规事项申请",
            "declined: apply through the service",
            extra={"service_code": offer.service_code},
        )
    if status == "accepted":
        raise OfferAccepted(
            f"该要约已接受（办件号 {offer.application_number}）",
            f"already accepted (application {offer.application_number})",
            extra={"application_id": str(offer.application_id) if offer.application_id else None},
        )
    if status == "ineligible":
        raise OfferNotEligible(extra={"service_code": offer.service_code})
    return offer


async def accept(
    session: AsyncSession,
    settings: Settings,
    account_id: uuid.UUID,
    offer_id: uuid.UUID,
    *,
    paper_copy: bool = False,
    english: bool,
    audit_context: AuditContext,
) -> OfferRead:
    """Accept an offer: the renewal case is filed and decided at once, in this transaction;
    with `paper_copy`, a renewed license's paper copy is ordered from the courier (a job)."""
    day, now = today(), utcnow()
    offer = await _open_offer(session, offer_id, account_id, day)
    if not await repository.settle(
        session, offer.id, account_id, status="accepted", on=day, now=now
    ):
        await repository.refresh(session, offer)
        await _open_offer(session, offer_id, account_id, day)  # raises: it is no longer open
        raise OfferAccepted()
    renewal = renewals()[offer.license_type]
    license_ = await certificates.held_license(
        session, type_code=offer.license_type, holder_uscc=offer.holder_uscc
    )
    fields = license_.fields if license_ is not None else {}
    filed = await applications.file_renewal(
        session, settings, account_id=account_id, uscc=offer.holder_uscc,
        service_code=offer.service_code, form=renewal.form_from(fields),
        offer_ref=f"offer:{offer.id}", audit_context=audit_context,
    )  # fmt: skip
    await repository.record_case(
        session, offer.id, application_id=filed.application_id, number=filed.number,
        renewed_license_no=filed.license_no,
    )  # fmt: skip
    if paper_copy and filed.license_no is not None:
        if filed.registered_address is None:
            raise PaperCopyUnavailable()
        person = await auth.verified_person(session, settings, account_id)
        await courier.request_paper_copy(
            session, offer_id=offer.id, application_id=filed.application_id,
            recipient={"name": person.name, "phone": person.phone,
                       "address": filed.registered_address},
        )  # fmt: skip
    await audit.record(
        session,
        audit_context.entry(
            actor_type="person", actor_id=str(account_id), action="offer.accepted",
            subject_type="renewal_offer", subject_id=str(offer.id),
            after={"application": filed.number, "license_no": filed.license_no},
        ),
    )  # fmt: skip
    return await read(session, await repository.refresh(session, offer), english=english)


async def decline(
    session: AsyncSession,
    account_id: uuid.UUID,
    offer_id: uuid.UUID,
    reason: str,
    *,
    english: bool,
    audit_context: AuditContext,
) -> OfferRead:
    """Decline an offer, saying why; the license stays as it is."""
    day, now = today(), utcnow()
    offer = await _open_offer(session, offer_id, account_id, day)
    settled = await repository.settle(
        session, offer.id, account_id, status="declined", on=day, now=now,
        values={"decline_reason": reason},
    )  # fmt: skip
    if not settled:
        await repository.refresh(session, offer)
        await _open_offer(session, offer_id, account_id, day)
        raise OfferDeclined()
    await audit.record(
        session,
        audit_context.entry(
            actor_type="person", actor_id=str(account_id), action="offer.declined",
            subject_type="renewal_offer", subject_id=str(offer.id),
        ),
    )  # fmt: skip
    return await read(session, await repository.refresh(session, offer), english=english)
