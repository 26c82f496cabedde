"""The synthetic population: determinism, valid invertible identifiers, consistent facts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.adapters.simulator.permutation import Permutation
from app.adapters.simulator.population import Population
from app.kit.regions import QINGDAO_DISTRICTS
from app.kit.resident_id import make_resident_id, parse_resident_id
from app.kit.uscc import parse_uscc

SAMPLE = range(0, 100_000, 97)


@pytest.fixture(scope="module")
def population() -> Population:
    return Population()


@pytest.fixture(scope="module")
def big() -> Population:
    return Population(size=2_000_000)


def test_same_seed_same_people_and_different_seed_different(population: Population) -> None:
    again = Population()
    other = Population(seed=7)
    for index in (0, 1, 4242, 99_999):
        assert again.person(index) == population.person(index)
        assert again.enterprise(index % again.enterprise_count) == population.enterprise(
            index % population.enterprise_count
        )
    assert [other.person(i).id_number for i in range(20)] != [
        population.person(i).id_number for i in range(20)
    ]


def test_permutation_is_a_bijection() -> None:
    permutation = Permutation(1, "test", 1000)
    images = [permutation.forward(value) for value in range(1000)]
    assert sorted(images) == list(range(1000))
    assert all(permutation.inverse(permutation.forward(v)) == v for v in range(1000))


def test_ids_are_valid_qingdao_ids_agreeing_with_sex_and_birth(population: Population) -> None:
    for index in SAMPLE:
        person = population.person(index)
        parsed = parse_resident_id(person.id_number)
        assert parsed.region_code in QINGDAO_DISTRICTS
        assert parsed.sex == person.sex
        assert parsed.birth_date == person.birth_date
        assert person.phone.isdigit()
        assert len(person.phone) == 11
        assert person.phone[0] == "1"
        assert 2 <= len(person.name) <= 4


def test_usccs_are_valid_and_round_trip(population: Population) -> None:
    for index in range(0, population.enterprise_count, 13):
        enterprise = population.enterprise(index)
        parsed = parse_uscc(enterprise.uscc)
        assert parsed.region_code == enterprise.district_code
        assert population.find_enterprise(enterprise.uscc) == enterprise
        assert enterprise.name.startswith("青岛")


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=1_999_999))
def test_reverse_lookups_round_trip_on_two_million(big: Population, index: int) -> None:
    person = big.person(index)
    assert person.index == index
    assert big.find_person(person.id_number) == person
    assert big.find_person_by_phone(person.phone) == person


def test_ids_and_phones_are_unique_over_200k(big: Population) -> None:
    codec = big._codec
    indices = range(0, 2_000_000, 10)
    assert len({codec.id_number(i) for i in indices}) == len(indices)
    assert len({codec.phone(i) for i in indices}) == len(indices)


def test_unknown_identifiers_are_not_found(population: Population) -> None:
    big = Population(size=2_000_000, with_personas=False)
    outsider = big.person(100_000)
    assert population.find_person(outsider.id_number) is None
    assert population.find_person_by_phone(outsider.phone) is None
    # Same slot, other sex digit: a valid ID this population never issues.
    parsed = parse_resident_id(population.person(5).id_number)
    twin = make_resident_id(parsed.region_code, parsed.birth_date, parsed.sequence ^ 1)
    assert population.find_person(twin) is None
    assert population.find_person("110101199003071234") is None
    assert population.find_person("not an id") is None
    assert population.find_person_by_phone("12345") is None
    assert population.find_enterprise("91370202MA0000000X") is None


def test_spouses_are_symmetric_adult_and_of_opposite_sex(population: Population) -> None:
    married = 0
    for index in SAMPLE:
        person = population.person(index)
        if person.spouse_index is None:
            assert person.marital_status in ("single", "divorced")
            continue
        married += 1
        spouse = population.person(person.spouse_index)
        assert spouse.spouse_index == index
        assert spouse.sex != person.sex
        assert min(person.age_on(population.as_of), spouse.age_on(population.as_of)) >= 22
        assert spouse.address == person.address
    assert married > len(SAMPLE) // 8


def test_legal_representatives_work_for_their_enterprise(population: Population) -> None:
    for index in range(0, population.enterprise_count, 7):
        enterprise = population.enterprise(index)
        representative = population.person(enterprise.legal_representative)
        assert representative.employer_index == index
        assert representative.alive
        assert population.represented_enterprise(representative.index) == index


def test_facts_agree_across_departments(population: Population) -> None:
    owners = 0
    for index in SAMPLE:
        person = population.person(index)
        assert person.social_insurance.employer_index == person.employer_index
        if person.housing_fund.account_number is not None:
            assert person.housing_fund.employer_index == person.employer_index
        if person.employer_index is not None:
            represented = population.represented_enterprise(index)
            assert represented == person.employer_index or population.enterprise_active(
                person.employer_index
            )
            assert person.alive
        homes = [p for p in person.properties if p.address == person.address]
        owners += bool(homes)
        for home in homes:
            assert home.district_code == person.district_code
            assert QINGDAO_DISTRICTS[person.district_code] in person.address
        if person.death is not None:
            assert person.household.cancelled_on == person.death.cremated_on
            assert person.bus_card_last_use is None or (
                person.bus_card_last_use <= person.death.date_of_death
            )
        if person.education.graduation_year is not None:
            assert person.education.graduation_year <= population.as_of.year
        if person.pension.receiving:
            assert person.pension.start_date is not None
            assert person.pension.start_date <= population.as_of
    assert owners > 0


def test_utilities_are_keyed_by_address(population: Population) -> None:
    spouses_sharing = [
        population.person(i)
        for i in SAMPLE
        if population.person(i).spouse_index is not None and population.person(i).properties
    ]
    person = spouses_sharing[0]
    home = next(p for p in person.properties if p.address == person.address)
    again = Population().person(person.index)
    assert again.properties[0].utilities == home.utilities
    assert home.utilities.water != home.utilities.power


def test_as_of_moves_relative_dates() -> None:
    later = Population(as_of=Population().as_of + timedelta(days=365), with_personas=False)
    assert later.person(3).id_number == Population().person(3).id_number
