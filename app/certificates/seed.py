"""Turn license-type seed records into table rows (plain dicts; the seeder writes them)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from app.reference.license_types import LicenseTypeSeed


def license_type_rows(seeds: Iterable[LicenseTypeSeed]) -> list[dict[str, Any]]:
    """Rows of `license_types`."""
    return [
        {
            "code": seed.code,
            "type_code": seed.type_code,
            "name": seed.name,
            "name_en": seed.name_en,
            "issuer_code": seed.issuer,
            "holder_kind": seed.holder_kind,
            "validity_years": seed.validity_years,
            "fields": [dataclasses.asdict(field) for field in seed.fields],
        }
        for seed in seeds
    ]
