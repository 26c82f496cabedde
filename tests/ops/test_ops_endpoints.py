"""Operations endpoints, request ids and metrics, through HTTP."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from app import migrate
from app.config import Settings
from app.main import create_app


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_migrated_revision(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["revision"] == migrate.head_revision()
    assert body["head"] == body["revision"]


async def test_readyz_is_503_when_the_database_is_not_migrated(tmp_path: Path) -> None:
    settings = Settings(
        env="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}",
        inprocess_worker=False,
        _env_file=None,  # type: ignore[call-arg]
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "ops.not_ready"


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/healthz", headers={"X-Request-ID": "req-abc.123"})
    assert echoed.headers["x-request-id"] == "req-abc.123"

    generated = await client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])

    # A header that could inject into logs is replaced, not echoed.
    forged = 'x" level="ERROR' + "z" * 200
    hostile = await client.get("/healthz", headers={"X-Request-ID": forged})
    assert hostile.headers["x-request-id"] != forged
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["x-request-id"])


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/api/v1/services/gjj.withdraw.rent")
    await client.get("/api/v1/services/no-such-service")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    # The label is the template, not the concrete path, so cardinality stays bounded.
    assert 'route="/api/v1/services/{code}"' in text
    assert "no-such-service" not in text
    assert "qingeban_http_request_duration_seconds_bucket" in text
    assert "qingeban_jobs{" in text
