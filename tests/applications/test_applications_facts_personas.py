"""The demo personas' facts, gathered from the in-process simulated departments over the
data exchange and derived as an application would: what each persona's scenario says holds."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from app.adapters import access_log
from app.adapters.client import DepartmentClient, Subject
from app.adapters.registry import SIMULATOR_BASE_URL, DepartmentRegistry
from app.adapters.service import Actor, Exchange, FactResult, gather_facts, reset_exchange
from app.adapters.simulator.endpoints import create_simulator_app
from app.adapters.simulator.personas import HYGIENE_PERMIT_DAYS, Persona, build_personas
from app.adapters.simulator.settings import DEFAULT_ADMIN_TOKEN
from app.certificates import holders
from app.certificates import service as certificates
from app.certificates.lifecycle import today
from app.config import Settings
from app.db import Database
from app.demo_licenses import seed_demo_licenses
from app.rules.facts import FactValue, Known, Unknown
from app.rules.vocabulary import FACTS
from app.services.applications.facts import (
    ENTERPRISE_DATASETS,
    ApplicantFacts,
    HeldLicense,
    datasets_for,
    derive_facts,
)

ADMIN = {"Authorization": f"Bearer {DEFAULT_ADMIN_TOKEN}"}
VERIFIED = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
EVERY_DATASET = datasets_for([spec.name for spec in FACTS])


@pytest.fixture(autouse=True)
def fresh_exchange() -> Iterator[None]:
    reset_exchange()  # no breaker state from another test's faults
    yield
    reset_exchange()


class Departments:
    """The simulated departments behind an exchange of their own, and their personas."""

    def __init__(self, exchange: Exchange, personas: dict[str, Persona], on: date) -> None:
        self.exchange = exchange
        self.personas = personas
        self.on = on

    async def fail(self, department: str) -> None:
        url = f"{SIMULATOR_BASE_URL}/_admin/faults/{department}"
        response = await self.exchange.client.http.put(url, json={"error_rate": 1.0}, headers=ADMIN)
        assert response.status_code == 200, response.text

    async def facts(
        self, database: Database, key: str, enterprise: str | None = None, **options: Any
    ) -> dict[str, FactValue]:
        """Gather every dataset of the vocabulary about a persona (and an enterprise, by
        default the one they represent) as an application would, and derive the facts."""
        persona = self.personas[key]
        uscc = enterprise or persona.enterprise_uscc
        person = [k for k in EVERY_DATASET if k not in ENTERPRISE_DATASETS]
        gathered: dict[tuple[str, str], FactResult] = {}
        async with database.session() as session:
            gathered |= await self._gather(session, Subject.person(persona.id_number), person)
            if uscc is not None:
                firm = sorted(ENTERPRISE_DATASETS)
                gathered |= await self._gather(session, Subject.enterprise(uscc), firm)
        applicant = ApplicantFacts(realname_level=3, verified_at=VERIFIED,
                                   id_number=persona.id_number)  # fmt: skip
        return derive_facts(gathered, applicant=applicant, on=self.on, **options)

    async def _gather(
        self, session: Any, subject: Subject, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], FactResult]:
        return await gather_facts(
            session, subject, keys, purpose="review",
            actor=Actor("person", "test"), case_id="case-facts", exchange=self.exchange,
        )  # fmt: skip


@pytest.fixture
async def departments(settings: Settings) -> AsyncIterator[Departments]:
    app = create_simulator_app()
    population = app.state.simulator.population
    personas = {p.key: p for p in build_personas(population)[0]}
    client = DepartmentClient(DepartmentRegistry(simulator_app=app))
    exchange = Exchange(blind_index=access_log.blind_index_from_settings(settings), client=client)
    yield Departments(exchange, personas, population.as_of)
    await client.http.delete(f"{SIMULATOR_BASE_URL}/_admin/faults", headers=ADMIN)
    await client.aclose()


def values(facts: dict[str, FactValue]) -> dict[str, Any]:
    return {name: fact.value for name, fact in facts.items() if isinstance(fact, Known)}


async def test_the_renter_is_eligible_for_the_rent_withdrawal(
    departments: Departments, database: Database
) -> None:
    facts = await departments.facts(database, "renter")
    found = values(facts)
    assert found["hpf.account_exists"] is True
    assert found["hpf.account_normal"] is True
    assert found["hpf.consecutive_months"] == 36
    assert found["hpf.months_since_last_withdrawal"] == 999
    assert found["property.owns_in_qingdao"] is False
    assert found["property.count_in_qingdao"] == 0
    assert found["credit.court_defaulter"] is False
    assert found["household.registered_in_qingdao"] is True
    assert 26 <= found["applicant.age"] < 40
    normal = facts["hpf.account_normal"]
    assert isinstance(normal, Known)
    assert normal.provenance.source == "gjj/fund-account"
    assert normal.provenance.as_of is not None
    assert facts["applicant.age"].provenance.as_of == VERIFIED  # type: ignore[union-attr]
    # Every dataset answered; he represents no enterprise, so none was asked about.
    unknown = {name: fact.reason for name, fact in facts.items() if isinstance(fact, Unknown)}
    firms = {f"{department}/{dataset}" for department, dataset in ENTERPRISE_DATASETS}
    assert {n for n, reason in unknown.items() if reason == "not gathered"} == {
        spec.name for spec in FACTS if spec.source in firms
    }
    registers_answer_none = {
        "no filed purchase contract", "no public rental lease", "no deed tax paid",
        "no commercial mortgage registered",
    }  # fmt: skip
    expected = {"not gathered", "no record", "no license held", "the ruleset names no entitlement"}
    assert set(unknown.values()) <= expected | registers_answer_none, unknown


async def test_the_flat_owner_owns_in_qingdao(departments: Departments, database: Database) -> None:
    found = values(await departments.facts(database, "flat_owner"))
    assert found["property.owns_in_qingdao"] is True
    assert found["property.count_in_qingdao"] == 1
    assert found["hpf.account_normal"] is True


async def test_the_talent_has_a_masters_degree_and_a_household_elsewhere(
    departments: Departments, database: Database
) -> None:
    found = values(await departments.facts(database, "talent"))
    assert found["education.degree_rank"] == 4
    assert found["household.registered_in_qingdao"] is False
    assert found["social_insurance.enrolled"] is True
    assert found["social_insurance.consecutive_months"] == 12
    assert found["talent.certified"] is True


async def test_the_defaulter_is_on_the_list(departments: Departments, database: Database) -> None:
    assert values(await departments.facts(database, "defaulter"))["credit.court_defaulter"] is True


async def test_the_printer_represents_his_enterprise_and_nobody_else_does(
    departments: Departments, database: Database
) -> None:
    found = values(await departments.facts(database, "printer"))
    assert found["enterprise.registered"] is True
    assert found["enterprise.active"] is True
    assert found["enterprise.abnormal_operation"] is False
    assert found["enterprise.applicant_is_representative"] is True
    printing = departments.personas["printer"].enterprise_uscc
    stranger = values(await departments.facts(database, "renter", enterprise=printing))
    assert stranger["enterprise.applicant_is_representative"] is False


async def test_the_salon_and_its_hygiene_permit(
    departments: Departments, database: Database, settings: Settings
) -> None:
    hygiene = departments.personas["hygiene"]
    assert hygiene.enterprise_uscc is not None
    await seed_demo_licenses(database, settings)
    async with database.session(write=False) as session:
        permit = await certificates.held_license(
            session, type_code="hygiene-permit", holder_uscc=hygiene.enterprise_uscc
        )
    assert permit is not None
    held = HeldLicense(permit.status, permit.valid_until, permit.updated_at)
    departments.on = today()
    facts = await departments.facts(database, "hygiene", license=held)
    found = values(facts)
    assert found["enterprise.registered"] is True
    assert found["enterprise.active"] is True
    assert found["enterprise.abnormal_operation"] is False
    assert found["enterprise.applicant_is_representative"] is True
    assert found["license.held"] is True
    assert found["license.valid"] is True
    assert found["license.days_to_expiry"] == HYGIENE_PERMIT_DAYS
    assert facts["license.valid"].provenance.source == "registry"  # type: ignore[union-attr]


async def test_held_license_finds_a_persons_license_by_blind_index(
    database: Database, settings: Settings, departments: Departments
) -> None:
    owner = departments.personas["flat_owner"]
    await seed_demo_licenses(database, settings)
    index = holders.id_number_index(settings, owner.id_number)
    async with database.session(write=False) as session:
        deed = await certificates.held_license(
            session, type_code="property-certificate", holder_id_index=index
        )
        assert deed is not None
        assert deed.holder.kind == "person"
        assert await certificates.held_license(
            session, type_code="hygiene-permit", holder_id_index=index
        ) is None  # fmt: skip
        with pytest.raises(ValueError, match="exactly one holder"):
            await certificates.held_license(session, type_code="property-certificate")


async def test_real_estate_failing_makes_only_property_facts_unknown(
    departments: Departments, database: Database
) -> None:
    await departments.fail("bdc")
    facts = await departments.facts(database, "renter")
    for name in ("property.count_in_qingdao", "property.owns_in_qingdao"):
        assert facts[name] == Unknown("unavailable: error", "bdc/property-ownership"), name
    found = values(facts)
    assert found["hpf.account_normal"] is True
    assert found["hpf.consecutive_months"] == 36
