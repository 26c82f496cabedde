"""Asking the departments about a case's applicant, under the case's purpose.

Every read names the purpose `application:<case number>` and is logged for the applicant (the
data exchange does both); the enterprise's datasets are asked about the enterprise the case is
made for, the others about the person.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import service as exchange
from app.adapters.client import Subject
from app.adapters.service import Actor, DatasetKey, FactResult
from app.auth.schemas import VerifiedPerson
from app.services.applications.facts import ENTERPRISE_DATASETS
from app.services.applications.models import Application


def purpose(application: Application) -> str:
    """The purpose every read for a case names."""
    return f"application:{application.number}"


async def gather(
    session: AsyncSession,
    application: Application,
    person: VerifiedPerson,
    datasets: tuple[str, ...],
    *,
    until: float,
    actor: Actor | None = None,
) -> dict[DatasetKey, FactResult]:
    """Ask the departments for `datasets` about the case's applicant (the person, or for the
    enterprise datasets the enterprise), under the case's purpose, until `until`; the reads
    are logged as the applicant's unless another `actor` (a job of the platform) makes them."""
    keys: list[DatasetKey] = []
    for name in datasets:
        department, _, dataset = name.partition("/")
        keys.append((department, dataset))
    people = [key for key in keys if key not in ENTERPRISE_DATASETS]
    firms = [key for key in keys if key in ENTERPRISE_DATASETS]
    common: dict[str, Any] = {
        "purpose": purpose(application),
        "actor": actor or Actor("person", str(person.account_id)),
        "case_id": application.number,
    }
    gathered: dict[DatasetKey, FactResult] = {}
    if people:
        gathered |= await exchange.gather_facts(
            session, Subject.person(person.id_number, name=person.name), people, **common,
            deadline_seconds=_left(until),
        )  # fmt: skip
    if firms and application.applicant_uscc is not None:
        # After the person's datasets, within what is left of the time: enterprise services
        # need few person datasets, so the second gathering rarely waits on the first.
        gathered |= await exchange.gather_facts(
            session, Subject.enterprise(application.applicant_uscc), firms, **common,
            deadline_seconds=_left(until),
        )  # fmt: skip
    return gathered


def _left(until: float) -> float:
    # No time left is a gathering that answers at once: every dataset unknown ("deadline").
    return max(0.0, until - time.monotonic())
