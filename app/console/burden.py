"""The burden of a service as the catalog declares it: the form's fields a government source
fills, the required ones left to type, the required materials no e-license type stands in for
(read from the catalog and the field-sources table; no person needed).

`qingeban services burden` measures the real thing, as each demo persona meets it (a persona
may hold no license of a type, or a source may have no record of them); the console shows the
declared figures next to the automation figures, per service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.services.applications import field_sources


@dataclass(frozen=True, slots=True)
class Burden:
    """Counts of one service's form and materials."""

    fields: int
    from_government: int
    to_type: int
    materials_required: int
    materials_by_license: int

    @property
    def uploads(self) -> int:
        """Required materials no e-license stands in for."""
        return self.materials_required - self.materials_by_license


def _filled_by_government(source: field_sources.FieldSource) -> bool:
    return any(
        kind is not None
        for kind in (source.dataset, source.license, source.identity, source.platform)
    )


def of(service: Any) -> Burden:
    """The burden of a catalog service (app.services.catalog ServiceDetail)."""
    names = list(service.form_schema.get("properties", {}))
    required = set(service.form_schema.get("required", []))
    verified = {
        name for name in names
        if any(_filled_by_government(s) for s in field_sources.sources_of(service.code, name))
    }  # fmt: skip
    to_type = {name for name in required - verified if not any(
        s.choice is not None for s in field_sources.sources_of(service.code, name)
    )}  # fmt: skip
    materials = [m for m in service.materials if m.required]
    return Burden(
        fields=len(names), from_government=len(verified), to_type=len(to_type),
        materials_required=len(materials),
        materials_by_license=sum(m.license_type is not None for m in materials),
    )  # fmt: skip
