"""The demo world beyond the reference data: accounts for the demo personas and demo staff.

Idempotent like the reference seed: an existing phone or staff login is left alone. Persona
accounts are verified the way a registration is (public security's identity check, served by
the simulated departments), so each persona starts at real-name level L2 with a real source.
Demo only: `seed --demo` and `serve --demo` run it, and production refuses the demo world.
"""

from __future__ import annotations

import logging

from app.adapters.simulator.personas import build_personas
from app.adapters.simulator.population import Population
from app.audit.schemas import AuditContext
from app.auth import service as auth
from app.auth.models import StaffRole
from app.auth.schemas import StaffCreate
from app.config import Settings
from app.db import Database
from app.demo_licenses import seed_demo_licenses

logger = logging.getLogger(__name__)

# Staff passwords need 12 characters or more; this one is published, like the personas'.
DEMO_STAFF_PASSWORD = "Demo@2026-staff"  # noqa: S105
# Staff to try the admin API and (later) the clerks' queue with.
DEMO_STAFF = (
    StaffCreate(login="admin", name="平台管理员", role=StaffRole.PLATFORM_ADMIN,
                department_code="dsj", password=DEMO_STAFF_PASSWORD),
    StaffCreate(login="gjj.clerk", name="公积金窗口张伟", role=StaffRole.CLERK,
                department_code="gjj", password=DEMO_STAFF_PASSWORD),
    StaffCreate(login="gjj.admin", name="公积金中心管理员", role=StaffRole.DEPARTMENT_ADMIN,
                department_code="gjj", password=DEMO_STAFF_PASSWORD),
    StaffCreate(login="audit.li", name="审计员李静", role=StaffRole.AUDITOR,
                department_code="dsj", password=DEMO_STAFF_PASSWORD),
    StaffCreate(login="rsj.clerk", name="社保窗口王芳", role=StaffRole.CLERK,
                department_code="rsj", password=DEMO_STAFF_PASSWORD),
)  # fmt: skip


async def seed_demo_world(database: Database, settings: Settings) -> dict[str, int]:
    """Create the personas' accounts and the demo staff that do not exist yet."""
    personas, _, _ = build_personas(Population())
    context = AuditContext()
    people = staff = 0
    async with database.session() as session:
        for persona in personas:
            people += await auth.seed_demo_person(
                session, settings, phone=persona.login, password=persona.password,
                name=persona.name, id_number=persona.id_number, audit_context=context,
            )  # fmt: skip
        for member in DEMO_STAFF:
            staff += await auth.seed_demo_staff(session, settings, member, audit_context=context)
    licenses = await seed_demo_licenses(database, settings)
    logger.info(
        "demo world seeded", extra={"accounts": people, "staff": staff, "licenses": licenses}
    )
    return {
        "person_accounts_created": people,
        "staff_created": staff,
        "licenses_issued": licenses,
    }


async def seed_demo_offers(database: Database, settings: Settings) -> dict[str, int]:
    """Run the daily renewal-offer scan once, so that the demo world starts with the hygiene
    and kindergarten owners' offers (无感审批); the schedule `offers.renewal-scan` runs it
    every morning after that. Idempotent: one offer per license and last day."""
    from app.proactive.offers import service as offers

    async with database.session() as session:
        report = await offers.scan(session, settings)
    return report.model_dump()
