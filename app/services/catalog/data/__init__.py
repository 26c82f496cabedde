"""Seed data of the service catalog: departments, districts, services and bundles.

``all_services()`` is the whole catalog in a fixed order: the hand-written key services first,
then the generated remainder (department by department, city-wide item before its districts).
"""

from __future__ import annotations

from app.services.catalog.data.bundles import BUNDLES
from app.services.catalog.data.departments import DEPARTMENTS
from app.services.catalog.data.districts import DISTRICTS
from app.services.catalog.data.generated import generate_services
from app.services.catalog.data.key_services import KEY_SERVICES
from app.services.catalog.data.seeds import ServiceSeed


def all_services() -> list[ServiceSeed]:
    """Key services followed by the generated ones; a new list on every call."""
    return [*KEY_SERVICES, *generate_services()]


__all__ = ["BUNDLES", "DEPARTMENTS", "DISTRICTS", "KEY_SERVICES", "all_services"]
