"""The demo personas as the tests sign them in (fixtures `world` and `sign_in` in conftest.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from app.adapters.simulator.personas import build_personas
from app.adapters.simulator.population import Population

Headers = dict[str, str]
SignIn = Callable[..., Awaitable[Headers]]
PERSONAS = {p.key: p for p in build_personas(Population())[0]}

# Materials ----------------------------------------------------------------------------------

# The smallest files each accepted type is recognised by: the magic numbers and a few bytes.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


async def upload(
    client: httpx.AsyncClient,
    headers: Headers,
    content: bytes = PNG,
    *,
    name: str = "scan.png",
    content_type: str = "image/png",
) -> dict[str, Any]:
    """Upload a file as the signed-in applicant; the stored upload's description."""
    answer = await client.post(
        "/api/v1/uploads", headers=headers, files={"file": (name, content, content_type)}
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def uploaded(
    client: httpx.AsyncClient, headers: Headers, *codes: str
) -> list[dict[str, Any]]:
    """The `materials` of an application: a small PNG uploaded for each material of `codes`
    (those the registry holds no license for)."""
    return [{"code": code, "upload_id": (await upload(client, headers))["id"]} for code in codes]


# What the personas upload for each service the tests apply for: the required materials no
# e-license of theirs stands in for (an identity card is their verified identity).
UPLOADED_MATERIALS: dict[str, tuple[str, ...]] = {
    "jyj.kindergarten-licence.continue": ("org-certificate", "fire-safety", "audit-report"),
    "wjw.hygiene-permit.renew": ("health-certificates", "commitment"),
    "scjg.enterprise.establish": ("articles", "officer-appointment"),
}


async def materials_for(
    client: httpx.AsyncClient, headers: Headers, service: str
) -> list[dict[str, Any]]:
    """The `materials` of an application for `service`: what the registry lacks, uploaded."""
    return await uploaded(client, headers, *UPLOADED_MATERIALS.get(service, ()))


async def submitted(
    client: httpx.AsyncClient,
    headers: Headers,
    service: str,
    form: dict[str, Any],
    materials: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A submitted application (201 asserted): the materials the registry lacks uploaded unless
    `materials` are given."""
    if materials is None:
        materials = await materials_for(client, headers, service)
    answer = await client.post(
        "/api/v1/applications", headers=headers,
        json={"service_code": service, "form": form, "materials": materials},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return dict(answer.json())
