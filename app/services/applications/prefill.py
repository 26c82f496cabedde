"""Prefill: a service's form filled from what the platform already knows (DESIGN §2, principle 3).

Identity fields come from the real-name verified account (name and ID number as public security
vouched for them, the phone as the account's SMS login proved it) and are locked: the applicant
cannot change them, and `check_locked_fields` refuses a submission that does. Acting for an
enterprise, its credit code is locked too (the act-as check proved who may use it) and the
signed-in person is its contact. A few fields are read from department data, cheaply and with an
unambiguous mapping — the housing-fund account number (gjj/fund-account), the enterprise's name
and legal representative (scjg/enterprise-registration) — each with its source and time; they
stay editable because submission does not read the departments again. Every read names the
purpose `prefill:<service>` and is logged for the citizen. Materials a registry license
stands in for are answered with that license, so nothing needs uploading.
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
from app.adapters.records import EnterpriseRegistration, FundAccount
from app.adapters.service import Actor, DatasetKey, FactResult
from app.auth import service as auth
from app.auth.principals import Citizen, Principal
from app.auth.schemas import VerifiedAttribute, VerifiedPerson
from app.config import Settings
from app.services.applications.errors import InvalidApplication, NotAnApplicant
from app.services.applications.facts_enterprise import REGISTRATION
from app.services.applications.materials import Holder, registry_license
from app.services.applications.schemas_prefill import (
    LicenseSatisfaction,
    PrefilledField,
    PrefilledMaterial,
    PrefillRead,
)
from app.services.catalog import service as catalog
from app.services.catalog.schemas import MaterialRead

FUND_ACCOUNT: DatasetKey = ("gjj", "fund-account")

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

    def locks(self) -> Mapping[str, str]:
        """Form field → the attribute it must carry."""
        return _PERSON_LOCKS if self.uscc is None else _ENTERPRISE_LOCKS

    def locked(self) -> dict[str, str]:
        """Form field → the value it must carry (fields whose attribute is unknown are free)."""
        values = {name: self.attribute(attr) for name, attr in self.locks().items()}
        return {name: value for name, value in values.items() if value is not None}


def _same(given: Any, verified: str) -> bool:
    # ID numbers and credit codes compare upper-case (the check character may be written "x").
    return isinstance(given, str) and given.strip().upper() == verified.strip().upper()


def check_locked_fields(identity: Identity, form: Mapping[str, Any]) -> None:
    """InvalidApplication (422) naming each submitted locked field that differs from the
    verified value; the values are never echoed (they are personal data)."""
    changed = [
        name
        for name, verified in identity.locked().items()
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
    service = await catalog.get_service(session, service_code)
    me = await auth.me(session, settings, Citizen(account_id, principal))
    attributes = {attribute.name: attribute for attribute in me.attributes}
    identity = Identity(
        name=_value(attributes.get("name")),
        id_number=_value(attributes.get("id_number")),
        phone=_value(attributes.get("phone")),
        uscc=uscc,
    )
    properties: Mapping[str, Any] = service.form_schema.get("properties", {})
    gathered = await _gather(session, settings, account_id, identity, service.code, properties)
    registration = gathered.get(REGISTRATION)
    provenance: dict[str, tuple[str | None, datetime | None]] = {
        name: (attribute.source, attribute.as_of) for name, attribute in attributes.items()
    }
    if uscc is not None:
        as_of = registration.as_of if isinstance(registration, Fact) else None
        provenance["uscc"] = (_source(REGISTRATION), as_of)
    known = _department_values(gathered, identity)
    locks = identity.locks()
    fields = []
    for name, spec in properties.items():
        label = str(spec.get("title", name)) if isinstance(spec, Mapping) else name
        attribute = locks.get(name)
        value = identity.attribute(attribute) if attribute is not None else None
        if attribute is not None and value is not None:
            source, as_of = provenance.get(attribute, (None, None))
            fields.append(PrefilledField(name=name, label=label, value=value, source=source,
                                         as_of=as_of, editable=False))  # fmt: skip
        elif name in known:
            value, source, as_of = known[name]
            fields.append(PrefilledField(name=name, label=label, value=value, source=source,
                                         as_of=as_of, editable=True))  # fmt: skip
        else:
            fields.append(PrefilledField(name=name, label=label, editable=True))
    materials = await _materials(session, account_id, uscc, service.materials)
    return PrefillRead(service_code=service.code, fields=fields, materials=materials)


def _value(attribute: VerifiedAttribute | None) -> str | None:
    return None if attribute is None else attribute.value


def _source(key: DatasetKey) -> str:
    return f"{key[0]}/{key[1]}"


async def _gather(
    session: AsyncSession,
    settings: Settings,
    account_id: uuid.UUID,
    identity: Identity,
    service_code: str,
    properties: Mapping[str, Any],
) -> dict[DatasetKey, FactResult]:
    """The department datasets the form's fields can be read from, and only those."""
    common: dict[str, Any] = {
        "purpose": f"prefill:{service_code}",
        "actor": Actor("person", str(account_id)),
        "deadline_seconds": settings.approval_deadline_seconds,
    }
    gathered: dict[DatasetKey, FactResult] = {}
    if identity.uscc is None:
        if "hpf_account" in properties and identity.id_number is not None:
            subject = Subject.person(identity.id_number, name=identity.name or "")
            gathered |= await exchange.gather_facts(session, subject, [FUND_ACCOUNT], **common)
    elif any(name in properties for name in (*_REGISTRATION_FIELDS, "uscc")):
        subject = Subject.enterprise(identity.uscc)
        gathered |= await exchange.gather_facts(session, subject, [REGISTRATION], **common)
    return gathered


def _department_values(
    gathered: Mapping[DatasetKey, FactResult], identity: Identity
) -> dict[str, tuple[Any, str, datetime]]:
    """Field → (value, source, as_of) from the department records gathered."""
    values: dict[str, tuple[Any, str, datetime]] = {}
    fund = gathered.get(FUND_ACCOUNT)
    if (
        isinstance(fund, Fact)
        and isinstance(fund.record, FundAccount)
        and fund.record.account_number is not None
    ):
        values["hpf_account"] = (fund.record.account_number, _source(FUND_ACCOUNT), fund.as_of)
    firm = gathered.get(REGISTRATION)
    if (
        isinstance(firm, Fact)
        and isinstance(firm.record, EnterpriseRegistration)
        # Only the registration of the enterprise acted for (the subject asked about).
        and identity.uscc is not None
        and _same(firm.record.uscc, identity.uscc)
    ):
        source = _source(REGISTRATION)
        values["unit_name"] = (firm.record.name, source, firm.as_of)
        values["applicant_name"] = (firm.record.name, source, firm.as_of)
        values["legal_representative"] = (
            firm.record.legal_representative_name, source, firm.as_of,
        )  # fmt: skip
    return values


async def _materials(
    session: AsyncSession, account_id: uuid.UUID, uscc: str | None, materials: list[MaterialRead]
) -> list[PrefilledMaterial]:
    """Each material and the holder's valid registry license of its type, if there is one:
    the enterprise's when acting for one, else the person's (as submission finds it)."""
    holder = (
        Holder(uscc=uscc)
        if uscc is not None
        else Holder(id_index=await auth.id_number_index(session, account_id))
    )
    answer = []
    for material in materials:
        license_no = (
            await registry_license(session, holder, material.license_type)
            if material.license_type is not None
            else None
        )
        satisfied_by = LicenseSatisfaction(license_no=license_no) if license_no else None
        answer.append(
            PrefilledMaterial(code=material.code, name=material.name, satisfied_by=satisfied_by)
        )
    return answer
