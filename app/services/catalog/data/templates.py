"""All item templates of the generated catalog, keyed by department code."""

from __future__ import annotations

from app.services.catalog.data._templates import Item
from app.services.catalog.data.templates_construction import CONSTRUCTION_TEMPLATES
from app.services.catalog.data.templates_economy import ECONOMY_TEMPLATES
from app.services.catalog.data.templates_public import PUBLIC_TEMPLATES
from app.services.catalog.data.templates_public_security import PUBLIC_SECURITY_TEMPLATES
from app.services.catalog.data.templates_social import SOCIAL_TEMPLATES
from app.services.catalog.data.templates_utilities import UTILITY_TEMPLATES

_GROUPS: tuple[dict[str, tuple[Item, ...]], ...] = (
    PUBLIC_SECURITY_TEMPLATES,
    SOCIAL_TEMPLATES,
    ECONOMY_TEMPLATES,
    CONSTRUCTION_TEMPLATES,
    PUBLIC_TEMPLATES,
    UTILITY_TEMPLATES,
)


def _merge(groups: tuple[dict[str, tuple[Item, ...]], ...]) -> dict[str, tuple[Item, ...]]:
    merged: dict[str, tuple[Item, ...]] = {}
    for group in groups:
        for code, items in group.items():
            if code in merged:
                raise ValueError(f"templates of department {code!r} defined twice")
            merged[code] = items
    return merged


TEMPLATES: dict[str, tuple[Item, ...]] = _merge(_GROUPS)
