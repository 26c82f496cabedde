"""A client generated from the served OpenAPI document works: `openapi-python-client` builds a
typed package from /openapi.json, and through it a partner's developer searches the catalog,
logs a person in and reads `/me` with typed models — the bearer token sent because the document
says `/me` needs it (the generated function takes only an `AuthenticatedClient`)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import httpx
from persona_support import PERSONAS

from app.adapters.simulator.personas import DEMO_PASSWORD
from app.config import Settings
from app.db import Database
from app.main import create_app

PACKAGE = "qe_generated_client"


def _generate(spec: dict[str, object], workdir: Path) -> None:
    (workdir / "openapi.json").write_text(json.dumps(spec, ensure_ascii=False))
    (workdir / "config.yaml").write_text("post_hooks: []\n")  # no formatter needed to run it
    done = subprocess.run(
        [str(Path(sys.executable).parent / "openapi-python-client"), "generate",
         "--path", "openapi.json", "--meta", "none", "--output-path", PACKAGE,
         "--config", "config.yaml"],
        cwd=workdir, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # Only the binary downloads (files, a compact JWS) are left out, and said so.
    for line in done.stdout.splitlines():
        if line.startswith("WARNING"):
            assert "status-lists" in line or "materials" in line or "uploads" in line, line


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


async def test_a_generated_client_searches_logs_in_and_reads_me(
    settings: Settings, database: Database, world: None, tmp_path: Path
) -> None:
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            spec = (await http.get("/openapi.json")).json()
        _generate(spec, tmp_path)
        sys.path.insert(0, str(tmp_path))
        try:
            generated = _module("client")
            search = _module("api.catalog.catalog_search_services")
            login = _module("api.identity.identity_login")
            get_me = _module("api.identity.identity_get_me")
            models = _module("models")

            anonymous = generated.Client(base_url="http://t", httpx_args={"transport": transport})
            page = await search.asyncio(client=anonymous, q="公积金", limit=5)
            assert isinstance(page, models.ServicePage), page
            assert page.items
            assert all(isinstance(item, models.ServiceSummary) for item in page.items)

            renter = PERSONAS["renter"]
            body = models.PasswordLogin(method="password", login=renter.login,
                                        password=DEMO_PASSWORD)  # fmt: skip
            tokens = await login.asyncio(client=anonymous, body=body)
            assert isinstance(tokens, models.TokenResponse), tokens

            signed_in = generated.AuthenticatedClient(
                base_url="http://t", token=tokens.access_token, httpx_args={"transport": transport}
            )
            me = await get_me.asyncio(client=signed_in)
            assert isinstance(me, models.MeRead), me
            assert me.phone == renter.login
            assert me.name == renter.name

            # The same call without the token is a typed problem, not a crash.
            nobody = generated.AuthenticatedClient(
                base_url="http://t", token="not-a-token", httpx_args={"transport": transport}
            )
            refused = await get_me.asyncio(client=nobody)
            assert isinstance(refused, models.Problem)
            assert refused.code == "auth.invalid_token"
        finally:
            sys.path.remove(str(tmp_path))
            for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
                del sys.modules[name]
