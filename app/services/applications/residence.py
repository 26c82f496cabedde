"""Where a signed-in citizen lives, so that search shows their district's copy of a service.

The catalog lists a service that every district handles once; which district's office is
"yours" follows from your residence on record at public security (户籍 household registration,
its residence address). Reading it is a pull of personal data like any other: under the
purpose `citizen-self-service`, logged in the citizen's data-access log. A search is typed
letter by letter, so the answer is kept in-process for a while per account rather than asked
of the department on every keystroke; a department that does not answer in time leaves the
search city-wide, never failed.
"""

from __future__ import annotations

import time
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import service as exchange
from app.adapters.client import Fact, Subject
from app.adapters.records_people import HouseholdRegistration
from app.adapters.service import Actor
from app.auth import guards
from app.auth import service as auth
from app.auth.errors import RealnameLevelRequired, ScopeMissing
from app.auth.principals import Principal
from app.config import Settings
from app.services.catalog import service as catalog

HOUSEHOLD = ("gaj", "household-registration")
PURPOSE = "citizen-self-service"
# Long enough that typing a query asks once, short enough that a move shows within the hour.
_TTL_SECONDS = 600.0
# Bounded: a busy day's signed-in searchers must not grow a process without limit.
_MAX_KNOWN = 50_000
_known: dict[tuple[str, uuid.UUID], tuple[float, str | None]] = {}


async def home_district(session: AsyncSession, settings: Settings, principal: object) -> str | None:
    """The district code of the signed-in citizen's residence (None: not a citizen acting for
    themselves through a client that may act for them, not real-name verified, or no residence
    in a district of Qingdao on record)."""
    if not isinstance(principal, Principal) or principal.kind != "person":
        return None
    if principal.enterprise is not None:
        return None  # acting for an enterprise: its premises, not the person's home, count
    try:
        guards.require_citizen_api(principal)
    except ScopeMissing:
        # A partner the person signed in to knows who they are, not where they live: reading
        # their records takes the `citizen` scope, as on every route of the citizen API.
        return None
    account_id = uuid.UUID(principal.id)
    key = (settings.database_url, account_id)
    now = time.monotonic()
    known = _known.get(key)
    if known is not None and known[0] > now:
        return known[1]
    district = await _look_up(session, account_id, settings)
    _remember(key, district, now)
    return district


def _remember(key: tuple[str, uuid.UUID], district: str | None, now: float) -> None:
    if len(_known) >= _MAX_KNOWN:
        for stale in [k for k, (until, _) in _known.items() if until <= now]:
            del _known[stale]
        while len(_known) >= _MAX_KNOWN:
            del _known[next(iter(_known))]  # the oldest remembered
    _known[key] = (now + _TTL_SECONDS, district)


async def _look_up(session: AsyncSession, account_id: uuid.UUID, settings: Settings) -> str | None:
    try:
        person = await auth.verified_person(session, settings, account_id)
    except RealnameLevelRequired:
        return None
    subject = Subject.person(person.id_number, name=person.name)
    found = await exchange.gather_facts(
        session,
        subject,
        [HOUSEHOLD],
        purpose=PURPOSE,
        actor=Actor("person", str(account_id)),
        deadline_seconds=settings.search_residence_deadline_seconds,
    )
    fact = found.get(HOUSEHOLD)
    if not isinstance(fact, Fact) or not isinstance(fact.record, HouseholdRegistration):
        return None
    address = fact.record.residence_address or ""
    districts = await catalog.list_districts(session)
    # The address names its district after the city: "山东省青岛市崂山区…".
    for district in districts.items:
        if f"青岛市{district.name}" in address:
            return district.code
    return None


catalog.register_residence_lookup(home_district)
