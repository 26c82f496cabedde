"""Contract tests: every typed adapter record against the simulator, with persona subjects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from app.adapters import records
from app.adapters.client import DepartmentClient, Fact, Subject
from app.adapters.registry import DepartmentRegistry
from app.adapters.simulator.datasets import DEPARTMENTS
from app.adapters.simulator.endpoints import create_simulator_app
from app.adapters.simulator.personas import Persona, build_personas

PURPOSE = "review"
END_USER = "staff:clerk-1"


@pytest.fixture
async def sim() -> AsyncIterator[tuple[DepartmentClient, dict[str, Persona]]]:
    app = create_simulator_app()
    personas = {p.key: p for p in build_personas(app.state.simulator.population)[0]}
    client = DepartmentClient(DepartmentRegistry(simulator_app=app))
    yield client, personas
    await client.aclose()


async def _read(client: DepartmentClient, key: tuple[str, str], subject: Subject) -> Fact:
    # Transport cards are read for the pension campaign only; the rest as a clerk's review.
    purpose = "pension-qualification-campaign" if key[0] == "jtj" else PURPOSE
    return await client.lookup(*key, subject, purpose=purpose, end_user=END_USER)


# (persona, dataset, expected type, check of the persona's scenario)
CASES: list[tuple[str, tuple[str, str], type[records.DatasetRecord], Any]] = [
    ("renter", ("gaj", "identity-verification"), records.IdentityVerification,
     lambda r: r.match is True),
    ("renter", ("gaj", "face-verification"), records.FaceVerification,
     lambda r: r.liveness and r.match and r.similarity >= 0.85),
    ("deceased_pensioner", ("gaj", "face-verification"), records.FaceVerification,
     lambda r: not r.liveness and not r.match),
    ("deceased_pensioner", ("gaj", "household-registration"), records.HouseholdRegistration,
     lambda r: r.cancelled_on is not None),
    ("talent", ("gaj", "household-registration"), records.HouseholdRegistration,
     lambda r: r.registered_in_qingdao is False),
    ("renter", ("mzj", "marriage-status"), records.MarriageStatus,
     lambda r: isinstance(r.has_spouse_on_record, bool)),
    ("talent", ("rsj", "social-insurance-contributions"), records.SocialInsuranceContributions,
     lambda r: r.enrolled and r.consecutive_months > 0),
    ("talent", ("rsj", "talent-certification"), records.TalentCertification,
     lambda r: r.certified is True),
    ("active_pensioner", ("rsj", "pension-entitlement"), records.PensionEntitlement,
     lambda r: r.receiving and isinstance(r.start_date, date) and r.monthly_amount > 0),
    ("flat_owner", ("bdc", "property-ownership"), records.PropertyOwnership,
     lambda r: r.count >= 1 and r.properties[0].address.startswith("山东省青岛市")),
    ("renter", ("bdc", "property-ownership"), records.PropertyOwnership,
     lambda r: r.count == 0 and r.properties == ()),
    ("renter", ("gjj", "fund-account"), records.FundAccount, lambda r: r.balance > 0),
    ("renter", ("gjj", "fund-contributions"), records.FundContributions,
     lambda r: r.consecutive_months >= 3),
    ("renter", ("gjj", "fund-withdrawals"), records.FundWithdrawals,
     lambda r: r.last_withdrawal_date is None or isinstance(r.last_withdrawal_date, date)),
    ("talent", ("jyj", "degrees"), records.Degrees,
     lambda r: r.highest_degree == "master" and r.degree_rank == 4),
    ("defaulter", ("court", "judgment-defaulters"), records.JudgmentDefaulters,
     lambda r: r.listed is True),
    ("renter", ("court", "judgment-defaulters"), records.JudgmentDefaulters,
     lambda r: r.listed is False),
    ("active_pensioner", ("ybj", "medical-claims"), records.MedicalClaims,
     lambda r: isinstance(r.last_claim_date, date)),
    ("silent_pensioner", ("jtj", "bus-card-usage"), records.BusCardUsage,
     lambda r: r.last_use_date is None),
]  # fmt: skip


@pytest.mark.parametrize(("persona", "key", "model", "check"), CASES)
async def test_typed_record_contract(
    sim: tuple[DepartmentClient, dict[str, Persona]],
    persona: str,
    key: tuple[str, str],
    model: type[records.DatasetRecord],
    check: Any,
) -> None:
    client, personas = sim
    person = personas[persona]
    subject = Subject.person(person.id_number, name=person.name, selfie_token="selfie-1")
    fact = await _read(client, key, subject)
    assert fact.found is True
    assert isinstance(fact.record, model)
    assert check(fact.record)
    assert (fact.department, fact.dataset) == key
    assert fact.source
    assert "/" in fact.source
    assert fact.as_of.tzinfo is not None
    assert fact.fetched_at.tzinfo is not None


async def test_enterprise_registration_names_its_legal_representative(
    sim: tuple[DepartmentClient, dict[str, Persona]],
) -> None:
    client, personas = sim
    printer = personas["printer"]
    assert printer.enterprise_uscc is not None
    fact = await _read(
        client, ("scjg", "enterprise-registration"), Subject.enterprise(printer.enterprise_uscc)
    )
    assert isinstance(fact.record, records.EnterpriseRegistration)
    assert fact.record.legal_representative_id_number == printer.id_number
    assert fact.record.uscc == printer.enterprise_uscc
    # The authorised agent is another adult of the population, not the representative.
    (agent,) = fact.record.authorised_agents
    assert agent.id_number != printer.id_number
    population = client.registry.simulator_app.state.simulator.population
    person = population.find_person(agent.id_number)
    assert person is not None
    assert person.name == agent.name


async def test_every_dataset_the_simulator_serves_is_typed_and_parses(
    sim: tuple[DepartmentClient, dict[str, Persona]],
) -> None:
    client, personas = sim
    renter, salon = personas["renter"], personas["hygiene"]
    assert salon.enterprise_uscc is not None
    population = client.registry.simulator_app.state.simulator.population
    home = population.person(renter.index).address
    subjects = {
        "person": Subject.person(renter.id_number, name=renter.name, selfie_token="selfie-1"),
        "enterprise": Subject.enterprise(salon.enterprise_uscc),
        "address": Subject("address", home),
    }
    served = {(d.code, ds.code): ds.subject for d in DEPARTMENTS.values() for ds in d.datasets}
    assert set(served) == set(records.RECORD_TYPES), "every dataset has its typed record"
    found = 0
    for key, model in records.RECORD_TYPES.items():
        fact = await _read(client, key, subjects[served[key]])
        assert fact.record is None or isinstance(fact.record, model), key
        found += fact.record is not None
    assert found >= len(served) - 8, "most datasets know the renter, the salon or his home"
