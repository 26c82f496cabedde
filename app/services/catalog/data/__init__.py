"""Seed data of the service catalog: departments, districts, services and bundles.

Data files checked by a schema when loaded (`schema.py`): departments.yaml, districts.yaml,
bundles.yaml, the hand-written key services in key_services/ and the item templates in
templates/, which `generated.py` expands into the bulk of the catalog. ``all_services()`` is the
whole catalog in a fixed order: the key services first (housing fund, enterprise, citizen,
property), then the generated remainder (department by department, city-wide item before its
districts).
"""

from __future__ import annotations

from pathlib import Path

from app.services.catalog.data import schema
from app.services.catalog.data._templates import Item
from app.services.catalog.data.seeds import (
    BundleSeed,
    DepartmentSeed,
    DistrictSeed,
    ServiceSeed,
)

DATA = Path(__file__).resolve().parent

# Files in the order their services are listed.
KEY_SERVICE_FILES = (
    "housing_fund_withdraw",
    "housing_fund_account",
    "housing_fund_loan",
    "enterprise",
    "citizen",
    "property",
)
TEMPLATE_FILES = ("public_security", "social", "economy", "construction", "public", "utilities")


def _load_templates() -> dict[str, tuple[Item, ...]]:
    merged: dict[str, tuple[Item, ...]] = {}
    for name in TEMPLATE_FILES:
        path = DATA / "templates" / f"{name}.yaml"
        for code, items in schema.templates(schema.read(path, schema.TemplatesFile)).items():
            if code in merged:
                raise ValueError(f"{path}: templates of department {code!r} defined twice")
            merged[code] = items
    return merged


DEPARTMENTS: tuple[DepartmentSeed, ...] = schema.departments(
    schema.read(DATA / "departments.yaml", schema.DepartmentsFile)
)
DISTRICTS: tuple[DistrictSeed, ...] = schema.districts(
    schema.read(DATA / "districts.yaml", schema.DistrictsFile)
)
BUNDLES: tuple[BundleSeed, ...] = schema.bundles(
    schema.read(DATA / "bundles.yaml", schema.BundlesFile)
)
KEY_SERVICES: tuple[ServiceSeed, ...] = tuple(
    service
    for name in KEY_SERVICE_FILES
    for service in schema.services(
        schema.read(DATA / "key_services" / f"{name}.yaml", schema.ServicesFile)
    )
)
# The item templates of the generated catalog, keyed by department code.
TEMPLATES: dict[str, tuple[Item, ...]] = _load_templates()


def all_services() -> list[ServiceSeed]:
    """Key services followed by the generated ones; a new list on every call."""
    from app.services.catalog.data.generated import generate_services

    return [*KEY_SERVICES, *generate_services()]


__all__ = ["BUNDLES", "DEPARTMENTS", "DISTRICTS", "KEY_SERVICES", "TEMPLATES", "all_services"]
