"""The campaigns domain as the API, the CLI, the jobs and identity call it: start a campaign,
follow it, pause and resume it; the clerks' queue and decisions; a selfie that qualifies.

No path here stops a payment on its own: a suspension instruction is queued only by a clerk's
confirmation (`suspend`), and every change of a case writes its audit record and queues its
news and its instruction in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import access_log, pension_feeds
from app.audit import service as audit
from app.audit.schemas import AuditContext, AuditEntry
from app.config import Settings
from app.errors import InvalidCursor
from app.jobs import service as jobs
from app.kit import pagination
from app.kit.clock import utcnow
from app.notifications import events
from app.notifications import service as notifications
from app.proactive.campaigns import repository
from app.proactive.campaigns.batches import purpose
from app.proactive.campaigns.errors import (
    CampaignKindUnknown,
    CampaignNotFound,
    CampaignNotPaused,
    CampaignNotRunning,
    CaseNotFound,
    CaseNotRestorable,
    CaseNotSuspendable,
    PilotOutOfRoster,
    RosterUnavailable,
)
from app.proactive.campaigns.kinds import kind
from app.proactive.campaigns.models import Campaign, CampaignCase
from app.proactive.campaigns.schemas import (
    CampaignCreate,
    CampaignRead,
    CasePage,
    CaseRead,
    Progress,
)

BATCH_JOB = "campaigns.batch"
PAYMENT_JOB = "campaigns.payment"
# Pending: waiting for the person (invited) or for a clerk (referred, due).
PENDING = ("invited", "referred", "due")
CLERK_QUEUE = ("referred", "due")
_REMINDERS_PER_SWEEP = 5000


def _staff(actor: str) -> tuple[str, str]:
    return ("staff", actor)


async def create(
    session: AsyncSession, data: CampaignCreate, *, actor: str, context: AuditContext
) -> CampaignRead:
    """Start a campaign: its batches cut from the roster's extent, one job queued for each."""
    spec = kind(data.kind)
    if spec is None:
        raise CampaignKindUnknown(f"没有 {data.kind} 这类活动", f"No campaign kind {data.kind!r}")
    now = utcnow()
    campaign_id = uuid.uuid4()
    why = f"pension-qualification-campaign:{campaign_id}"
    try:
        roster = await pension_feeds.roster(purpose=why)
    except pension_feeds.FeedUnavailable as exc:
        raise RosterUnavailable() from exc
    block = data.block_size or spec.block_size
    ranges = [(r.start, r.end) for r in data.pilot] if data.pilot else [(0, roster.positions)]
    if any(start >= end or end > roster.positions for start, end in ranges):
        raise PilotOutOfRoster(
            f"试点范围须在名册 0–{roster.positions} 之内",
            f"Pilot ranges must lie within 0–{roster.positions}",
        )
    cuts = [(lo, min(lo + block, end)) for start, end in ranges for lo in range(start, end, block)]
    campaign = Campaign(
        id=campaign_id, kind=data.kind, status="running", created_at=now, created_by=actor,
        as_of=roster.as_of, activity_window_days=spec.activity_window_days,
        qualification_days=spec.qualification_days,
        warning_until=now + timedelta(days=data.warning_days or spec.warning_days),
        positions=sum(end - start for start, end in ranges), block_size=block,
        batches_total=len(cuts), generation=0,
    )  # fmt: skip
    await repository.add(session, campaign)
    await repository.insert_batches(session, [
        {"campaign_id": campaign_id, "number": n, "start": lo, "end": hi, "state": "queued",
         "persons": 0, "silent": 0, "invited": 0, "referred": 0}
        for n, (lo, hi) in enumerate(cuts)
    ])  # fmt: skip
    for number in range(len(cuts)):
        await jobs.enqueue(session, BATCH_JOB, {"campaign_id": str(campaign_id), "batch": number})
    await audit.record(session, context.entry(
        actor_type="staff", actor_id=actor, action="campaign.created", subject_type="campaign",
        subject_id=str(campaign_id), purpose=why,
        after={"kind": data.kind, "batches": len(cuts), "warning_until": campaign.warning_until},
    ))  # fmt: skip
    return await read(session, campaign)


async def _campaign(
    session: AsyncSession, campaign_id: uuid.UUID, lock: str | None = None
) -> Campaign:
    campaign = await repository.campaign(session, campaign_id, lock=lock)
    if campaign is None:
        raise CampaignNotFound()
    return campaign


async def get(session: AsyncSession, campaign_id: uuid.UUID) -> CampaignRead:
    """A campaign and its progress."""
    return await read(session, await _campaign(session, campaign_id))


async def list_campaigns(session: AsyncSession, limit: int) -> list[CampaignRead]:
    """The newest campaigns, with their progress."""
    return [await read(session, c) for c in await repository.campaigns(session, limit=limit)]


async def read(session: AsyncSession, campaign: Campaign) -> CampaignRead:
    """A campaign as the API shows it."""
    totals = await repository.batch_totals(session, campaign.id)
    states = await repository.case_states(session, campaign.id)
    done = int(totals["persons"])
    status = campaign.status
    if totals["batches_done"] == campaign.batches_total:
        status = "completed"
    spec = kind(campaign.kind)
    return CampaignRead(
        id=campaign.id, kind=campaign.kind, title=spec.title_zh if spec else campaign.kind,
        status=status, created_at=campaign.created_at, as_of=campaign.as_of,
        activity_window_days=campaign.activity_window_days,
        warning_until=campaign.warning_until,
        warning_closed=campaign.warning_closed_at is not None,
        roster_positions=campaign.positions, datasets=list(spec.datasets) if spec else [],
        progress=Progress(
            batches_total=campaign.batches_total, batches_done=int(totals["batches_done"]),
            done=done, silent=int(totals["silent"]), invited=int(totals["invited"]),
            referred=int(totals["referred"]),
            silent_share=round(int(totals["silent"]) / done, 4) if done else None,
            pending=sum(states.get(s, 0) for s in PENDING),
            qualified=states.get("qualified", 0), suspended=states.get("suspended", 0),
            restored=states.get("restored", 0),
        ),
    )  # fmt: skip


async def pause(
    session: AsyncSession, campaign_id: uuid.UUID, *, actor: str, context: AuditContext
) -> CampaignRead:
    """Stop starting batches (one being read finishes); resume picks up where it stopped."""
    campaign = await _campaign(session, campaign_id, lock="update")
    if campaign.status != "running":
        raise CampaignNotRunning()
    campaign.status = "paused"
    await _audit_status(session, campaign, "campaign.paused", actor, context)
    return await read(session, campaign)


async def resume(
    session: AsyncSession, campaign_id: uuid.UUID, *, actor: str, context: AuditContext
) -> CampaignRead:
    """Run again: the batches found paused are queued anew (those queued still run)."""
    # Locking the campaign waits for the batches running now (they hold it shared), so a batch
    # that found the campaign paused has marked itself deferred before this looks for those.
    campaign = await _campaign(session, campaign_id, lock="update")
    if campaign.status != "paused":
        raise CampaignNotPaused()
    campaign.status = "running"
    campaign.generation += 1
    deferred = await repository.deferred_batches(session, campaign.id)
    await repository.set_batches_state(session, campaign.id, deferred, "queued")
    for number in deferred:
        await jobs.enqueue(session, BATCH_JOB, {"campaign_id": str(campaign.id), "batch": number})
    await _audit_status(session, campaign, "campaign.resumed", actor, context)
    return await read(session, campaign)


async def _audit_status(
    session: AsyncSession, campaign: Campaign, action: str, actor: str, context: AuditContext
) -> None:
    await session.flush()
    await audit.record(session, context.entry(
        actor_type="staff", actor_id=actor, action=action, subject_type="campaign",
        subject_id=str(campaign.id), after={"status": campaign.status},
    ))  # fmt: skip


def case_read(case: CampaignCase) -> CaseRead:
    """A case as a clerk sees it."""
    return CaseRead.model_validate({
        "id": case.id, "subject_masked": case.subject_masked, "outcome": case.outcome,
        "state": case.state, "last_activity": case.last_activity, "evidence": case.evidence,
        "qualified_until": case.qualified_until, "payment_status": case.payment_status,
        "updated_at": case.updated_at,
    })  # fmt: skip


async def queue(
    session: AsyncSession, campaign_id: uuid.UUID, *, state: str | None, cursor: str | None,
    limit: int,
) -> CasePage:  # fmt: skip
    """The clerks' queue (referred with evidence, due after the warning period) or any state."""
    await _campaign(session, campaign_id)
    after = None
    if cursor is not None:
        try:
            (value,) = pagination.decode_cursor(cursor, arity=1)
            after = uuid.UUID(str(value))
        except ValueError as exc:
            raise InvalidCursor("分页游标无效", str(exc)) from exc
    states = (state,) if state is not None else CLERK_QUEUE
    found = await repository.cases(
        session, campaign_id, states=states, after=after, limit=limit + 1
    )
    page = found[:limit]
    next_cursor = pagination.encode_cursor([str(page[-1].id)]) if len(found) > limit else None
    return CasePage(items=[case_read(c) for c in page], next_cursor=next_cursor)


async def _instruct(session: AsyncSession, case: CampaignCase, action: str) -> None:
    case.instructions += 1
    await jobs.enqueue(
        session, PAYMENT_JOB,
        {"case_id": str(case.id), "action": action, "instruction": case.instructions},
        dedupe_key=f"campaign-payment:{case.id}:{case.instructions}",
    )  # fmt: skip


async def suspend(
    session: AsyncSession, campaign_id: uuid.UUID, case_ids: list[uuid.UUID], *, reason: str,
    actor: str, context: AuditContext,
) -> list[uuid.UUID]:  # fmt: skip
    """A clerk confirms suspensions in bulk: every case named must be in the clerks' queue (or
    the whole confirmation is refused); each gets a durable instruction to the pension system."""
    campaign = await _campaign(session, campaign_id)
    wanted = sorted(set(case_ids))
    found = await repository.cases_for_update(session, campaign.id, wanted)
    if len(found) != len(wanted):
        raise CaseNotFound()
    refused = [str(case.id) for case in found if case.state not in CLERK_QUEUE]
    if refused:
        raise CaseNotSuspendable(extra={"case_ids": refused})
    now = utcnow()
    for case in found:
        before = case.state
        case.state, case.updated_at = "suspended", now
        await _instruct(session, case, "suspend")
        await audit.record(session, context.entry(
            actor_type="staff", actor_id=actor, action="campaign_case.suspended",
            subject_type="campaign_case", subject_id=str(case.id), purpose=purpose(campaign),
            before={"state": before}, after={"state": "suspended", "reason": reason},
        ))  # fmt: skip
        await notifications.publish(
            session, events.PENSION_SUSPENDED, subject=f"campaign:{campaign.id}", payload={},
            department_code="rsj", holder_index=case.subject_index,
        )  # fmt: skip
    await session.flush()
    return [case.id for case in found]


async def _qualify(
    session: AsyncSession, campaign: Campaign, case: CampaignCase, *, actor: tuple[str, str],
    reason: str, context: AuditContext,
) -> None:  # fmt: skip
    before = case.state
    now = utcnow()
    case.qualified_until = now.date() + timedelta(days=campaign.qualification_days)
    case.state, case.updated_at = ("restored" if before == "suspended" else "qualified"), now
    if before == "suspended":
        await _instruct(session, case, "resume")
    await audit.record(session, context.entry(
        actor_type=actor[0], actor_id=actor[1], action="campaign_case.qualified",  # type: ignore[arg-type]
        subject_type="campaign_case", subject_id=str(case.id), purpose=purpose(campaign),
        before={"state": before}, after={"state": case.state, "reason": reason},
    ))  # fmt: skip
    await notifications.publish(
        session,
        events.PENSION_RESTORED if before == "suspended" else events.PENSION_QUALIFIED,
        subject=f"campaign:{campaign.id}",
        payload={"qualified_until": case.qualified_until.isoformat()},
        department_code="rsj", holder_index=case.subject_index,
    )  # fmt: skip


async def restore(
    session: AsyncSession, campaign_id: uuid.UUID, case_id: uuid.UUID, *, reason: str,
    actor: str, context: AuditContext,
) -> CaseRead:  # fmt: skip
    """A clerk finds the person alive and entitled: qualified, and paid again if stopped."""
    campaign = await _campaign(session, campaign_id)
    (case,) = await repository.cases_for_update(session, campaign.id, [case_id]) or (None,)
    if case is None:
        raise CaseNotFound()
    if case.state not in ("invited", *CLERK_QUEUE, "suspended"):
        raise CaseNotRestorable()
    await _qualify(session, campaign, case, actor=_staff(actor), reason=reason, context=context)
    await session.flush()
    return case_read(case)


async def face_verified(session: AsyncSession, settings: Settings, id_number: str) -> None:
    """A selfie proved the person alive: every open case of theirs is qualified, a stopped
    pension resumed. A referred case (a death on record) stays with its clerk."""
    index = access_log.subject_ref(
        "person", id_number, access_log.blind_index_from_settings(settings)
    ).index
    for case in await repository.person_cases(session, index, ("invited", "due", "suspended")):
        campaign = await _campaign(session, case.campaign_id)
        await _qualify(
            session, campaign, case, actor=("person", "face-verification"),
            reason="face verification", context=AuditContext(),
        )  # fmt: skip
    await session.flush()


async def send_payment(session: AsyncSession, payload: dict[str, object]) -> None:
    """The payment job: carry a clerk's (or a selfie's) decision to the pension system."""
    case = await repository.case(session, uuid.UUID(str(payload["case_id"])))
    if case is None:
        return
    campaign = await _campaign(session, case.campaign_id)
    action = str(payload["action"])
    status = await pension_feeds.instruct_payment(
        f"{case.id}:{payload['instruction']}", case.id_number, action,
        reason="静默认证" if action == "resume" else "资格认证未通过，经工作人员确认",
        purpose=purpose(campaign),
    )  # fmt: skip
    # A later instruction of the same case may have run first (retries): keep the latest's.
    if int(str(payload["instruction"])) == case.instructions:
        case.payment_status = status
    await session.flush()


async def sweep(session: AsyncSession) -> dict[str, int]:
    """Daily: remind the invited whose reminder is due; at a warning period's end, hand the
    cases still invited to the clerks (they decide on suspension; nothing stops here)."""
    now = utcnow()
    reminded = handed = 0
    for campaign in await repository.open_campaigns(session, now):
        spec = kind(campaign.kind)
        for sent, days in enumerate(spec.reminder_days if spec else ()):
            if now < campaign.created_at + timedelta(days=days):
                break
            for case in await repository.due_reminders(
                session, campaign.id, sent, _REMINDERS_PER_SWEEP
            ):
                case.reminders_sent = sent + 1
                await notifications.publish(
                    session, events.PENSION_VERIFICATION_REMINDER,
                    subject=f"campaign:{campaign.id}",
                    payload={"deadline": campaign.warning_until.date().isoformat()},
                    department_code="rsj", holder_index=case.subject_index,
                )  # fmt: skip
                reminded += 1
    for campaign in await repository.warning_over(session, now):
        moved = await repository.hand_over_invited(session, campaign.id, now)
        campaign.warning_closed_at = now
        handed += moved
        await audit.record(session, AuditEntry(
            actor_type="system", actor_id="campaigns.sweep", action="campaign.warning_closed",
            subject_type="campaign", subject_id=str(campaign.id), after={"due": moved},
        ))  # fmt: skip
    await session.flush()
    return {"reminded": reminded, "handed_to_clerks": handed}
