"""A case as the applicant and the clerks read it: the service, the status, the decision with
its explanation, and the timeline."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.clock import SHANGHAI
from app.services.applications import deadlines, explanations, repository
from app.services.applications.models import Application, ApplicationEvent
from app.services.applications.schemas import (
    ApplicationRead,
    DeadlineNote,
    ServiceRef,
    TimelineEntry,
)
from app.services.catalog.schemas import ServiceDetail

# Who moved a case, as the timeline names them.
_ACTORS = {"citizen": "applicant", "clerk": "clerk", "system": "system"}


def service_ref(service: ServiceDetail) -> ServiceRef:
    """The service as a case names it."""
    return ServiceRef(code=service.code, name=service.name, department=service.department.code)


async def read(
    session: AsyncSession,
    application: Application,
    service: ServiceDetail,
    *,
    timeline: Sequence[ApplicationEvent] | None = None,
) -> ApplicationRead:
    """The case as its applicant reads it; `timeline` is its steps when the caller holds them
    all (a case filed in this session), else they are read."""
    events = timeline if timeline is not None else await repository.events(session, application.id)
    return ApplicationRead(
        id=application.id,
        number=application.number,
        service=service_ref(service),
        status=application.status,
        applicant_uscc=application.applicant_uscc,
        form=application.form,
        materials=application.materials,
        decision=explanations.read(application.decision),
        license_no=application.license_no,
        timeline=[
            TimelineEntry(at=e.at, status=e.status_to, actor=_ACTORS[e.actor_type], note=e.note)
            for e in events
        ],
        deadline=application.deadline,
        deadline_note=_deadline_note(application),
        submitted_at=application.submitted_at,
        decided_at=application.decided_at,
    )


def _deadline_note(application: Application) -> DeadlineNote | None:
    filed_on = application.submitted_at.astimezone(SHANGHAI).date()
    found = deadlines.note(filed_on, application.deadline)
    return None if found is None else DeadlineNote(zh=found.zh, en=found.en)
