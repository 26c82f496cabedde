"""Checks of the service catalog seed data and the e-license types (no database needed)."""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

import jsonschema
import pytest

from app.reference.license_types import license_types
from app.services.catalog.data import (
    BUNDLES,
    DEPARTMENTS,
    DISTRICTS,
    KEY_SERVICES,
    TEMPLATES,
    all_services,
)
from app.services.catalog.data.generated import generate_services
from app.services.catalog.data.seeds import ServiceSeed

SERVICE_CODE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
LICENSE_TYPES = license_types()
CATEGORIES = {"行政许可", "行政确认", "公共服务", "行政给付", "其他行政权力"}


@pytest.fixture(scope="module")
def services() -> list[ServiceSeed]:
    return all_services()


@pytest.fixture(scope="module")
def by_code(services: list[ServiceSeed]) -> dict[str, ServiceSeed]:
    return {s.code: s for s in services}


# Departments, districts ---------------------------------------------------------------------------


def test_departments() -> None:
    assert len(DEPARTMENTS) >= 55
    codes = [d.code for d in DEPARTMENTS]
    assert len(codes) == len(set(codes))
    assert len({d.name for d in DEPARTMENTS}) == len(DEPARTMENTS)
    for d in DEPARTMENTS:
        assert re.fullmatch(r"[a-z]+", d.code), d.code
        assert d.name
        assert d.name_en
    kinds = {d.code: d.kind for d in DEPARTMENTS}
    required = {
        "xzsp": "municipal",
        "gaj": "municipal",
        "mzj": "municipal",
        "rsj": "municipal",
        "tax": "vertical",
        "ybj": "municipal",
        "bdc": "municipal",
        "zrzy": "municipal",
        "gjj": "municipal",
        "scjg": "municipal",
        "jyj": "municipal",
        "wjw": "municipal",
        "court": "judicial",
        "sfj": "municipal",
        "jtj": "municipal",
        "water": "utility",
        "power": "utility",
        "heat": "utility",
        "gas": "utility",
        "catv": "utility",
        "broadband": "utility",
        "citycard": "utility",
    }
    for code, kind in required.items():
        assert kinds.get(code) == kind, code
    names = {d.code: d.name for d in DEPARTMENTS}
    assert names["xzsp"] == "青岛市行政审批服务局"
    assert names["gjj"] == "青岛市住房公积金管理中心"
    assert names["tax"] == "国家税务总局青岛市税务局"


def test_districts() -> None:
    assert [(d.code, d.name, d.name_en) for d in DISTRICTS] == [
        ("370202", "市南区", "Shinan District"),
        ("370203", "市北区", "Shibei District"),
        ("370211", "黄岛区", "Huangdao District"),
        ("370212", "崂山区", "Laoshan District"),
        ("370213", "李沧区", "Licang District"),
        ("370214", "城阳区", "Chengyang District"),
        ("370215", "即墨区", "Jimo District"),
        ("370281", "胶州市", "Jiaozhou City"),
        ("370283", "平度市", "Pingdu City"),
        ("370285", "莱西市", "Laixi City"),
    ]


# License types ------------------------------------------------------------------------------------


def test_license_types() -> None:
    assert len(LICENSE_TYPES) >= 170
    codes = [lt.code for lt in LICENSE_TYPES]
    assert len(codes) == len(set(codes))
    type_codes = [lt.type_code for lt in LICENSE_TYPES]
    assert len(type_codes) == len(set(type_codes))
    departments = {d.code for d in DEPARTMENTS}
    for lt in LICENSE_TYPES:
        assert SLUG.fullmatch(lt.code), lt.code
        assert re.fullmatch(r"[A-Z0-9]+", lt.type_code), lt.type_code
        assert lt.issuer in departments, lt.code
        assert lt.holder_kind in ("person", "enterprise")
        assert lt.validity_years is None or lt.validity_years > 0
        assert 3 <= len(lt.fields) <= 8, lt.code
        names = [f.name for f in lt.fields]
        assert len(names) == len(set(names)), lt.code
        for f in lt.fields:
            assert SNAKE.fullmatch(f.name), (lt.code, f.name)
            assert f.label
            assert f.type in ("string", "date", "number")


def test_required_license_types() -> None:
    by_code = {lt.code: lt for lt in LICENSE_TYPES}
    for code in (
        "business-license",
        "hygiene-permit",
        "kindergarten-licence",
        "marriage-certificate",
        "property-certificate",
        "degree-certificate",
        "diploma",
        "resident-id-card",
        "household-register",
        "birth-certificate",
        "food-business-licence",
        "printing-licence",
        "talent-certificate",
    ):
        assert code in by_code, code
    for permanent in ("marriage-certificate", "degree-certificate", "diploma"):
        assert by_code[permanent].validity_years is None
    field_names = {f.name for f in by_code["business-license"].fields}
    assert {"uscc", "name", "legal_representative", "registered_capital"} <= field_names


# Services -----------------------------------------------------------------------------------------


def test_counts(services: list[ServiceSeed]) -> None:
    assert len(services) >= 7000
    assert sum(s.mode == "auto" for s in services) >= 300
    gjj = [s for s in services if s.code.startswith("gjj.")]
    assert len(gjj) == 47
    assert sum(s.mode == "auto" for s in gjj) == 31
    assert all(s.department == "gjj" for s in gjj)


def test_codes_unique_and_well_formed(services: list[ServiceSeed]) -> None:
    codes = Counter(s.code for s in services)
    assert [c for c, n in codes.items() if n > 1] == []
    for s in services:
        assert SERVICE_CODE.fullmatch(s.code), s.code
    key_codes = {s.code for s in KEY_SERVICES}
    assert key_codes.isdisjoint({s.code for s in generate_services()})


def test_names_unique_per_department_and_district(services: list[ServiceSeed]) -> None:
    seen = Counter((s.department, s.district, s.name) for s in services)
    assert [k for k, n in seen.items() if n > 1] == []


def test_references_resolve(services: list[ServiceSeed]) -> None:
    departments = {d.code for d in DEPARTMENTS}
    districts = {d.code for d in DISTRICTS}
    licenses = {lt.code for lt in LICENSE_TYPES}
    for s in services:
        assert s.department in departments, s.code
        assert s.district is None or s.district in districts, s.code
        assert s.produces_license is None or s.produces_license in licenses, s.code
        for m in s.materials:
            assert m.license_type is None or m.license_type in licenses, (s.code, m.code)


def test_service_fields(services: list[ServiceSeed]) -> None:
    for s in services:
        assert s.name, s.code
        assert s.name_en, s.code
        assert s.category in CATEGORIES, s.code
        assert s.audience in ("person", "enterprise", "both"), s.code
        assert s.realname_level in (1, 2, 3), s.code
        assert s.materials, s.code
        material_codes = [m.code for m in s.materials]
        assert len(material_codes) == len(set(material_codes)), s.code
        assert s.keywords, s.code
        assert s.name not in s.aliases, s.code
        if s.mode == "manual":
            assert s.time_limit_days > 0, s.code
        else:
            assert s.time_limit_days == 0, s.code


def test_generated_services_follow_the_rules() -> None:
    generated = generate_services()
    assert not any(s.department == "gjj" for s in generated)
    for s in generated:
        assert 1 <= len(s.materials) <= 4, s.code
        if s.mode == "manual":
            assert 5 <= s.time_limit_days <= 20, s.code
        assert re.fullmatch(r"[a-z]+\.t\d{3}(\.\d{6})?", s.code), s.code
        if s.district is not None:
            assert s.code.endswith("." + s.district)
    for department in DEPARTMENTS:
        if department.code == "gjj":
            continue
        templates = sum(len(item.actions.split()) for item in TEMPLATES[department.code])
        assert 10 <= templates <= 40, (department.code, templates)


def test_business_license_items_carry_the_keyword(services: list[ServiceSeed]) -> None:
    items = [s for s in services if s.produces_license == "business-license"]
    assert items
    assert all("营业执照" in s.keywords for s in items)


def _check_schema_structure(schema: dict[str, Any], where: str) -> None:
    assert schema.get("type") == "object", where
    properties = schema.get("properties")
    assert isinstance(properties, dict), where
    assert properties, where
    required = schema.get("required", [])
    assert isinstance(required, list), where
    assert len(required) == len(set(required)), where
    assert set(required) <= set(properties), where
    for name, prop in properties.items():
        assert SNAKE.fullmatch(name), (where, name)
        assert isinstance(prop, dict), (where, name)
        assert "type" in prop, (where, name)
        assert prop.get("title"), (where, name)
        if prop["type"] == "object":
            _check_schema_structure(prop, f"{where}.{name}")
        if prop["type"] == "array":
            items = prop["items"]
            if items.get("type") == "object":
                _check_schema_structure(items, f"{where}.{name}[]")


def test_form_schemas_are_object_schemas(services: list[ServiceSeed]) -> None:
    for s in services:
        _check_schema_structure(s.form_schema, s.code)
    # Fresh dicts: no two services share (and could mutate) one schema
    assert len({id(s.form_schema) for s in services}) == len(services)


def test_form_schemas_validate_as_json_schema(services: list[ServiceSeed]) -> None:
    validator = jsonschema.Draft202012Validator
    for s in services:
        if s.district is None:  # district copies share the city-wide item's schema shape
            validator.check_schema(s.form_schema)


REQUIRED_SERVICES: dict[str, tuple[str | None, str | None]] = {
    # code: (mode or None if not prescribed, produced license or None)
    "gjj.withdraw.rent": ("auto", None),
    "gjj.withdraw.purchase": (None, None),
    "gjj.withdraw.retirement": (None, None),
    "gjj.withdraw.loan-repayment": (None, None),
    "gjj.withdraw.leave-city": (None, None),
    "gjj.withdraw.serious-illness": (None, None),
    "gjj.withdraw.renovation": (None, None),
    "gjj.account.transfer": (None, None),
    "gjj.account.open": (None, None),
    "gjj.loan.apply": ("manual", None),
    "gjj.deposit.certificate": ("auto", None),
    "rsj.talent-settlement": ("auto", None),
    "scjg.enterprise.establish": ("auto", "business-license"),
    "xzsp.printing.establish": (None, "printing-licence"),
    "wjw.hygiene-permit.renew": (None, "hygiene-permit"),
    "jyj.kindergarten-licence.continue": (None, "kindergarten-licence"),
    "bdc.transfer.second-hand": (None, "property-certificate"),
    "water.transfer": ("instant", None),
    "power.transfer": ("instant", None),
    "citycard.transfer": ("instant", None),
    "heat.transfer": ("instant", None),
    "gas.transfer": ("instant", None),
    "catv.transfer": ("instant", None),
    "broadband.transfer": ("instant", None),
    "rsj.pension.qualification": ("auto", None),
}


@pytest.mark.parametrize("code", sorted(REQUIRED_SERVICES))
def test_required_services(code: str, by_code: dict[str, ServiceSeed]) -> None:
    assert code in by_code
    service = by_code[code]
    mode, produces = REQUIRED_SERVICES[code]
    if mode is not None:
        assert service.mode == mode
    if produces is not None:
        assert service.produces_license == produces
    assert service.district is None


def test_required_service_details(by_code: dict[str, ServiceSeed]) -> None:
    establish = by_code["scjg.enterprise.establish"]
    assert establish.audience == "person"  # the founder; the enterprise is its outcome
    assert establish.department in ("xzsp", "scjg")
    assert by_code["wjw.hygiene-permit.renew"].department in ("xzsp", "wjw")
    assert by_code["bdc.transfer.second-hand"].mode in ("manual", "instant")
    assert by_code["bdc.transfer.second-hand"].department == "bdc"
    for utility in ("water", "power", "citycard", "heat", "gas", "catv", "broadband"):
        assert by_code[f"{utility}.transfer"].department == utility
    assert all(s.department == "gjj" for s in KEY_SERVICES if s.code.startswith("gjj."))


def test_wallet_materials_exist(services: list[ServiceSeed]) -> None:
    with_license = [m for s in KEY_SERVICES for m in s.materials if m.license_type]
    assert len(with_license) >= 60
    assert any(
        m.license_type == "diploma"
        for m in next(s for s in KEY_SERVICES if s.code == "rsj.talent-settlement").materials
    )


# Bundles ------------------------------------------------------------------------------------------


def test_house_transfer_bundle(by_code: dict[str, ServiceSeed]) -> None:
    bundles = {b.code: b for b in BUNDLES}
    assert len(bundles) == len(BUNDLES)
    bundle = bundles["bundle.house-transfer"]
    steps = [step.service for step in bundle.steps]
    assert steps == [
        "bdc.transfer.second-hand",
        "water.transfer",
        "power.transfer",
        "citycard.transfer",
        "heat.transfer",
        "gas.transfer",
        "catv.transfer",
        "broadband.transfer",
    ]
    for step in bundle.steps:
        assert step.service in by_code
        assert step.unit


def test_every_bundle_step_resolves(by_code: dict[str, ServiceSeed]) -> None:
    for bundle in BUNDLES:
        assert bundle.steps
        for step in bundle.steps:
            assert step.service in by_code, (bundle.code, step.service)


# Determinism and speed ----------------------------------------------------------------------------


def test_deterministic() -> None:
    first, second = all_services(), all_services()
    assert first == second
    assert first is not second
    assert first[: len(KEY_SERVICES)] == list(KEY_SERVICES)


def test_building_is_fast() -> None:
    started = time.perf_counter()
    all_services()
    assert time.perf_counter() - started < 2.0
