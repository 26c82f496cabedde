"""The burden report: what each 秒批 service still asks of the citizen it is for.

For every service of data/demo_services.yaml, as its persona through the API the app uses
(signed in, face-verified, acting for the enterprise where it applies): the form's fields, how
many prefill filled from verified sources, offered as verified options, left to the applicant's
choice, or left to type (a declaration no department holds, with the reason, or a field nothing
fills yet); the materials still to upload; and the outcome when the form is submitted as
prefilled (choices and declarations given sample values, as the citizen would type them).
`qingeban services burden` prints it; bench/burden.py prints its JSON; a test keeps the totals
from rising.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx

from app.adapters.service import reset_exchange
from app.adapters.simulator.personas import DEMO_PASSWORD, Persona, build_personas
from app.adapters.simulator.population import Population
from app.config import Settings
from app.db import Database
from app.kit.data_files import read_yaml
from app.main import create_app

DEMO_SERVICES = Path(__file__).resolve().parent / "data" / "demo_services.yaml"
SELFIE = "selfie-burden"
# Valid samples for the patterns the catalog's forms use; the first that matches is taken.
_PATTERN_SAMPLES = (
    "370202199001011234", "13800138000", "6222020300012345678", "370200001234567",
    "91370200MA3C0000XX", "2026-12", "2026", "A1",
)  # fmt: skip
SAMPLE_DATE = "2026-12-01"
SAMPLE_PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@cache
def demo_services() -> dict[str, tuple[str, bool]]:
    """Service code → (persona key, acting for the persona's enterprise)."""
    raw = read_yaml(DEMO_SERVICES)
    return {
        code: (str(spec["persona"]), bool(spec.get("enterprise", False)))
        for code, spec in raw["services"].items()
    }


def sample(prop: dict[str, Any]) -> Any:
    """A value that fits one property's schema (what a citizen would type)."""
    if "const" in prop:
        return prop["const"]
    if "enum" in prop:
        return prop["enum"][0]
    kind = prop.get("type")
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        value = max(1, prop.get("minimum", 1))
        return min(value, prop["maximum"]) if "maximum" in prop else value
    if kind == "array":
        return [sample(prop.get("items", {}))]
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


@dataclass
class ServiceBurden:
    """One service as its persona meets it."""

    service: str
    persona: str
    fields: int = 0
    verified: int = 0
    options: int = 0
    choices: int = 0
    typed: list[dict[str, str | None]] = field(default_factory=list)
    uploads: list[dict[str, str | None]] = field(default_factory=list)
    outcome: str | None = None


def measure(service: dict[str, Any], prefill: dict[str, Any]) -> ServiceBurden:
    """The counts of one prefilled form (required fields only count as typed)."""
    required = set(service["form_schema"].get("required", []))
    burden = ServiceBurden(service["code"], "")
    for item in prefill["fields"]:
        burden.fields += 1
        if item["value"] is not None:
            burden.verified += 1
        elif item["fill"] == "options":
            burden.options += 1
        elif item["fill"] == "choice":
            burden.choices += 1
        elif item["name"] in required:
            burden.typed.append({"field": item["name"], "why": item.get("note")})
    required_materials = {m["code"] for m in service["materials"] if m["required"]}
    burden.uploads = [
        {"material": m["code"], "why": m.get("note")}
        for m in prefill["materials"]
        if m["satisfied_by"] is None and m["code"] in required_materials
    ]
    return burden


async def _signed_in(http: httpx.AsyncClient, persona: Persona, enterprise: bool) -> dict[str, str]:
    login = await http.post(
        "/api/v1/auth/login",
        json={"method": "password", "login": persona.login, "password": DEMO_PASSWORD},
    )
    login.raise_for_status()
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    face = await http.post(
        "/api/v1/auth/face-verification", headers=headers, json={"selfie_token": SELFIE}
    )
    face.raise_for_status()
    if enterprise:
        acting = await http.post(
            "/api/v1/auth/act-as", headers=headers, json={"uscc": persona.enterprise_uscc}
        )
        acting.raise_for_status()
        headers = {"Authorization": f"Bearer {acting.json()['access_token']}"}
    return headers


async def walk(http: httpx.AsyncClient, *, submit: bool = True) -> list[ServiceBurden]:
    """The burden of every demo service, through the API at `http` (the demo world seeded)."""
    personas = {p.key: p for p in build_personas(Population())[0]}
    report = []
    for code, (key, enterprise) in demo_services().items():
        headers = await _signed_in(http, personas[key], enterprise)
        burden, answer = await apply_as_prefilled(http, headers, code, submit=submit)
        burden.persona = key
        if answer is not None:
            body = answer.json()
            burden.outcome = body.get("status") if answer.status_code == 201 else body.get("code")
        report.append(burden)
    return report


async def apply_as_prefilled(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    code: str,
    *,
    submit: bool = True,
    **given: Any,
) -> tuple[ServiceBurden, httpx.Response | None]:
    """The service's form as prefill leaves it and, when `submit`, the application filed as
    prefilled: options and choices as the citizen picks the first (or as `given`),
    declarations and uploads as they would type and attach them."""
    service = (await http.get(f"/api/v1/services/{code}")).json()
    answer = await http.get(f"/api/v1/services/{code}/prefill", headers=headers)
    answer.raise_for_status()
    prefill = answer.json()
    burden = measure(service, prefill)
    if not submit:
        return burden, None
    values = {item["name"]: item["value"] for item in prefill["fields"]}
    properties = service["form_schema"].get("properties", {})
    chosen = {
        item["name"]: item["options"][0]["value"]
        if item["options"]
        else sample(properties[item["name"]])
        for item in prefill["fields"]
        if item["value"] is None and item["fill"] in ("options", "choice")
    }
    materials = []
    for upload in burden.uploads:
        stored = await http.post(
            "/api/v1/uploads", headers=headers,
            files={"file": ("document.pdf", SAMPLE_PDF, "application/pdf")},
        )  # fmt: skip
        materials.append({"code": upload["material"], "upload_id": stored.json()["id"]})
    filed = await http.post(
        "/api/v1/applications", headers=headers,
        json={"service_code": code, "materials": materials,
              "form": fill(service["form_schema"], values, **chosen | given)},
    )  # fmt: skip
    return burden, filed


def totals(report: list[ServiceBurden]) -> dict[str, int]:
    """The report's sums."""
    return {
        "services": len(report),
        "fields": sum(b.fields for b in report),
        "verified": sum(b.verified for b in report),
        "options": sum(b.options for b in report),
        "choices": sum(b.choices for b in report),
        "typed": sum(len(b.typed) for b in report),
        "typed_without_reason": sum(1 for b in report for t in b.typed if not t["why"]),
        "uploads": sum(len(b.uploads) for b in report),
        "uploads_without_reason": sum(1 for b in report for u in b.uploads if not u["why"]),
        "approved": sum(1 for b in report if b.outcome == "approved"),
    }


async def run(database: Database, settings: Settings) -> dict[str, Any]:
    """The report on a database where the demo world is seeded: every service and the totals."""
    reset_exchange()
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://burden") as http,
    ):
        report = await walk(http)
    return {"services": [asdict(b) for b in report], "totals": totals(report)}
