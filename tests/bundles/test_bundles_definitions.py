"""Bundles are data: the catalog's bundles.yaml is checked at load (parties, one merged form,
steps and their dependencies), and every step's form maps onto its service's form."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from app.services.bundles import definitions
from app.services.catalog.data import all_services

RAW: dict[str, Any] = yaml.safe_load(definitions.FILE.read_text(encoding="utf-8"))


def _broken(change: Any) -> dict[str, Any]:
    raw = copy.deepcopy(RAW)
    change(raw["bundles"][0])
    return raw


def test_the_shipped_bundles_load_with_their_versions() -> None:
    loaded = definitions.bundles()
    assert set(loaded) == {"bundle.house-transfer", "bundle.newborn"}
    house = loaded["bundle.house-transfer"]
    assert house.version == 2
    assert [s.key for s in house.steps if s.depends_on == ("registration",)] == [
        "water", "power", "citycard", "heat", "gas", "catv", "broadband",
    ]  # fmt: skip
    newborn = loaded["bundle.newborn"]
    assert [s.depends_on for s in newborn.steps] == [
        (), ("birth_certificate",), ("household",), ("medical_insurance",),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b["steps"][1].update(depends_on=["nowhere"]), "not an earlier step"),
        (lambda b: b["steps"][0].update(depends_on=["water"]), "not an earlier step"),
        (lambda b: b["parties"][1].update(initiator=True, named_by=None), "initiator"),
        (lambda b: b["fields"].append(dict(b["fields"][0])), "asked twice"),
        (lambda b: b["steps"][1]["form"].update(phone="no_such_field"), "unknown field"),
        (lambda b: b["steps"][2].update(key="water"), "appears twice"),
        (lambda b: b["fields"][0].update(declared="typed"), "exactly one of"),
        (lambda b: b.update(confirm_hours=0), "greater than or equal"),
        (lambda b: b["steps"][0].update(kind="teleport"), "property_registration"),
    ],
)
def test_a_wrong_bundle_file_fails_to_load(change: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        definitions.parse(_broken(change))


def test_every_step_maps_onto_its_services_form() -> None:
    services = {s.code: s for s in all_services()}
    for bundle in definitions.bundles().values():
        for step in bundle.steps:
            service = services[step.service]
            properties = service.form_schema["properties"]
            assert set(step.form) <= set(properties), (bundle.code, step.key)
            assert set(service.form_schema.get("required", ())) <= set(step.form), step.key
            assert service.department == step.department, step.key
