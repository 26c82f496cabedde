"""Every error is problem+json: domain errors, validation, 404/405 and unexpected crashes."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from fastapi import APIRouter
from settings_support import PRODUCTION_SMS

from app.config import DEMO_SECRET_KEY, Settings
from app.db import Database
from app.errors import prefers_english
from app.main import create_app
from app.ops.logging import JsonFormatter

PROBLEM = "application/problem+json"


async def test_unknown_route_is_a_problem_in_chinese_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "http.not_found"
    assert body["title"] == "请求的地址不存在"
    assert body["status"] == 404
    assert body["instance"] == "/api/v1/nowhere"
    assert body["request_id"] == response.headers["x-request-id"]


async def test_english_titles_on_request(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nowhere", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert response.json()["title"] == "No such endpoint"


async def test_method_not_allowed_keeps_the_allow_header(client: httpx.AsyncClient) -> None:
    response = await client.delete("/healthz")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "http.method_not_allowed"
    assert "GET" in response.headers["allow"]


async def test_validation_errors_name_the_bad_parameter(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/services", params={"limit": "many"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "request.invalid"
    assert [p["name"] for p in body["invalid_params"]] == ["query.limit"]


async def test_an_unexpected_exception_is_a_500_with_an_incident_id_and_no_internals(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, database=database)
    boom = APIRouter()

    @boom.get("/boom")
    async def explode() -> None:
        raise RuntimeError("password=hunter2 at /srv/secret.py")

    app.include_router(boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        with caplog.at_level(logging.ERROR, logger="qingeban.http"):
            response = await http.get("/boom", headers={"X-Request-ID": "crash-1"})
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["x-request-id"] == "crash-1"
    body = response.json()
    assert body["code"] == "internal.error"
    assert len(body["incident_id"]) == 32
    assert "hunter2" not in response.text
    assert "secret.py" not in response.text
    # The incident id leads the operator to the full traceback in the log.
    assert any(getattr(r, "incident_id", None) == body["incident_id"] for r in caplog.records)


def test_language_negotiation() -> None:
    assert prefers_english("en")
    assert prefers_english("zh-CN;q=0.5, en;q=0.8")
    assert not prefers_english("zh-CN,zh;q=0.9,en;q=0.8")
    assert not prefers_english(None)
    assert not prefers_english("fr")


def test_json_logs_mask_id_numbers_and_phones() -> None:
    record = logging.LogRecord(
        "qingeban.test",
        logging.INFO,
        __file__,
        1,
        "lookup of 11010519491231002X by 13812345678",
        None,
        None,
    )
    record.subject = "370202199001011234"
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "11010519491231002X" not in line
    assert "370202199001011234" not in line
    assert "13812345678" not in line
    assert entry["message"] == "lookup of 110105********002X by 138****5678"
    assert entry["subject"] == "370202********1234"


def test_production_refuses_the_demo_secret_and_the_demo_world() -> None:
    with pytest.raises(ValueError, match="QE_SECRET_KEY"):
        Settings(env="production", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="demo"):
        Settings(
            env="production",
            secret_key="x" * 40,
            demo=True,
            _env_file=None,  # type: ignore[call-arg]
        )
    ok = Settings(env="production", secret_key="s" * 40, _env_file=None, **PRODUCTION_SMS)  # type: ignore[call-arg]
    assert ok.secret_key.get_secret_value() != DEMO_SECRET_KEY


async def test_admin_api_needs_a_platform_admin_token_in_production(database: Database) -> None:
    # Without a platform admin's access token, production exposes neither jobs nor audit records.
    settings = Settings(
        env="production",
        secret_key="p" * 40,
        database_url="sqlite+aiosqlite:///unused.db",
        inprocess_worker=False,
        _env_file=None,  # type: ignore[call-arg]
        **PRODUCTION_SMS,
    )
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as http,
    ):
        for path in ("/api/v1/admin/jobs", "/api/v1/admin/audit/verify"):
            response = await http.get(path)
            assert response.status_code == 401, path
            assert response.headers["content-type"] == PROBLEM
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert response.json()["code"] == "auth.unauthenticated"
        # Public catalog routes stay open.
        assert (await http.get("/api/v1/districts")).status_code == 200


async def test_a_lost_database_connection_is_a_503_to_retry(
    settings: Settings, database: Database
) -> None:
    """Pooled connections are not pinged before use: after a database restart, a stale one
    fails once, and the caller is told to retry (503 with Retry-After), not shown a 500.

    On PostgreSQL the server really drops the pooled connection; the embedded SQLite file has
    no server to restart, so there a route raises what SQLAlchemy raises in that case.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    app = create_app(settings, database=database)
    probe = APIRouter()

    @probe.get("/probe")
    async def use_the_database() -> dict[str, int]:
        async with database.session(write=False) as session:
            if not database.is_postgresql:
                raise DBAPIError(
                    "SELECT 1", {}, ConnectionError("gone"), connection_invalidated=True
                )
            return {"one": int(await session.scalar(text("SELECT 1")) or 0)}

    app.include_router(probe)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        if database.is_postgresql:
            async with database.engine.connect() as other:  # held, so /probe pools another
                assert (await http.get("/probe")).status_code == 200
                await other.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ))  # fmt: skip
                lost = await http.get("/probe")  # on the pooled connection the server dropped
        else:
            lost = await http.get("/probe")
        assert lost.status_code == 503, lost.text
        assert lost.headers["content-type"] == PROBLEM
        assert lost.headers["retry-after"] == "1"
        assert lost.json()["code"] == "service.database_unavailable"
        if database.is_postgresql:
            assert (await http.get("/probe")).status_code == 200, "the pool reconnected"
