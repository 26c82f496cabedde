"""The clerks' workbench: the department's queue, a case with its explanation, facts, materials
and timeline, and the actions claim / approve / reject / request a supplement.

Every form posts to the console (CSRF-checked) and comes back to the case page (post, redirect,
get), so the pages work without JavaScript; htmx only swaps the queue's table when a filter
changes. A case of another department is a 404 page, as in the review API.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from app.audit.dependencies import AuditContextDep
from app.auth import staff as staff_members
from app.auth.errors import StaffNotFound
from app.console import dependencies as deps
from app.console import rendering
from app.console.dependencies import ClerkDep, ConsoleUser, FormUserDep
from app.dependencies import SettingsDep, WriteSessionDep
from app.errors import AppError
from app.kit.clock import utcnow
from app.services.applications import materials
from app.services.applications import service as applications
from app.services.applications.schemas import Rejection, ReviewCaseRead, SupplementRequest
from app.services.applications.status import Status

router = APIRouter(prefix="/console/cases", include_in_schema=False)
CaseId = Annotated[str, Path(max_length=64)]
WAITING = ("pending_review", "resubmitted", "commitment_breached")
OPEN = (*WAITING, "in_review")
_QUEUE_LIMIT = 100


@router.get("")
async def queue(
    request: Request,
    user: ClerkDep,
    session: WriteSessionDep,
    status: Annotated[str | None, Query(max_length=40)] = None,
    service: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The department's open cases, earliest statutory deadline first, with counts by status."""
    everything = await applications.review_queue(
        session, user.staff, statuses=list(OPEN), service_code=None, cursor=None,
        limit=_QUEUE_LIMIT,
    )  # fmt: skip
    counts = Counter(item.status for item in everything.items)
    chosen = status if status in OPEN else None
    items = [
        item for item in everything.items
        if chosen in (None, item.status) and service in (None, "", item.service.code)
    ]  # fmt: skip
    holders = await _holders(session, [item.claimed_by for item in items])
    context = {
        "user": user, "items": items, "counts": counts, "statuses": OPEN, "status": chosen,
        "service": service or "", "holders": holders,
    }  # fmt: skip
    template = "queue_table.html" if request.headers.get("hx-request") else "queue.html"
    return rendering.render(template, context, locale=user.locale)


async def _holders(session: Any, ids: list[str | None]) -> dict[str, str]:
    names: dict[str, str] = {}
    for staff_id in {i for i in ids if i}:
        try:
            names[staff_id] = (await staff_members.get(session, uuid.UUID(staff_id))).name
        except (StaffNotFound, ValueError):
            names[staff_id] = staff_id
    return names


@router.get("/{case_id}")
async def case(
    case_id: CaseId, user: ClerkDep, session: WriteSessionDep, audit: AuditContextDep,
    done: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:  # fmt: skip
    """The whole case; 404 for another department's (the read is audited, as in the API)."""
    try:
        found = await applications.review_case(session, user.staff, case_id, audit_context=audit)
    except AppError as exc:
        raise rendering.failure(user.locale, exc, user) from exc
    return await _case_page(session, user, found, done=done)


async def _case_page(
    session: Any, user: ConsoleUser, found: ReviewCaseRead, *, done: str | None
) -> Response:
    holders = await _holders(session, [found.claimed_by])
    mine = found.claimed_by == str(user.staff.staff_id)
    lapsed = found.claim_expires_at is None or found.claim_expires_at <= utcnow()
    uploads = [
        {"code": entry.get("code"), "upload_id": entry["satisfied_by"].get("upload_id")}
        for entry in found.materials
        if isinstance(entry.get("satisfied_by"), dict)
        and entry["satisfied_by"].get("kind") == "upload"
    ]
    others = [entry for entry in found.materials if entry not in uploads]
    context = {
        "user": user, "case": found, "holder": holders.get(found.claimed_by or ""),
        "mine": mine, "uploads": uploads, "other_materials": others, "done": done,
        "decidable": found.status == "in_review" and mine and not lapsed,
        # A lapsed claim may be taken again, by its holder or another clerk (as in the API).
        "claimable": found.status in WAITING or (found.status == "in_review" and lapsed),
    }  # fmt: skip
    return rendering.render("case.html", context, locale=user.locale)


@router.get("/{case_id}/materials/{upload_id}")
async def material(
    case_id: CaseId, upload_id: Annotated[str, Path(max_length=64)], user: ClerkDep,
    session: WriteSessionDep, audit: AuditContextDep,
) -> Response:  # fmt: skip
    """A material shown in the browser (inline, sandboxed, never cached); the read is audited."""
    try:
        content = await materials.case_upload(
            session, user.staff, case_id, upload_id, audit_context=audit
        )
    except AppError as exc:
        raise rendering.failure(user.locale, exc, user) from exc
    return Response(
        content=content.data, media_type=content.content_type,
        headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(content.file_name, safe='')}",
            "Content-Security-Policy": rendering.MATERIAL_CSP, "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )  # fmt: skip


def _back(case_id: str, user: ConsoleUser, done: str) -> Response:
    return RedirectResponse(
        f"/console/cases/{quote(case_id, safe='')}?done={done}&lang={user.locale}", 303
    )


async def _act(coro: Any, user: ConsoleUser, case_id: str, done: str) -> Response:
    try:
        await coro
    except AppError as exc:
        raise rendering.failure(user.locale, exc, user) from exc
    return _back(case_id, user, done)


@router.post("/{case_id}/claim")
async def claim(
    case_id: CaseId, user: FormUserDep, session: WriteSessionDep, settings: SettingsDep,
    audit: AuditContextDep,
) -> Response:  # fmt: skip
    """Claim the case (one clerk at a time)."""
    deps.require(user, *deps.CLERKS)
    return await _act(
        applications.claim_case(session, settings, user.staff, case_id, audit_context=audit),
        user, case_id, "claim",
    )  # fmt: skip


@router.post("/{case_id}/approve")
async def approve(
    case_id: CaseId, user: FormUserDep, session: WriteSessionDep, settings: SettingsDep,
    audit: AuditContextDep, note: Annotated[str | None, Form(max_length=255)] = None,
) -> Response:  # fmt: skip
    """Approve the claimed case; its outcome runs."""
    deps.require(user, *deps.CLERKS)
    return await _act(
        applications.decide_case(session, settings, user.staff, case_id, Status.APPROVED,
                                 note=note or None, audit_context=audit),
        user, case_id, "approve",
    )  # fmt: skip


def _invalid(user: ConsoleUser, exc: ValidationError) -> rendering.ConsolePage:
    english = user.locale == "en"
    title = "The form is incomplete" if english else "表单填写不完整"
    reasons = "; ".join(str(error["msg"]) for error in exc.errors())
    page = rendering.render("message.html", {"title": title, "text": reasons, "user": user},
                            locale=user.locale, status=422)  # fmt: skip
    return rendering.ConsolePage(page)


@router.post("/{case_id}/reject")
async def reject(
    case_id: CaseId, user: FormUserDep, session: WriteSessionDep, settings: SettingsDep,
    audit: AuditContextDep, reason: Annotated[str, Form(max_length=255)] = "",
) -> Response:  # fmt: skip
    """Reject the claimed case with a reason the applicant is shown."""
    deps.require(user, *deps.CLERKS)
    try:
        rejection = Rejection(reason=reason.strip())
    except ValidationError as exc:
        raise _invalid(user, exc) from exc
    return await _act(
        applications.decide_case(session, settings, user.staff, case_id, Status.REJECTED,
                                 note=rejection.reason, audit_context=audit),
        user, case_id, "reject",
    )  # fmt: skip


@router.post("/{case_id}/supplement")
async def supplement(
    case_id: CaseId, user: FormUserDep, session: WriteSessionDep, settings: SettingsDep,
    audit: AuditContextDep, items: Annotated[str, Form(max_length=2000)] = "",
) -> Response:  # fmt: skip
    """Ask the applicant for a supplement: one item a line."""
    deps.require(user, *deps.CLERKS)
    try:
        request = SupplementRequest(
            items=[line.strip() for line in items.splitlines() if line.strip()]
        )
    except ValidationError as exc:
        raise _invalid(user, exc) from exc
    note = "；".join(request.items)
    return await _act(
        applications.decide_case(session, settings, user.staff, case_id,
                                 Status.SUPPLEMENT_REQUESTED, note=note, audit_context=audit),
        user, case_id, "supplement",
    )  # fmt: skip
