"""One batch of a campaign: read the roster page and every department's feed about the people on
it, classify them, and write their cases, their data-access records, the batch's checkpoint and
the news for them, all in the job's one transaction.

The batch row is locked and checked first: a batch done already is a no-op, so a job that runs
again (its worker was killed after the commit, or its lease was taken over) repeats nothing;
and if the worker dies before the commit nothing of the batch exists, so nothing is lost. The
unique (campaign, person) constraint backs this: no path makes a second case for a person.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import access_log, pension_feeds
from app.adapters.schemas import DataAccessEntry
from app.audit import service as audit
from app.audit.schemas import AuditEntry
from app.auth import service as identity
from app.config import Settings
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.kit.masking import mask_id_number
from app.notifications import events
from app.notifications import service as notifications
from app.proactive.campaigns import repository
from app.proactive.campaigns.kinds import CampaignKind, kind
from app.proactive.campaigns.models import Campaign, CampaignBatch

ACTOR = "campaigns.batch"


@dataclass(frozen=True, slots=True)
class Classified:
    """What the feeds said of one person."""

    id_number: str
    outcome: str  # silent, invited, referred
    last_activity: date | None
    evidence: dict[str, str] | None


def purpose(campaign: Campaign) -> str:
    """The purpose every read and instruction of the campaign carries."""
    return f"pension-qualification-campaign:{campaign.id}"


def classify(
    id_numbers: list[str],
    activity: dict[str, dict[str, date]],
    negative: dict[str, dict[str, date]],
    since: date,
) -> list[Classified]:
    """Negative signal → referred (whatever the activity); activity since `since` → silent;
    otherwise invited. Pure: the rule the tests and the bench hold the campaign to."""
    found = []
    for id_number in id_numbers:
        evidence = {feed: hits[id_number].isoformat() for feed, hits in negative.items()
                    if id_number in hits}  # fmt: skip
        dates = [hits[id_number] for hits in activity.values() if id_number in hits]
        last = max(dates) if dates else None
        if evidence:
            outcome = "referred"
        elif last is not None and last >= since:
            outcome = "silent"
        else:
            outcome = "invited"
        found.append(Classified(id_number, outcome, last, evidence or None))
    return found


async def _read(
    campaign: Campaign, spec: CampaignKind, batch: CampaignBatch
) -> tuple[list[str], dict[str, dict[str, date]], dict[str, dict[str, date]]]:
    why = purpose(campaign)
    roster = await pension_feeds.recipients(batch.start, batch.end, purpose=why)
    ids = [recipient.id_number for recipient in roster]
    feeds = spec.feeds
    answers = await asyncio.gather(*(
        pension_feeds.feed(department, name, ids, purpose=why)
        for department, name in (feed.split("/", 1) for feed in feeds)
    ))  # fmt: skip
    by_feed = dict(zip(feeds, answers, strict=True))
    activity = {feed: by_feed[feed] for feed in spec.activity_feeds}
    negative = {feed: by_feed[feed] for feed in spec.negative_feeds}
    return ids, activity, negative


async def run(session: AsyncSession, settings: Settings, campaign_id: Any, number: int) -> str:
    """Run batch `number` of a campaign; what became of it (done, skipped, deferred)."""
    campaign = await repository.campaign(session, campaign_id, lock="share")
    batch = await repository.batch_for_update(session, campaign_id, number)
    if campaign is None or batch is None or batch.state == "done":
        return "skipped"
    if campaign.status == "paused":
        batch.state = "deferred"
        await session.flush()
        return "deferred"
    spec = kind(campaign.kind)
    if spec is None:
        raise LookupError(f"campaign kind {campaign.kind!r} is no longer configured")
    ids, activity, negative = await _read(campaign, spec, batch)
    since = campaign.as_of - timedelta(days=campaign.activity_window_days)
    people = classify(ids, activity, negative, since)
    await _record(session, settings, campaign, spec, batch, people)
    return "done"


async def _record(
    session: AsyncSession,
    settings: Settings,
    campaign: Campaign,
    spec: CampaignKind,
    batch: CampaignBatch,
    people: list[Classified],
) -> None:
    now = utcnow()
    blind = access_log.blind_index_from_settings(settings)
    qualified_until = campaign.as_of + timedelta(days=campaign.qualification_days)
    why = purpose(campaign)
    state = {"silent": "qualified", "invited": "invited", "referred": "referred"}
    rows, reads = [], []
    for person in people:
        ref = access_log.subject_ref("person", person.id_number, blind)
        rows.append({
            "id": new_id(), "campaign_id": campaign.id, "batch_number": batch.number,
            "subject_index": ref.index, "subject_masked": mask_id_number(person.id_number),
            "id_number_cipher": person.id_number, "outcome": person.outcome,
            "state": state[person.outcome], "last_activity": person.last_activity,
            "evidence": person.evidence,
            "qualified_until": qualified_until if person.outcome == "silent" else None,
            "reminders_sent": 0, "instructions": 0, "payment_status": None,
            "created_at": now, "updated_at": now,
        })  # fmt: skip
        # Built without validation (every field is ours and typed): at city scale a model
        # validated per person was a tenth of a batch's CPU.
        reads.append(DataAccessEntry.model_construct(
            calling_system="qingeban", actor_type="system", actor_id=ACTOR, subject=ref,
            department=spec.department, dataset="pension-qualification", purpose=why,
            case_id=str(campaign.id), outcome="found", occurred_at=now, datasets=spec.datasets,
        ))  # fmt: skip
    await repository.insert_cases(session, rows)
    await access_log.record_many(session, reads)
    await _tell(session, campaign, rows, qualified_until)
    counts = {key: sum(1 for p in people if p.outcome == key) for key in state}
    batch.state, batch.finished_at, batch.persons = "done", now, len(people)
    batch.silent, batch.invited, batch.referred = (
        counts["silent"],
        counts["invited"],
        counts["referred"],
    )
    await audit.record(session, AuditEntry(
        actor_type="system", actor_id=ACTOR, action="campaign.batch_classified",
        subject_type="campaign_batch", subject_id=f"{campaign.id}:{batch.number}", purpose=why,
        after={"persons": len(people), **counts},
    ))  # fmt: skip
    await session.flush()


async def _tell(
    session: AsyncSession, campaign: Campaign, rows: list[dict[str, Any]], qualified_until: date
) -> None:
    """Tell the people with an account (in the app, and by text): qualified, or asked for a
    selfie. The others have no inbox the platform could reach; their pension office writes."""
    reachable = await identity.with_accounts(session, [row["subject_index"] for row in rows])
    deadline = campaign.warning_until.date().isoformat()
    for row in rows:
        if row["subject_index"] not in reachable or row["outcome"] == "referred":
            continue
        if row["outcome"] == "silent":
            event, payload = (
                events.PENSION_QUALIFIED,
                {"qualified_until": qualified_until.isoformat()},
            )
        else:
            event, payload = events.PENSION_VERIFICATION_INVITED, {"deadline": deadline}
        await notifications.publish(
            session, event, subject=f"campaign:{campaign.id}", payload=payload,
            department_code="rsj", holder_index=row["subject_index"],
        )  # fmt: skip
