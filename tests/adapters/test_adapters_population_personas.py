"""Demo personas: each one's facts make its scenario true."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.adapters.simulator.personas import DEMO_PASSWORD, personas_json
from app.adapters.simulator.population import Population
from app.adapters.simulator.records import DEGREE_RANK, Person


@pytest.fixture(scope="module")
def population() -> Population:
    return Population()


def _persona(population: Population, key: str) -> Person:
    persona = next(p for p in population.personas if p.key == key)
    person = population.find_person_by_phone(persona.login)
    assert person is not None
    assert person == population.find_person(persona.id_number)
    assert person.name == persona.name
    return person


def test_at_least_twelve_distinct_personas_in_json(population: Population) -> None:
    items = personas_json(population)
    assert len(items) >= 12
    assert len({item["login"] for item in items}) == len(items)
    assert all(item["password"] == DEMO_PASSWORD and item["scenarios"] for item in items)
    assert personas_json(Population()) == items


def _rent_eligible(person: Person) -> bool:
    fund = person.housing_fund
    return (
        not person.properties
        and person.employer_index is not None
        and fund.account_number is not None
        and fund.consecutive_months >= 3
        and fund.last_withdrawal is None
    )


def test_housing_fund_rent_personas(population: Population) -> None:
    renter = _persona(population, "renter")
    assert _rent_eligible(renter)
    assert renter.housing_fund.employer_index == renter.social_insurance.employer_index
    owner = _persona(population, "flat_owner")
    assert owner.properties
    assert owner.properties[0].address == owner.address
    assert not _rent_eligible(owner)


def test_talent_settlement_persona(population: Population) -> None:
    talent = _persona(population, "talent")
    assert DEGREE_RANK[talent.education.degree] >= DEGREE_RANK["bachelor"]
    assert talent.social_insurance.enrolled
    assert talent.social_insurance.consecutive_months > 0
    assert not talent.household.registered_in_qingdao
    assert talent.age_on(population.as_of) < 45


@pytest.mark.parametrize(
    ("key", "industry", "licence", "days"),
    [
        ("printer", "印刷", None, None),
        ("hygiene", "美容美发", "public_place_hygiene", 30),
        ("kindergarten", "学前教育", "private_school", 45),
    ],
)
def test_enterprise_personas(
    population: Population, key: str, industry: str, licence: str | None, days: int | None
) -> None:
    person = _persona(population, key)
    persona = next(p for p in population.personas if p.key == key)
    assert persona.enterprise_uscc is not None
    enterprise = population.find_enterprise(persona.enterprise_uscc)
    assert enterprise is not None
    assert enterprise.legal_representative == person.index
    assert person.employer_index == enterprise.index
    assert enterprise.industry == industry
    assert enterprise.status == "存续"
    if licence is not None and days is not None:
        (held,) = enterprise.licences
        assert held.kind == licence
        assert held.expires_on == population.as_of + timedelta(days=days)


def test_hygiene_permit_follows_the_reference_date() -> None:
    later = Population(as_of=Population().as_of + timedelta(days=10))
    persona = next(p for p in later.personas if p.key == "hygiene")
    assert persona.enterprise_uscc is not None
    enterprise = later.find_enterprise(persona.enterprise_uscc)
    assert enterprise is not None
    assert enterprise.licences[0].expires_on == later.as_of + timedelta(days=30)


def test_pensioner_personas(population: Population) -> None:
    active = _persona(population, "active_pensioner")
    assert active.alive
    assert active.pension.receiving
    assert active.medical_insurance.last_claim is not None
    assert active.medical_insurance.last_claim >= population.as_of - timedelta(days=30)
    assert active.bus_card_last_use is not None
    silent = _persona(population, "silent_pensioner")
    assert silent.alive
    assert silent.pension.receiving
    assert silent.medical_insurance.last_claim is None
    assert silent.bus_card_last_use is None
    deceased = _persona(population, "deceased_pensioner")
    assert deceased.death is not None
    assert not deceased.alive
    assert deceased.pension.receiving
    assert deceased.household.cancelled_on == deceased.death.cremated_on


def test_second_hand_flat_personas(population: Population) -> None:
    seller = _persona(population, "seller")
    (flat,) = seller.properties
    assert flat.address == seller.address
    assert flat.utilities.water
    buyer = _persona(population, "buyer")
    assert buyer.properties == ()
    assert buyer.housing_fund.account_number is not None


def test_court_and_criminal_personas(population: Population) -> None:
    assert _persona(population, "defaulter").court_defaulter
    assert _persona(population, "criminal_record").criminal_record
    assert not _persona(population, "renter").court_defaulter


def test_personas_are_not_married_so_overrides_keep_couples_consistent(
    population: Population,
) -> None:
    for persona in population.personas:
        person = population.person(persona.index)
        assert (
            person.spouse_index is None
            or population.person(person.spouse_index).spouse_index == person.index
        )
