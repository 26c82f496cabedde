"""A synthetic population computed on demand from (seed, index); identifiers invert to indices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from app.adapters.simulator import facts
from app.adapters.simulator.draw import Draw
from app.adapters.simulator.enterprises import build_enterprise
from app.adapters.simulator.identity import ID_CAPACITY, IdentityCodec, is_male_index
from app.adapters.simulator.names import (
    FEMALE_GIVEN,
    MALE_GIVEN,
    OTHER_REGIONS,
    SHARED_GIVEN,
    SURNAME_CUMULATIVE,
    SURNAMES,
)
from app.adapters.simulator.records import (
    Death,
    Enterprise,
    Household,
    MaritalStatus,
    MedicalInsurance,
    Pension,
    Person,
)
from app.kit.regions import QINGDAO_DISTRICTS

DEFAULT_SEED = 20201123
DEFAULT_SIZE = 100_000
REFERENCE_DATE = date(2026, 11, 23)
PEOPLE_PER_ENTERPRISE = 20
FUND_ACCOUNT_PREFIX = "37020"
_REP_AGES = range(25, 55)
_DISTRICTS = tuple(QINGDAO_DISTRICTS)
_FUNERAL_HOMES = ("青岛市殡仪馆", "黄岛区殡仪馆", "即墨区殡仪馆", "胶州市殡仪馆")

Overrides = Mapping[int, Mapping[str, Any]]


def age_on(birth: date, day: date) -> int:
    """Age in whole years on a given day."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def anniversary(birth: date, years: int) -> date:
    """The date a given number of years after birth (28 February for 29 February births)."""
    return date(birth.year + years, birth.month, min(birth.day, 28 if birth.month == 2 else 31))


def retirement_age(index: int) -> int:
    """Statutory retirement age, simplified: 60 for men, 55 for women."""
    return 60 if is_male_index(index) else 55


RECENT_PEOPLE = 16_384


class Population:
    """Deterministic people and enterprises; facts as of `as_of`, personas overriding a few."""

    def __init__(
        self,
        seed: int = DEFAULT_SEED,
        size: int = DEFAULT_SIZE,
        *,
        as_of: date = REFERENCE_DATE,
        with_personas: bool = True,
    ) -> None:
        if not PEOPLE_PER_ENTERPRISE * 10 <= size <= ID_CAPACITY:
            raise ValueError(f"size must be within 200..{ID_CAPACITY}")
        self.seed = seed
        self.size = size
        self.as_of = as_of
        self.enterprise_count = size // PEOPLE_PER_ENTERPRISE
        self._codec = IdentityCodec(seed)
        self._person_overrides: Overrides = {}
        self._enterprise_overrides: Overrides = {}
        self.personas: tuple[Any, ...] = ()
        # Recently asked-for people (immutable); None until the persona overrides are final.
        self._recent_people: dict[int, Person] | None = None
        if with_personas:
            # Personas are chosen by looking at computed people, so that module imports this one.
            from app.adapters.simulator.personas import build_personas

            self.personas, self._person_overrides, self._enterprise_overrides = build_personas(self)
        self._recent_people = {}

    # --- reverse lookups -------------------------------------------------------------------

    def find_person(self, id_number: str) -> Person | None:
        """Return the person with this resident ID number, or None."""
        index = self._codec.index_of_id(id_number)
        return None if index is None or index >= self.size else self.person(index)

    def person_by_fund_account(self, account_number: str) -> Person | None:
        """Return the holder of a housing-fund account (numbered "37020" + index), or None."""
        digits = account_number.strip()
        if len(digits) != 15 or not digits.startswith(FUND_ACCOUNT_PREFIX) or not digits.isdigit():
            return None
        index = int(digits[len(FUND_ACCOUNT_PREFIX) :])
        if index >= self.size:
            return None
        person = self.person(index)
        return person if person.housing_fund.account_number == digits else None

    def find_person_by_phone(self, phone: str) -> Person | None:
        """Return the person with this mobile number, or None."""
        index = self._codec.index_of_phone(phone)
        return None if index is None or index >= self.size else self.person(index)

    def find_enterprise(self, uscc: str) -> Enterprise | None:
        """Return the enterprise with this unified social credit code, or None."""
        index = self._codec.index_of_uscc(uscc)
        if index is None or index >= self.enterprise_count:
            return None
        enterprise = self.enterprise(index)
        return enterprise if enterprise.uscc == uscc.strip().upper() else None

    # --- enterprises -----------------------------------------------------------------------

    def legal_representative(self, enterprise: int) -> int:
        """The person index of an enterprise's legal representative (a working-age adult)."""
        first = PEOPLE_PER_ENTERPRISE * enterprise
        offset = Draw(self.seed, "representative", enterprise).below(PEOPLE_PER_ENTERPRISE)
        for step in range(PEOPLE_PER_ENTERPRISE):
            candidate = first + (offset + step) % PEOPLE_PER_ENTERPRISE
            if age_on(self._codec.birth_date(candidate), self.as_of) in _REP_AGES:
                return candidate
        return first + offset

    def authorised_agent(self, enterprise: int) -> int:
        """The person index of the enterprise's authorised agent (经办人, may act for it online).

        The next working-age adult of its block after the legal representative.
        """
        first = PEOPLE_PER_ENTERPRISE * enterprise
        offset = self.legal_representative(enterprise) - first
        for step in range(1, PEOPLE_PER_ENTERPRISE):
            candidate = first + (offset + step) % PEOPLE_PER_ENTERPRISE
            if age_on(self._codec.birth_date(candidate), self.as_of) in _REP_AGES:
                return candidate
        return first + (offset + 1) % PEOPLE_PER_ENTERPRISE

    def represented_enterprise(self, index: int) -> int | None:
        """The enterprise this person is the legal representative of, if any."""
        enterprise = index // PEOPLE_PER_ENTERPRISE
        if enterprise >= self.enterprise_count:
            return None
        if age_on(self._codec.birth_date(index), self.as_of) not in _REP_AGES:
            return None
        return enterprise if self.legal_representative(enterprise) == index else None

    def enterprise_active(self, enterprise: int) -> bool:
        """Whether the enterprise is 存续 (operating)."""
        override = self._enterprise_overrides.get(enterprise, {}).get("status")
        if override is not None:
            return bool(override == "存续")
        return Draw(self.seed, "enterprise-status", enterprise).below(100) < 90

    def enterprise(self, index: int) -> Enterprise:
        """Return enterprise `index` (0 <= index < enterprise_count)."""
        if not 0 <= index < self.enterprise_count:
            raise IndexError("enterprise index out of range")
        enterprise = build_enterprise(self, self._codec, index)
        overrides = self._enterprise_overrides.get(index)
        return replace(enterprise, **overrides) if overrides else enterprise

    # --- people ----------------------------------------------------------------------------

    def may_draw_pension(self, index: int) -> bool:
        """Whether person `index` can be a pension recipient, without computing the person: of
        retirement age by now, or a persona (whose facts are overridden). The pension system's
        roster pages through the population with it (a full person costs ~100 µs)."""
        if index in self._person_overrides:
            return True
        return age_on(self._codec.birth_date(index), self.as_of) >= retirement_age(index)

    def _death(self, index: int, birth: date) -> Death | None:
        if self.represented_enterprise(index) is not None:
            return None
        age = age_on(birth, self.as_of)
        draw = Draw(self.seed, "vital", index)
        if age < 60 or not draw.chance(0.02 + (age - 60) * 0.004):
            return None
        died = max(draw.days_before(self.as_of, 5 * 365), anniversary(birth, 60))
        cremated = died + timedelta(days=2 + draw.below(4))
        return Death(died, cremated, draw.pick(_FUNERAL_HOMES))

    def _married(self, index: int, birth: date) -> bool:
        partner = index ^ 1
        if partner >= self.size or not Draw(self.seed, "couple", index // 2).chance(0.75):
            return False
        partner_birth = self._codec.birth_date(partner)
        return (
            min(age_on(birth, self.as_of), age_on(partner_birth, self.as_of)) >= 22
            and abs(birth.toordinal() - partner_birth.toordinal()) <= 10 * 365
        )

    def _employer(self, draw: Draw, index: int, age: int, alive: bool) -> int | None:
        represented = self.represented_enterprise(index)
        if represented is not None:
            return represented
        if not alive or age >= retirement_age(index) or not draw.chance(0.72):
            return None
        enterprise = draw.below(self.enterprise_count)
        for step in range(self.enterprise_count):
            candidate = (enterprise + step) % self.enterprise_count
            if self.enterprise_active(candidate):
                return candidate
        return None

    def person(self, index: int) -> Person:
        """Return person `index` (0 <= index < size), with any persona overrides applied."""
        recent = self._recent_people
        if recent is not None and (cached := recent.get(index)) is not None:
            return cached
        person = self.computed_person(index)
        overrides = self._person_overrides.get(index)
        if overrides:
            person = replace(person, **overrides)
        if recent is not None:
            # A gathering asks several departments about the same person at once, and each
            # computes the person (~100 µs); keep the most recent ones, oldest out first.
            if len(recent) >= RECENT_PEOPLE:
                del recent[next(iter(recent))]
            recent[index] = person
        return person

    def computed_person(self, index: int) -> Person:
        """Return person `index` exactly as computed from the seed, without overrides."""
        if not 0 <= index < self.size:
            raise IndexError("person index out of range")
        district, birth, _sequence = self._codec.identity(index)
        male = is_male_index(index)
        age = age_on(birth, self.as_of)
        draw = Draw(self.seed, "person", index)
        death = self._death(index, birth)

        married = self._married(index, birth)
        marital: MaritalStatus
        if married:
            partner_death = self._death(index ^ 1, self._codec.birth_date(index ^ 1))
            marital = "widowed" if partner_death is not None and death is None else "married"
        elif age < 28 or draw.chance(0.7):
            marital = "single"
        else:
            marital = "divorced"

        # A married couple shares one dwelling, keyed by the couple; owned by one of them.
        home_key = f"couple-{index // 2}" if married else f"person-{index}"
        home = Draw(self.seed, "home", home_key)
        if married:
            residence = home.pick(_DISTRICTS)
            owns_home = home.chance(0.65) and (home.below(2) == 0) == male
        else:
            residence = district if home.chance(0.7) else home.pick(_DISTRICTS)
            owns_home = home.chance(0.05 if age < 25 else 0.35 if age < 35 else 0.6)
        properties = []
        if owns_home:
            properties.append(facts.dwelling_property(self.seed, home_key, residence, self.as_of))
        if age >= 30 and draw.chance(0.05):
            extra = draw.pick(_DISTRICTS)
            key = f"investment-{index}"
            properties.append(facts.dwelling_property(self.seed, key, extra, self.as_of))

        if draw.chance(0.75):
            household = Household(
                True, district, "山东省青岛市" + QINGDAO_DISTRICTS[district], None
            )
        else:
            region, place = draw.pick(OTHER_REGIONS)
            household = Household(False, region, place, None)
        if death is not None:
            household = replace(household, cancelled_on=death.cremated_on)

        alive = death is None
        last_day = self.as_of if death is None else death.date_of_death
        retired = age_on(birth, last_day) >= retirement_age(index)
        employer = self._employer(draw, index, age, alive)
        insurance = facts.social_insurance(draw, employer, age, retired)
        pension = Pension(False, None, 0)
        if retired and draw.chance(0.92):
            start = anniversary(birth, retirement_age(index))
            pension = Pension(True, start, 100 * (25 + draw.below(35)))
        signals = 0.85 if pension.receiving else 0.6
        enrolled = draw.chance(0.95)
        recent = draw.chance(signals)
        claim = draw.days_before(last_day, 90 if recent else 900) if enrolled else None
        bus = draw.days_before(last_day, 30) if draw.chance(signals) else None

        surname = draw.weighted(SURNAMES, SURNAME_CUMULATIVE)
        pool = (MALE_GIVEN if male else FEMALE_GIVEN) + SHARED_GIVEN
        given = draw.pick(pool) + (draw.pick(pool) if draw.chance(0.7) else "")
        return Person(
            index=index,
            id_number=self._codec.id_number(index),
            name=surname + given,
            sex="male" if male else "female",
            birth_date=birth,
            phone=self._codec.phone(index),
            district_code=residence,
            address=facts.address(self.seed, home_key, residence),
            household=household,
            death=death,
            marital_status=marital,
            spouse_index=index ^ 1 if married else None,
            employer_index=employer,
            education=facts.education(draw, birth, age),
            social_insurance=insurance,
            housing_fund=facts.housing_fund(draw, index, insurance, owns_home, self.as_of),
            properties=tuple(properties),
            pension=pension,
            medical_insurance=MedicalInsurance(enrolled, claim),
            bus_card_last_use=bus,
            court_defaulter=draw.chance(0.008),
            criminal_record=draw.chance(0.005),
        )
