"""All e-license types known to the wallet (persons first, then organisations)."""

from __future__ import annotations

from app.certificates.data.license_types_enterprise import ENTERPRISE_LICENSE_TYPES
from app.certificates.data.license_types_person import PERSON_LICENSE_TYPES
from app.services.catalog.data.seeds import LicenseTypeSeed

LICENSE_TYPES: tuple[LicenseTypeSeed, ...] = PERSON_LICENSE_TYPES + ENTERPRISE_LICENSE_TYPES

LICENSE_TYPES_BY_CODE: dict[str, LicenseTypeSeed] = {lt.code: lt for lt in LICENSE_TYPES}

__all__ = ["LICENSE_TYPES", "LICENSE_TYPES_BY_CODE"]
