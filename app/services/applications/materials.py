"""Materials (申请材料): what stands in for each document a service asks for, checked when an
application is submitted or supplemented.

A material is satisfied, in this order, by what the applicant names — a license from their
wallet (`license_no`) or a file they uploaded (`upload_id`) — else by the holder's valid
license of the material's type in the e-license registry (nothing to upload: 数据多跑路), else,
for an identity card of a person applying for themselves at real-name level L2 or above, by
the identity public security verified, else by a department's record that shows the same
(数据替代材料, data/material_sources.yaml): that one is checked with the case's other data
(`settle`), and a case whose required material no record proves goes to a clerk. The holder
is the enterprise when acting for one, else the person. A required material nothing can satisfy
refuses the submission, naming it; a license or upload that is not the applicant's reads
exactly like one that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.schemas import ActorType, AuditContext
from app.auth.principals import Principal, Staff
from app.auth.schemas import VerifiedPerson
from app.certificates import service as certificates
from app.certificates.errors import LicenseNotFound
from app.certificates.schemas import LicenseRead
from app.services.applications import material_sources, review
from app.services.applications.errors import InvalidApplication, MaterialsMissing
from app.services.applications.schemas import MaterialGiven
from app.services.catalog.schemas import MaterialRead, ServiceDetail
from app.uploads import service as uploads
from app.uploads.errors import UploadNotFound
from app.uploads.schemas import UploadContent

VALID = "valid"
IDENTITY_CARD = "resident-id-card"
# Public security verified the person's identity at real-name level L2 (DESIGN §1).
IDENTITY_LEVEL = 2


@dataclass(frozen=True, slots=True)
class Holder:
    """Whose registry licenses stand in for materials: an enterprise, or a person by the blind
    index of their ID number."""

    id_index: str | None = None
    uscc: str | None = None


async def registry_license_read(
    session: AsyncSession, holder: Holder, license_type: str
) -> LicenseRead | None:
    """The holder's valid license of `license_type` in the registry, if any."""
    if holder.uscc is not None:
        held = await certificates.held_license(
            session, type_code=license_type, holder_uscc=holder.uscc
        )
    elif holder.id_index is not None:
        held = await certificates.held_license(
            session, type_code=license_type, holder_id_index=holder.id_index
        )
    else:
        return None
    return held if held is not None and held.status == VALID else None


async def registry_licenses(
    session: AsyncSession, holder: Holder, license_types: Iterable[str]
) -> dict[str, str]:
    """`registry_license` of several types in one query: the numbers of those held valid."""
    types = list(dict.fromkeys(license_types))
    if holder.uscc is not None:
        return await certificates.valid_license_numbers(
            session, type_codes=types, holder_uscc=holder.uscc
        )
    if holder.id_index is not None:
        return await certificates.valid_license_numbers(
            session, type_codes=types, holder_id_index=holder.id_index
        )
    return {}


async def registry_license(session: AsyncSession, holder: Holder, license_type: str) -> str | None:
    """The number of the holder's valid license of `license_type` in the registry, if any."""
    held = await registry_license_read(session, holder, license_type)
    return None if held is None else held.license_no


def identity_stands_in(material: MaterialRead, holder: Holder, realname_level: int) -> bool:
    """Whether the verified identity is the material: a person's own ID card at L2 and above."""
    return (
        material.license_type == IDENTITY_CARD
        and holder.uscc is None
        and realname_level >= IDENTITY_LEVEL
    )


def _refused(index: int, material: MaterialRead, field: str) -> InvalidApplication:
    # One answer whether the license or upload is unknown, someone else's, expired or of the
    # wrong type: the applicant learns nothing about what is not theirs.
    return InvalidApplication(
        f"材料「{material.name}」所提交的证照或文件不可用：须为申请人本人（或所代表企业）"
        "持有的有效证照、或其上传的未过期文件",
        f"the {field} given for material {material.code!r} cannot be used: it must be a valid "
        "license, or a live upload, of the applicant",
        extra={
            "material": material.code,
            "invalid_params": [{"name": f"body.materials.{index}.{field}", "reason": "unusable"}],
        },
    )


def _check_codes(service: ServiceDetail, given: Sequence[MaterialGiven]) -> None:
    known = {material.code for material in service.materials}
    seen: set[str] = set()
    problems = []
    for index, material in enumerate(given):
        if material.code not in known:
            problems.append({"name": f"body.materials.{index}.code", "reason": "unknown"})
        elif material.code in seen:
            problems.append({"name": f"body.materials.{index}.code", "reason": "duplicate"})
        seen.add(material.code)
    if problems:
        raise InvalidApplication(
            "申请材料与该事项不符", "a material is unknown to this service or given twice",
            extra={"invalid_params": problems},
        )  # fmt: skip


async def _given_license(
    session: AsyncSession,
    principal: Principal,
    index: int,
    material: MaterialRead,
    license_no: str,
) -> dict[str, Any]:
    try:
        # For a person the read scope is their own licenses as holder (or the enterprise's,
        # acting for it): another's license is not found.
        held = await certificates.get_license(session, principal, license_no)
    except LicenseNotFound:
        held = None
    if held is None or held.type.code != material.license_type or held.status != VALID:
        raise _refused(index, material, "license_no")
    return {"kind": "license", "license_no": held.license_no}


async def _given_upload(
    session: AsyncSession,
    index: int,
    material: MaterialRead,
    upload_id: uuid.UUID,
    *,
    account_id: uuid.UUID,
    uscc: str | None,
) -> dict[str, Any]:
    attached = await uploads.attach(session, upload_id, account_id=account_id, uscc=uscc)
    if attached is None:
        raise _refused(index, material, "upload_id")
    return {
        "kind": "upload", "upload_id": str(attached.id), "content_type": attached.content_type,
        "size": attached.size, "sha256": attached.sha256,
    }  # fmt: skip


def _found(
    registry: dict[str, str], holder: Holder, material: MaterialRead, person: VerifiedPerson
) -> dict[str, Any] | None:
    if material.license_type is None:
        return None
    license_no = registry.get(material.license_type)
    if license_no is not None:
        return {"kind": "license", "license_no": license_no}
    if identity_stands_in(material, holder, person.realname_level):
        return {"kind": "identity"}
    return None


async def resolve(
    session: AsyncSession,
    service: ServiceDetail,
    *,
    principal: Principal,
    person: VerifiedPerson,
    given: Sequence[MaterialGiven],
    kept: Iterable[dict[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Every material of the service that is satisfied, as the case stores it:
    `{code, name, satisfied_by}` with `satisfied_by` `{kind: "license", license_no}`,
    `{kind: "upload", upload_id, content_type, size, sha256}` or `{kind: "identity"}`.

    `kept` are the materials the case already has (a supplement): those not given again stay.
    Uploads named are attached to the case. InvalidApplication (422) for an unknown material,
    or a license or upload that is not the applicant's; MaterialsMissing (422) listing the
    required materials left unsatisfied.
    """
    _check_codes(service, given)
    account_id, uscc = uuid.UUID(principal.id), principal.enterprise
    holder = Holder(uscc=uscc) if uscc is not None else Holder(id_index=person.id_number_index)
    chosen = {material.code: index for index, material in enumerate(given)}
    before = {entry["code"]: entry["satisfied_by"] for entry in kept if entry.get("satisfied_by")}
    resolved: list[dict[str, Any]] = []
    missing: list[MaterialRead] = []

    def left_to_registry(material: MaterialRead) -> bool:
        index = chosen.get(material.code)
        if index is None:
            return material.code not in before
        return given[index].license_no is None and given[index].upload_id is None

    # The registry is asked once, for every material the applicant leaves to it.
    registry = await registry_licenses(
        session, holder,
        (material.license_type for material in service.materials
         if material.license_type is not None and left_to_registry(material)),
    )  # fmt: skip
    for material in service.materials:
        index = chosen.get(material.code)
        choice = given[index] if index is not None else None
        satisfied_by: dict[str, Any] | None
        if index is not None and choice is not None and choice.license_no is not None:
            satisfied_by = await _given_license(
                session, principal, index, material, choice.license_no
            )
        elif index is not None and choice is not None and choice.upload_id is not None:
            satisfied_by = await _given_upload(
                session, index, material, choice.upload_id, account_id=account_id, uscc=uscc
            )
        elif choice is None and material.code in before:
            satisfied_by = before[material.code]
        else:
            satisfied_by = _found(registry, holder, material, person)
        if satisfied_by is None and material_sources.of(material.code):
            # A department's record may prove it: checked with the case's other data.
            satisfied_by = {
                "kind": "dataset",
                "pending": [source.dataset for source in material_sources.of(material.code)],
            }
        if satisfied_by is not None:
            resolved.append({"code": material.code, "name": material.name,
                             "required": material.required,
                             "satisfied_by": satisfied_by})  # fmt: skip
        elif material.required:
            missing.append(material)
    if missing:
        raise _missing(missing)
    return resolved


def pending_datasets(resolved: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    """The datasets that may prove the materials nothing else satisfied."""
    names: dict[str, None] = {}
    for entry in resolved:
        names.update(dict.fromkeys(entry["satisfied_by"].get("pending", ())))
    return tuple(names)


def settle(
    resolved: list[dict[str, Any]], records: Callable[[str], tuple[Any, datetime] | None]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The materials with each pending one proven by the first dataset whose record shows it
    (`records`: "dept/dataset" → (typed record, as of), or None), and the names of the
    required ones no record proved."""
    settled, unproven = [], []
    for entry in resolved:
        pending = entry["satisfied_by"].get("pending")
        if pending is None:
            settled.append(entry)
            continue
        proof = None
        for source in material_sources.of(entry["code"]):
            found = records(source.dataset)
            if found is not None and source.shows(found[0]):
                proof = {"kind": "dataset", "ref": source.dataset, "as_of": found[1].isoformat()}
                break
        if proof is not None:
            settled.append({**entry, "satisfied_by": proof})
        elif entry.get("required", True):
            unproven.append(str(entry["name"]))
    return settled, unproven


def _missing(missing: Sequence[MaterialRead]) -> MaterialsMissing:
    return MaterialsMissing(
        "缺少申请材料：" + "、".join(material.name for material in missing),
        "missing materials: " + ", ".join(material.name_en for material in missing),
        extra={
            "materials": [
                {"code": material.code, "name": material.name, "name_en": material.name_en}
                for material in missing
            ]
        },
    )


def attached_uploads(materials: Iterable[dict[str, Any]]) -> set[str]:
    """The ids of the uploads a case's materials name."""
    return {
        str(entry["satisfied_by"].get("upload_id"))
        for entry in materials
        if isinstance(entry.get("satisfied_by"), dict)
        and entry["satisfied_by"].get("kind") == "upload"
    }


async def case_upload(
    session: AsyncSession,
    clerk: Staff,
    case_id: str,
    upload_id: str,
    *,
    audit_context: AuditContext,
) -> UploadContent:
    """An upload attached to a case of the clerk's department, for its review; the read is
    audited. ApplicationNotFound (404) for another department's case, UploadNotFound (404)
    for an upload the case does not name."""
    application = await review.department_case(session, clerk, case_id)
    try:
        named = str(uuid.UUID(upload_id))
    except ValueError:
        named = ""
    if named not in attached_uploads(application.materials):
        raise UploadNotFound("该办件没有这份材料", "the case has no such upload")
    reader: tuple[ActorType, str] = ("staff", str(clerk.staff_id))
    return await uploads.case_content(
        session, named, reader=reader, purpose=f"application:{application.number}",
        audit_context=audit_context,
    )  # fmt: skip
