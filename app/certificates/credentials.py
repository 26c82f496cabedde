"""Licenses as W3C Verifiable Credentials 2.0 secured with JOSE (VC-JOSE-COSE), and the signed
Bitstring Status List credentials their status points to.

The JWS payload is the credential itself. A license credential:

- `id`: the license's address, `<QE_ISSUER>/api/v1/licenses/<license_no>` (it names the
  version: a renewal has its own number and so its own credential);
- `type`: VerifiableCredential and `<TypeCode>Credential` from the license type's code
  (`special-equipment-operator` → `SpecialEquipmentOperatorCredential`);
- `issuer`: the issuing department, `{"id": "<QE_ISSUER>/departments/<code>", "name": …}`; the
  platform signs on its behalf with the keys of /api/v1/licenses/jwks;
- `validFrom` / `validUntil`: the license's first day from 00:00 and its last day until 24:00,
  Asia/Shanghai (no `validUntil` for licenses that do not expire);
- `credentialSubject`: the holder (a person by name and MASKED ID number, never the full one,
  since a credential is a bearer artefact; an enterprise by name and USCC) and the license
  (number, type, version, fields; fields that are ID numbers are masked too);
- `credentialStatus`: two BitstringStatusListEntry, revocation and suspension, at the slots
  reserved for the license at issuance.

Terms beyond the VC 2.0 context fall under its `@vocab` (issuer-dependent terms).

Status bits: a list of purpose `revocation` has the bit of every license that is `revoked`,
`cancelled` or `superseded` (all final: a cancelled license must no longer be relied on, and a
renewed one's old version is replaced by the new, whose credential names it in `supersedes`; a
verifier holding only the old credential learns from its bit that it is no longer current); a
list of purpose `suspension` has the bit of every `suspended` license, cleared again by a
reinstatement. Expiry is `validUntil`, not a bit.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.certificates.models import License, LicenseStatus, StatusPurpose
from app.kit.masking import mask_id_number
from app.kit.status_list import (
    CREDENTIAL_TYPE,
    DEFAULT_SIZE,
    Purpose,
    StatusBitstring,
    status_list_credential_subject,
    status_list_entry,
)

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
# A status list credential is valid this long after it is signed: verifiers fetch a new one after.
STATUS_LIST_TTL_SECONDS = 300
_SHANGHAI = ZoneInfo("Asia/Shanghai")
_ID_NUMBER_FIELD = re.compile(r"(^|_)id_number$")

# Which stored statuses set the bit of a list of each purpose.
STATUSES_BY_PURPOSE: dict[str, tuple[str, ...]] = {
    StatusPurpose.REVOCATION.value: (
        LicenseStatus.REVOKED.value,
        LicenseStatus.CANCELLED.value,
        LicenseStatus.SUPERSEDED.value,
    ),
    StatusPurpose.SUSPENSION.value: (LicenseStatus.SUSPENDED.value,),
}


def status_list_url(issuer_url: str, list_id: uuid.UUID) -> str:
    """The public address of a status list credential."""
    return f"{issuer_url}/api/v1/licenses/status-lists/{list_id}"


def credential_type(type_code: str) -> str:
    """`special-equipment-operator` → `SpecialEquipmentOperatorCredential`."""
    words = re.split(r"[^0-9A-Za-z]+", type_code)
    return "".join(word[:1].upper() + word[1:] for word in words if word) + "Credential"


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _start_of(day: date) -> str:
    return _rfc3339(datetime.combine(day, time(), tzinfo=_SHANGHAI))


def masked_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields with every ID number masked (a credential or a share is shown to others)."""
    return {
        name: mask_id_number(value)
        if _ID_NUMBER_FIELD.search(name) and isinstance(value, str)
        else value
        for name, value in fields.items()
    }


def _holder(license_: License) -> dict[str, Any]:
    if license_.holder_kind == "person":
        return {
            "kind": "person",
            "name": license_.holder_name,
            "idNumberMasked": license_.holder_id_masked,
        }
    return {"kind": "enterprise", "name": license_.holder_name, "uscc": license_.holder_uscc}


def license_credential(
    license_: License,
    *,
    issuer_url: str,
    issuer_name: str,
    type_name: str,
    supersedes: str | None,
) -> dict[str, Any]:
    """The unsigned VC 2.0 credential of one license version."""
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT],
        "id": f"{issuer_url}/api/v1/licenses/{license_.license_no}",
        "type": ["VerifiableCredential", credential_type(license_.type_code)],
        "issuer": {"id": f"{issuer_url}/departments/{license_.issuer_code}", "name": issuer_name},
        "validFrom": _start_of(license_.valid_from),
    }
    if license_.valid_until is not None:
        credential["validUntil"] = _start_of(license_.valid_until + timedelta(days=1))
    license_data: dict[str, Any] = {
        "number": license_.license_no,
        "type": license_.type_code,
        "typeName": type_name,
        "version": license_.version,
        "fields": masked_fields(dict(license_.fields)),
    }
    if supersedes is not None:
        license_data["supersedes"] = supersedes
    credential["credentialSubject"] = {"holder": _holder(license_), "license": license_data}
    credential["credentialStatus"] = [
        status_list_entry(
            status_list_url(issuer_url, license_.revocation_list_id),
            license_.revocation_index,
            "revocation",
        ),
        status_list_entry(
            status_list_url(issuer_url, license_.suspension_list_id),
            license_.suspension_index,
            "suspension",
        ),
    ]
    return credential


def status_list_credential(
    *,
    issuer_url: str,
    list_id: uuid.UUID,
    purpose: Purpose,
    set_indexes: Iterable[int],
    size: int = DEFAULT_SIZE,
    now: datetime,
) -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential of a list with these bits set."""
    url = status_list_url(issuer_url, list_id)
    encoded = StatusBitstring.from_indexes(set_indexes, size).encode()
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": issuer_url,
        "validFrom": _rfc3339(now.replace(microsecond=0)),
        "validUntil": _rfc3339(
            now.replace(microsecond=0) + timedelta(seconds=STATUS_LIST_TTL_SECONDS)
        ),
        "credentialSubject": status_list_credential_subject(url, purpose, encoded),
    }
