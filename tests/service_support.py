"""Applying for any service as a persona, the way the app does it: the service's form from its
JSON Schema, prefilled by the platform, the rest filled with valid values, and an upload for
each required material no license or identity stands in for."""

from __future__ import annotations

import re
from typing import Any

import httpx
from persona_support import Headers, uploaded

from app.adapters.registry import SIMULATOR_BASE_URL
from app.adapters.service import get_exchange

# Valid samples for the patterns the catalog's forms use; the first that matches is taken.
_PATTERN_SAMPLES = (
    "370202199001011234",  # an ID number (locked fields come from prefill instead)
    "13800138000",
    "6222020300012345678",
    "370200001234567",
    "91370200MA3C0000XX",
    "2026-12",
    "2026",
    "A1",
)
SAMPLE_DATE = "2026-12-01"


def sample(prop: dict[str, Any]) -> Any:
    """A value that fits one property's schema."""
    if "const" in prop:
        return prop["const"]
    if "enum" in prop:
        return prop["enum"][0]
    kind = prop.get("type")
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        low = prop.get("minimum", 1)
        value = max(1, low)
        return min(value, prop["maximum"]) if "maximum" in prop else value
    if kind == "array":
        items = prop.get("items", {})
        return [sample(items)]
    if kind == "object":
        return {name: sample(sub) for name, sub in prop.get("properties", {}).items()}
    if prop.get("format") == "date":
        return SAMPLE_DATE
    pattern = prop.get("pattern")
    if pattern is not None:
        return next(value for value in _PATTERN_SAMPLES if re.search(pattern, value))
    return "测试"


def fill(schema: dict[str, Any], prefilled: dict[str, Any], **given: Any) -> dict[str, Any]:
    """The form: what the platform prefilled, then `given`, then samples for what is still
    required."""
    properties: dict[str, Any] = schema.get("properties", {})
    form = {name: value for name, value in prefilled.items() if value is not None}
    form.update(given)
    for name in schema.get("required", []):
        if name not in form:
            form[name] = sample(properties[name])
    return {name: value for name, value in form.items() if name in properties}


async def apply(
    client: httpx.AsyncClient, headers: Headers, code: str, **given: Any
) -> httpx.Response:
    """Submit an application for `code` as the signed-in persona (not checked)."""
    service = (await client.get(f"/api/v1/services/{code}")).json()
    prefill = await client.get(f"/api/v1/services/{code}/prefill", headers=headers)
    assert prefill.status_code == 200, prefill.text
    body = prefill.json()
    values = {field["name"]: field["value"] for field in body["fields"]}
    form = fill(service["form_schema"], values, **given)
    registry = {m["code"] for m in body["materials"] if m["satisfied_by"] is not None}
    to_upload = [
        m["code"]
        for m in service["materials"]
        if m["required"]
        and m["code"] not in registry
        and m["license_type"] != "resident-id-card"  # the verified identity stands in
    ]
    materials = await uploaded(client, headers, *to_upload)
    return await client.post(
        "/api/v1/applications",
        headers=headers,
        json={"service_code": code, "form": form, "materials": materials},
    )


async def department_record(path: str) -> httpx.Response:
    """What a simulated department recorded of the platform's instructions (`path` such as
    "/gjj/disbursements/<number>"), read as the platform reads the department."""
    client = get_exchange().client
    endpoint = client.registry.endpoint("gjj")
    return await client.http.get(
        f"{SIMULATOR_BASE_URL}{path}",
        headers={
            "Authorization": f"Bearer {endpoint.token}",
            "X-Caller-System": client.registry.caller_system,
            "X-End-User": "test", "X-Purpose": "review",
        },
    )  # fmt: skip
