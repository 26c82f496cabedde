"""The demo personas' licenses, drawn from the same synthetic world the simulated departments
serve, so that a wallet and a department's answer agree (the hygiene permit's number and last
day are the ones market regulation reports, the deed is the real-estate register's).

Issued through the registry's own issuance path on behalf of each type's department, with a
source record id per persona and type, so that seeding twice issues nothing new. Dates are
relative to today (Asia/Shanghai): the hygiene permit expires in 30 days and the kindergarten
licence in 45, whenever the demo is started.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from app.adapters.simulator.personas import Persona
from app.adapters.simulator.population import Population
from app.adapters.simulator.records import Enterprise, Licence, Person
from app.audit.schemas import AuditContext
from app.certificates import service as certificates
from app.certificates.errors import DuplicateSourceRecord
from app.certificates.schemas import FieldValue, HolderCreate, LicenseCreate
from app.config import Settings
from app.db import Database
from app.kit.clock import SHANGHAI, utcnow

ACTOR = "demo-seed"
_DEGREES = {"bachelor": "学士", "master": "硕士", "doctor": "博士"}
_LEVELS = {"bachelor": "大学本科", "master": "硕士研究生", "doctor": "博士研究生"}


def _person_license(
    persona: Persona,
    person: Person,
    type_code: str,
    fields: dict[str, FieldValue],
    *,
    valid_from: date,
    valid_until: date | None = None,
) -> LicenseCreate:
    return LicenseCreate(
        type=type_code,
        holder=HolderCreate(kind="person", name=person.name, id_number=person.id_number),
        fields=fields,
        valid_from=valid_from,
        valid_until=valid_until,
        source_record_id=f"demo:{persona.key}:{type_code}",
    )


def _enterprise_license(
    persona: Persona,
    firm: Enterprise,
    type_code: str,
    fields: dict[str, FieldValue],
    *,
    valid_from: date,
    valid_until: date | None = None,
) -> LicenseCreate:
    return LicenseCreate(
        type=type_code,
        holder=HolderCreate(kind="enterprise", name=firm.name, uscc=firm.uscc),
        fields={"uscc": firm.uscc, **fields},
        valid_from=valid_from,
        valid_until=valid_until,
        source_record_id=f"demo:{persona.key}:{type_code}",
    )


def _business_license(persona: Persona, firm: Enterprise, representative: str) -> LicenseCreate:
    return _enterprise_license(
        persona,
        firm,
        "business-license",
        {
            "name": firm.name,
            "entity_type": "有限责任公司（自然人投资或控股）",
            "legal_representative": representative,
            "registered_capital": firm.registered_capital / 10_000,  # 万元, as printed
            "established_on": firm.established_on.isoformat(),
            "business_scope": firm.business_scope,
            "address": firm.address,
        },
        valid_from=firm.established_on,
    )


def _permit(
    persona: Persona, firm: Enterprise, type_code: str, licence: Licence, **fields: FieldValue
) -> LicenseCreate:
    return _numbered(
        persona, firm, type_code, (licence.number, licence.issued_on, licence.expires_on), **fields
    )


def _numbered(
    persona: Persona,
    firm: Enterprise,
    type_code: str,
    licence: tuple[str, date, date],
    **fields: FieldValue,
) -> LicenseCreate:
    number, issued_on, expires_on = licence
    return _enterprise_license(
        persona,
        firm,
        type_code,
        {
            "licence_number": number,
            "issued_on": issued_on.isoformat(),
            "valid_until": expires_on.isoformat(),
            **fields,
        },
        valid_from=issued_on,
        valid_until=expires_on,
    )


def _for_enterprise(population: Population, persona: Persona) -> Iterator[LicenseCreate]:
    assert persona.enterprise_uscc is not None
    firm = population.find_enterprise(persona.enterprise_uscc)
    assert firm is not None
    yield _business_license(persona, firm, persona.name)
    licences = {licence.kind: licence for licence in firm.licences}
    if persona.key == "printer":
        issued = firm.established_on + timedelta(days=30)
        number = f"（鲁）印证字{firm.index:07d}号"
        yield _numbered(
            persona, firm, "printing-licence", (number, issued, _years_later(issued, 6)),
            business_scope="包装装潢印刷品印刷；其他印刷品印刷", premises=firm.address,
        )  # fmt: skip
    if "public_place_hygiene" in licences:
        yield _permit(
            persona, firm, "hygiene-permit", licences["public_place_hygiene"],
            business_items="美容美发场所", premises=firm.address,
        )  # fmt: skip
    if "private_school" in licences:
        yield _permit(
            persona, firm, "kindergarten-licence", licences["private_school"],
            principal=persona.name, school_address=firm.address, capacity=180,
        )  # fmt: skip


def _years_later(day: date, years: int) -> date:
    return day.replace(year=day.year + years) - timedelta(days=1)


def _for_person(population: Population, persona: Persona) -> Iterator[LicenseCreate]:
    person = population.person(persona.index)
    for home in person.properties:
        yield _person_license(
            persona, person, "property-certificate",
            {
                "certificate_number": home.certificate_number,
                "unit_number": f"{home.district_code}001001GB{persona.index % 10**5:05d}F00010001",
                "owner": person.name, "location": home.address, "area": home.area_m2,
                "usage": "城镇住宅用地/住宅", "registered_on": home.acquired_on.isoformat(),
            },
            valid_from=home.acquired_on,
        )  # fmt: skip
    education = person.education
    if education.degree in _DEGREES and education.graduation_year is not None:
        graduated = date(education.graduation_year, 6, 30)
        common: dict[str, Any] = {"certificate_number": education.diploma_number or "-"}
        yield _person_license(
            persona, person, "degree-certificate",
            {**common, "degree": f"{education.major or ''}{_DEGREES[education.degree]}",
             "discipline": education.major or "-", "university": education.school or "-",
             "conferred_on": graduated.isoformat()},
            valid_from=graduated,
        )  # fmt: skip
        yield _person_license(
            persona, person, "diploma",
            {**common, "education_level": _LEVELS[education.degree],
             "major": education.major or "-", "school": education.school or "-",
             "graduated_on": graduated.isoformat()},
            valid_from=graduated,
        )  # fmt: skip
    if person.marital_status == "married" and person.spouse_index is not None:
        spouse = population.person(person.spouse_index)
        husband, wife = (person, spouse) if person.sex == "male" else (spouse, person)
        registered = max(husband.birth_date, wife.birth_date).replace(day=1) + timedelta(
            days=25 * 365
        )
        yield _person_license(
            persona, person, "marriage-certificate",
            {"certificate_number": f"J370200-{registered.year}-{persona.index % 10**6:06d}",
             "husband_name": husband.name, "husband_id_number": husband.id_number,
             "wife_name": wife.name, "wife_id_number": wife.id_number,
             "registered_on": registered.isoformat()},
            valid_from=registered,
        )  # fmt: skip
    if persona.key == "renter":
        first = person.birth_date.replace(day=1) + timedelta(days=20 * 365)
        renewed = _years_later(first, 6) + timedelta(days=1)
        yield _person_license(
            persona, person, "driving-licence",
            {"licence_class": "C1", "first_issued_on": first.isoformat(),
             "valid_until": _years_later(renewed, 10).isoformat()},
            valid_from=renewed, valid_until=_years_later(renewed, 10),
        )  # fmt: skip


def demo_licenses(population: Population) -> Iterator[LicenseCreate]:
    """Every demo persona's licenses."""
    for persona in population.personas:
        if persona.enterprise_uscc is not None:
            yield from _for_enterprise(population, persona)
        yield from _for_person(population, persona)


async def seed_demo_licenses(database: Database, settings: Settings) -> int:
    """Issue the personas' licenses that are not issued yet; how many were issued."""
    population = Population(as_of=utcnow().astimezone(SHANGHAI).date())
    issued = 0
    async with database.session() as session:
        for license_ in demo_licenses(population):
            try:
                await certificates.issue_as_system(
                    session,
                    settings,
                    license_,
                    actor_id=ACTOR,
                    audit_context=AuditContext(),
                    notify=False,  # held from before the platform: nobody is told anew
                )
            except DuplicateSourceRecord:
                continue
            issued += 1
    return issued
