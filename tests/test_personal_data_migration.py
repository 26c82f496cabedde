"""Migration 0015 seals the rows already there, and its downgrade opens them again: an
application's form, decision and timeline note, and the fields of the demo world's licenses,
read the same through the models after the round trip, and are stored as ciphertext."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from app import migrate
from app.certificates.models import License
from app.db import Database
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.services.applications.models import Application, ApplicationEvent

BEFORE_SEALING = "0014"
ID_NUMBER = "37020219900517123X"
FORM = {"applicant_name": "王晓明", "id_number": ID_NUMBER, "phone": "13912345678",
        "shareholders": [{"id_number": ID_NUMBER, "contribution": 200}]}  # fmt: skip
DECISION = {
    "rules": {"outcome": "refer", "ruleset_version": 1, "criteria": [{"id": "x", "found": 3}]},
    "review": {"outcome": "rejected", "reason": "号码 13912345678 无法联系"},
}
NOTE = "申请人撤回：电话 13912345678"


async def _application(database: Database) -> Application:
    now = utcnow()
    async with database.session() as session:
        application = Application(
            id=new_id(), number="20261124000001", service_code="gjj.withdraw.rent",
            department_code="gjj", mode="auto", applicant_account_id=new_id(),
            applicant_uscc=None, form=FORM, materials=[], status="rejected",
            deadline=now.date(), decision=DECISION, license_no=None, claimed_by=None,
            claim_expires_at=None, submitted_at=now, decided_at=now, updated_at=now,
        )  # fmt: skip
        session.add(application)
        await session.flush()
        session.add(
            ApplicationEvent(
                id=new_id(), application_id=application.id, at=now, status_from="pending_review",
                status_to="withdrawn", actor_type="citizen", actor_id="x", note=NOTE,
            )
        )  # fmt: skip
    return application


async def _as_read(database: Database) -> dict[str, Any]:
    async with database.session(write=False) as session:
        application = (await session.scalars(select(Application))).one()
        note = (await session.scalars(select(ApplicationEvent.note))).one()
        licenses = (await session.execute(select(License.license_no, License.fields))).all()
    return {
        "form": application.form,
        "decision": application.decision,
        "outcomes": (application.rules_outcome, application.review_outcome),
        "note": note,
        "licenses": dict(licenses),
    }


async def _stored(database: Database, query: str) -> list[str]:
    async with database.engine.connect() as connection:
        return [str(value) for value in (await connection.scalars(text(query)))]


async def test_the_migration_seals_existing_rows_and_its_downgrade_opens_them(
    database: Database, world: None
) -> None:
    await _application(database)
    expected = await _as_read(database)
    assert expected["outcomes"] == ("refer", "rejected")
    assert len(expected["licenses"]) > 10, "the demo world's licenses"

    await migrate.downgrade(database.engine, BEFORE_SEALING)
    assert ID_NUMBER in (await _stored(database, "SELECT form FROM applications"))[0]
    assert (await _stored(database, "SELECT note FROM application_events"))[0] == NOTE

    await migrate.upgrade(database.engine)
    assert await _as_read(database) == expected
    stored = (
        await _stored(database, "SELECT form_cipher FROM applications")
        + await _stored(database, "SELECT decision_cipher FROM applications")
        + await _stored(database, "SELECT note_cipher FROM application_events")
        + await _stored(database, "SELECT fields_cipher FROM licenses")
    )
    assert stored, "rows to look at"
    assert all(value.startswith("s1:") for value in stored)
    assert not [value for value in stored if "13912345678" in value or ID_NUMBER in value]
    if database.dialect == "sqlite":
        # Switched off for the rebuilt tables while migrating, and on again after.
        assert await _stored(database, "PRAGMA foreign_keys") == ["1"]
