"""Prefill: a service's form filled from what the platform already knows (DESIGN §2, principle 3).

Identity fields come from the real-name verified account (name and ID number as public security
vouched for them, the phone as the account's SMS login proved it) and are locked: the applicant
cannot change them, and `check_locked_fields` refuses a submission that does. Acting for an
enterprise, its credit code is locked too (the act-as check proved who may use it) and the
signed-in person is its contact. Every other field is filled as data/field_sources.yaml says:
from a department's record (the applicant's, the enterprise's, the employer's), the registry,
the platform's calendar, as a choice among verified options — or it is the applicant's own
choice or a declaration no department holds, with the reason. Every read names the purpose
`prefill:<service>` and is logged for the citizen. Each material says what stands in for it: a
license in the registry, a department's record (data/material_sources.yaml), or the verified
identity; only what nothing holds is uploaded.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import service as exchange
from app.adapters.client import Fact, Subject
from app.adapters.records import DatasetRecord, EnterpriseRegistration
from app.adapters.service import Actor, DatasetKey, FactResult
from app.auth import service as auth
from app.auth.principals import Citizen, Principal
from app.auth.schemas import MeRead, VerifiedAttribute, VerifiedPerson
from app.config import Settings
from app.services.applications import field_sources, material_sources
from app.services.applications.deadlines import today
from app.services.applications.errors import InvalidApplication, NotAnApplicant
from app.services.applications.facts_enterprise import REGISTRATION
from app.services.applications.materials import (
    Holder,
    identity_stands_in,
    registry_license,
    registry_license_read,
)
from app.services.applications.schemas_prefill import (
    MaterialSatisfaction,
    PrefilledField,
    PrefilledMaterial,
    PrefillOption,
    PrefillRead,
)
from app.services.catalog import service as catalog
from app.services.catalog.schemas import ServiceDetail

EMPLOYMENT: DatasetKey = ("rsj", "employment-registration")
# (whose record, "dept/dataset") → the record and as of when the department vouched for it.
Records = dict[tuple[field_sources.Subject, str], tuple[DatasetRecord, datetime]]

# Which form fields carry which verified attribute. A person applying for themselves (or
# founding an enterprise) is the applicant and its legal representative; acting for an
# enterprise, the enterprise is the applicant and the person its contact (经办人).
_PERSON_LOCKS: Mapping[str, str] = {
    "applicant_name": "name",
    "legal_representative": "name",
    "id_number": "id_number",
    "legal_representative_id": "id_number",
    "certificate_number": "id_number",  # 身份证号或统一社会信用代码 of any-audience forms
    "phone": "phone",
}
_ENTERPRISE_LOCKS: Mapping[str, str] = {
    "uscc": "uscc",
    "certificate_number": "uscc",
    "contact_name": "name",
    "phone": "phone",
}
# Editable fields read from the enterprise's registration, acting for it.
_REGISTRATION_FIELDS = ("unit_name", "applicant_name", "legal_representative")


@dataclass(frozen=True, slots=True)
class Identity:
    """Who applies, as the platform verified it: the values locked fields must carry."""

    name: str | None
    id_number: str | None = field(repr=False)
    phone: str | None = field(repr=False)
    uscc: str | None = None

    @classmethod
    def of(cls, person: VerifiedPerson, uscc: str | None, *, phone: str | None) -> Identity:
        """The identity of a verified applicant, for themselves or for an enterprise."""
        return cls(name=person.name, id_number=person.id_number, phone=phone, uscc=uscc)

    def attribute(self, name: str) -> str | None:
        """One verified attribute by name: name, id_number, phone or uscc."""
        value: str | None = getattr(self, name)
        return value

    def locks(self, service_code: str | None = None) -> Mapping[str, str]:
        """Form field → the attribute it must carry, in `service_code`'s form.

        The locks go by field name, which means the applicant's own attribute in most forms;
        a service that declares its own source for such a field (data/field_sources.yaml: the
        transfer registration's `certificate_number` is the property certificate's number and
        its `phone` the buyer's) means something else by it, and the field is not locked."""
        locks = _PERSON_LOCKS if self.uscc is None else _ENTERPRISE_LOCKS
        if service_code is None:
            return locks
        own = field_sources.declared_by(service_code)
        kept = {
            name: attr
            for name, attr in locks.items()
            if name not in own or any(source.identity == attr for source in own[name])
        }
        # And a field the service fills from the verified identity under its own name (the
        # transfer registration's `seller_id_number`) is locked like the usual names are.
        for name, sources in own.items():
            for source in sources:
                if source.identity in ("name", "id_number") and self.uscc is None:
                    kept.setdefault(name, source.identity)
        return kept

    def locked(self, service_code: str | None = None) -> dict[str, str]:
        """Form field → the value it must carry (fields whose attribute is unknown are free)."""
        values = {name: self.attribute(attr) for name, attr in self.locks(service_code).items()}
        return {name: value for name, value in values.items() if value is not None}


def _same(given: Any, verified: str) -> bool:
    # ID numbers and credit codes compare upper-case (the check character may be written "x").
    return isinstance(given, str) and given.strip().upper() == verified.strip().upper()


def check_locked_fields(
    identity: Identity, form: Mapping[str, Any], service_code: str | None = None
) -> None:
    """InvalidApplication (422) naming each submitted locked field of `service_code`'s form
    that differs from the verified value; the values are never echoed (personal data)."""
    changed = [
        name
        for name, verified in identity.locked(service_code).items()
        if name in form and not _same(form[name], verified)
    ]
    if changed:
        raise InvalidApplication(
            "经实名核验的信息不可修改",
            "government-verified fields cannot be changed",
            extra={
                "invalid_params": [
                    {"name": f"body.form.{name}", "reason": "locked"} for name in changed
                ]
            },
        )


async def prefill(
    session: AsyncSession, settings: Settings, principal: Principal, service_code: str
) -> PrefillRead:
    """The service's form with the values the platform knows, each with its provenance;
    ServiceNotFound (404) for an unknown service, NotAnApplicant (403) for staff and clients."""
    if principal.kind != "person":
        raise NotAnApplicant("办件须由群众本人或代表企业的经办人提交", "only people apply")
    account_id, uscc = uuid.UUID(principal.id), principal.enterprise
    me = await auth.me(session, settings, Citizen(account_id, principal))
    return await _prefill(
        session, settings, me, account_id, uscc, service_code, Actor("person", str(account_id))
    )


async def prefill_on_behalf(
    session: AsyncSession,
    settings: Settings,
    account_id: uuid.UUID,
    service_code: str,
    *,
    actor: Actor,
) -> PrefillRead:
    """The service's form as it is prefilled for the person, opened by `actor` (a counter
    clerk who verified the person's city code): the same form, and every department read it
    makes is logged for the person under the clerk's name. For the person themselves, never
    an enterprise they may act for."""
    me = await auth.person_profile(session, settings, account_id)
    return await _prefill(session, settings, me, account_id, None, service_code, actor)


async def _prefill(
    session: AsyncSession,
    settings: Settings,
    me: MeRead,
    account_id: uuid.UUID,
    uscc: str | None,
    service_code: str,
    actor: Actor,
) -> PrefillRead:
    service = await catalog.get_service(session, service_code)
    attributes = {attribute.name: attribute for attribute in me.attributes}
    identity = Identity(
        name=_value(attributes.get("name")),
        id_number=_value(attributes.get("id_number")),
        phone=_value(attributes.get("phone")),
        uscc=uscc,
    )
    properties: Mapping[str, Any] = service.form_schema.get("properties", {})
    holder = (
        Holder(uscc=uscc)
        if uscc is not None
        else Holder(id_index=await auth.id_number_index(session, account_id))
    )
    records = await _gather(session, settings, actor, identity, service, list(properties))
    provenance: dict[str, tuple[str | None, datetime | None]] = {
        name: (attribute.source, attribute.as_of) for name, attribute in attributes.items()
    }
    if uscc is not None:
        registration = records.get(("enterprise", _source(REGISTRATION)))
        provenance["uscc"] = (_source(REGISTRATION), registration[1] if registration else None)
    known = field_sources.Known(
        records=records,
        licenses=await _licenses(session, holder, service.code, list(properties)),
        identity={"name": identity.name, "phone": identity.phone, "id_number": identity.id_number},
        today=today(),
        identity_source=lambda name: provenance.get(name, (None, None)),
    )
    locks = identity.locks(service.code)
    followers = field_sources.followers(service.code, list(properties))
    fields = []
    for name, spec in properties.items():
        label = str(spec.get("title", name)) if isinstance(spec, Mapping) else name
        attribute = locks.get(name)
        value = identity.attribute(attribute) if attribute is not None else None
        if attribute is not None and value is not None:
            source, as_of = provenance.get(attribute, (None, None))
            fields.append(PrefilledField(name=name, label=label, value=value, source=source,
                                         as_of=as_of, editable=False, fill="verified"))  # fmt: skip
            continue
        fields.append(_field(name, label, _registration_value(name, records, identity), known,
                             service.code, followers.get(name, {})))  # fmt: skip
    level = int(me.realname_level.removeprefix("L"))
    verified = provenance.get("id_number", (None, None))
    materials = await _materials(session, holder, level, verified, service, records)
    return PrefillRead(service_code=service.code, fields=fields, materials=materials)


def _field(
    name: str,
    label: str,
    registered: field_sources.Filled | None,
    known: field_sources.Known,
    service_code: str,
    followers: Mapping[str, field_sources.FieldSource],
) -> PrefilledField:
    filled = registered or field_sources.resolve(
        field_sources.sources_of(service_code, name), known
    )
    options = [
        PrefillOption(value=o.value, label=o.label, source=o.source,
                      fills=field_sources.fills(o, followers) if followers else None)
        for o in filled.options
    ]  # fmt: skip
    if filled.value is not None:
        return PrefilledField(name=name, label=label, value=filled.value, source=filled.source,
                              as_of=filled.as_of, editable=True, fill="verified",
                              options=options or None)  # fmt: skip
    if options:
        return PrefilledField(name=name, label=label, editable=True, fill="options",
                              options=options)  # fmt: skip
    if filled.choice is not None:
        return PrefilledField(name=name, label=label, editable=True, fill="choice",
                              note=filled.choice)  # fmt: skip
    if filled.declared is not None:
        return PrefilledField(name=name, label=label, editable=True, fill="declared",
                              note=filled.declared)  # fmt: skip
    return PrefilledField(name=name, label=label, editable=True)


def _registration_value(
    name: str, records: Records, identity: Identity
) -> field_sources.Filled | None:
    """The enterprise's name and representative from its registration, acting for it."""
    found = records.get(("enterprise", _source(REGISTRATION)))
    if found is None or name not in _REGISTRATION_FIELDS:
        return None
    record, as_of = found
    # Only the registration of the enterprise acted for (the subject asked about).
    if not isinstance(record, EnterpriseRegistration) or identity.uscc is None:
        return None
    if not _same(record.uscc, identity.uscc):
        return None
    value = record.legal_representative_name if name == "legal_representative" else record.name
    return field_sources.Filled(value, _source(REGISTRATION), as_of)


def _value(attribute: VerifiedAttribute | None) -> str | None:
    return None if attribute is None else attribute.value


def _source(key: DatasetKey) -> str:
    return f"{key[0]}/{key[1]}"


async def _gather(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    identity: Identity,
    service: ServiceDetail,
    field_names: list[str],
) -> Records:
    """The department records the form's fields and materials can be read from, and only
    those: (subject, "dept/dataset") → (record, as of)."""
    needed = field_sources.datasets_for(service.code, field_names)
    for material in service.materials:
        for source in material_sources.of(material.code):
            needed.setdefault(source.subject, set()).add(source.dataset)
    if identity.uscc is not None and any(
        name in field_names for name in (*_REGISTRATION_FIELDS, "uscc")
    ):
        needed.setdefault("enterprise", set()).add(_source(REGISTRATION))
    if "employer" in needed:
        needed.setdefault("person", set()).add(_source(EMPLOYMENT))
    common: dict[str, Any] = {
        "purpose": f"prefill:{service.code}",
        "actor": actor,
        "deadline_seconds": settings.approval_deadline_seconds,
    }
    subjects: dict[str, Subject | None] = {
        "person": None
        if identity.uscc is not None or identity.id_number is None
        else Subject.person(identity.id_number, name=identity.name or ""),
        "enterprise": None if identity.uscc is None else Subject.enterprise(identity.uscc),
    }
    if identity.uscc is not None and identity.id_number is not None:
        # Acting for an enterprise, the person's own records fill the contact's fields only.
        subjects["person"] = Subject.person(identity.id_number, name=identity.name or "")
    records: Records = {}
    kinds: tuple[field_sources.Subject, ...] = ("person", "enterprise")
    for kind in kinds:
        subject = subjects[kind]
        if subject is None or not needed.get(kind):
            continue
        keys = [_key(name) for name in sorted(needed[kind])]
        found = await exchange.gather_facts(session, subject, keys, **common)
        records |= _found(kind, found)
    employment = records.get(("person", _source(EMPLOYMENT)))
    employer = getattr(employment[0], "employer_uscc", None) if employment else None
    if needed.get("employer") and employer:
        keys = [_key(name) for name in sorted(needed["employer"])]
        found = await exchange.gather_facts(session, Subject.enterprise(employer), keys, **common)
        records |= _found("employer", found)
    return records


def _key(name: str) -> DatasetKey:
    department, _, dataset = name.partition("/")
    return department, dataset


def _found(kind: field_sources.Subject, gathered: Mapping[DatasetKey, FactResult]) -> Records:
    return {
        (kind, _source(key)): (fact.record, fact.as_of)
        for key, fact in gathered.items()
        if isinstance(fact, Fact) and fact.found and isinstance(fact.record, DatasetRecord)
    }


async def _licenses(
    session: AsyncSession, holder: Holder, service_code: str, field_names: list[str]
) -> dict[str, tuple[Mapping[str, Any], datetime | None]]:
    """The applicant's valid registry licenses the form's fields are filled from, by type."""
    types = {
        source.license
        for name in field_names
        for source in field_sources.sources_of(service_code, name)
        if source.license is not None
    }
    held: dict[str, tuple[Mapping[str, Any], datetime | None]] = {}
    for type_code in sorted(types):
        license_ = await registry_license_read(session, holder, type_code)
        if license_ is not None:
            held[type_code] = (license_.fields, license_.updated_at)
    return held


async def _materials(
    session: AsyncSession,
    holder: Holder,
    realname_level: int,
    verified: tuple[str | None, datetime | None],
    service: ServiceDetail,
    records: Records,
) -> list[PrefilledMaterial]:
    """Each material and what stands in for it, in the order submission tries: the holder's
    valid registry license, a department's record that shows the same, the verified identity
    (an ID card of a person at L2 and above: where and when it was verified); None: an
    upload."""
    answer = []
    for material in service.materials:
        satisfied_by: MaterialSatisfaction | None = None
        license_no = (
            await registry_license(session, holder, material.license_type)
            if material.license_type is not None
            else None
        )
        if license_no is not None:
            satisfied_by = MaterialSatisfaction(kind="license", ref=license_no)
        else:
            for source in material_sources.of(material.code):
                found = records.get((source.subject, source.dataset))
                if found is not None and source.shows(found[0]):
                    satisfied_by = MaterialSatisfaction(
                        kind="dataset", ref=source.dataset, as_of=found[1]
                    )
                    break
        if satisfied_by is None and identity_stands_in(material, holder, realname_level):
            satisfied_by = MaterialSatisfaction(kind="identity", ref=verified[0], as_of=verified[1])
        note = material_sources.why_uploaded(material.code) if satisfied_by is None else None
        answer.append(
            PrefilledMaterial(
                code=material.code, name=material.name, required=material.required,
                satisfied_by=satisfied_by, note=note,
            )
        )  # fmt: skip
    return answer
