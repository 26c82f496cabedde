"""Helpers of the identity tests: how browsers and relying parties talk to the provider."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from fastapi import FastAPI
from http_checks import designed_unavailable
from sqlalchemy import update

from app.audit.schemas import AuditContext
from app.auth import service as auth
from app.auth.models import SigningKey
from app.config import Settings
from app.db import Database
from app.jobs.worker import Worker
from app.kit.clock import utcnow

ISSUER = "http://127.0.0.1:8000"
PASSWORD = "Citizen-2026"
BROWSER_ADDRESS = ("198.51.100.7", 40000)


async def refuse_server_errors(response: httpx.Response) -> None:
    """No answer of the provider may be a 5xx, but a problem+json 503 ("retry later")."""
    if response.status_code >= 500:
        await response.aread()
        if designed_unavailable(response):
            return
        raise AssertionError(f"{response.request.url} answered {response.status_code}")


def free_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def transport(app: FastAPI, address: tuple[str, int] = BROWSER_ADDRESS) -> httpx.ASGITransport:
    """An in-process transport to the app, as if from `address`."""
    return httpx.ASGITransport(app=app, raise_app_exceptions=False, client=address)


@dataclass
class RegisteredClient:
    """A client registered through the admin API."""

    client_id: str
    client_secret: str | None
    redirect_uri: str
    post_logout_redirect_uri: str
    body: dict[str, Any]


@dataclass
class Pkce:
    """A PKCE verifier and its S256 challenge."""

    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of the login page's first form."""
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page))


def query_of(url: str) -> dict[str, str]:
    """The query parameters of a redirect."""
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


class Provider:
    """Helpers that drive the provider the way relying parties and people do."""

    def __init__(
        self, api: httpx.AsyncClient, database: Database, settings: Settings, admin: dict[str, str]
    ) -> None:
        self.api = api
        self.database = database
        self.settings = settings
        self.admin = admin
        self._clients = 0

    async def register(self, kind: str = "department", **fields: Any) -> RegisteredClient:
        """Register a client through the admin API."""
        self._clients += 1
        host = f"rp{self._clients}.example.gov.cn"
        redirect = fields.pop("redirect_uri", f"https://{host}/callback")
        after_logout = f"https://{host}/signed-out"
        body: dict[str, Any] = {"name": f"部门系统 {self._clients}", "kind": kind}
        if kind != "partner":
            body.update(redirect_uris=[redirect], post_logout_redirect_uris=[after_logout])
        body.update(fields)
        response = await self.api.post("/api/v1/admin/clients", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        created = response.json()
        return RegisteredClient(
            created["client_id"], created["client_secret"], redirect, after_logout, created
        )

    async def person(
        self,
        phone: str,
        *,
        password: str | None = PASSWORD,
        name: str | None = None,
        id_number: str | None = None,
    ) -> str:
        """A person account (what the registration API will do); its id."""
        async with self.database.session() as session:
            account = await auth.create_person_account(
                session,
                self.settings,
                phone=phone,
                password=password,
                name=name,
                id_number=id_number,
                audit_context=AuditContext(),
                actor=("system", "tests"),
            )
        return str(account.id)

    def authorize_params(
        self, client: RegisteredClient, pkce: Pkce, **overrides: str | None
    ) -> dict[str, str]:
        """The query of an authorization request with PKCE S256, state and nonce."""
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": client.redirect_uri,
            "scope": "openid profile phone realname",
            "state": secrets.token_urlsafe(12),
            "nonce": secrets.token_urlsafe(12),
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {name: value for name, value in params.items() if value is not None}

    async def login_page(
        self, browser: httpx.AsyncClient, client: RegisteredClient, pkce: Pkce, **overrides: str
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Open the authorization URL in the browser; (authorize params, login form fields)."""
        params = self.authorize_params(client, pkce, **overrides)
        page = await browser.get("/oauth/authorize", params=params)
        assert page.status_code == 200, page.text
        return params, hidden_fields(page.text)

    async def sign_in(
        self,
        browser: httpx.AsyncClient,
        client: RegisteredClient,
        pkce: Pkce,
        *,
        login: str,
        password: str = PASSWORD,
        **overrides: str,
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Log in through the login form; (authorize params, callback query with the code)."""
        params, form = await self.login_page(browser, client, pkce, **overrides)
        answer = await browser.post(
            "/oauth/login", data={**form, "login": login, "password": password}
        )
        assert answer.status_code == 303, answer.text
        location = answer.headers["location"]
        assert location.startswith(client.redirect_uri + "?")
        return params, query_of(location)

    async def token(self, client: RegisteredClient, **form: str) -> httpx.Response:
        """POST /oauth/token with client_secret_post."""
        data = {"client_id": client.client_id, **form}
        if client.client_secret is not None:
            data["client_secret"] = client.client_secret
        return await self.api.post("/oauth/token", data=data)

    async def introspect(self, client: RegisteredClient, token: str) -> dict[str, Any]:
        """POST /oauth/introspect with client_secret_basic: the answer's body (a 200)."""
        response = await self.api.post(
            "/oauth/introspect",
            data={"token": token},
            auth=(client.client_id, client.client_secret or ""),
        )
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    async def tokens_for(
        self, browser: httpx.AsyncClient, client: RegisteredClient, *, login: str, **overrides: str
    ) -> dict[str, Any]:
        """Sign in and redeem the code: the token response."""
        pkce = Pkce()
        params, callback = await self.sign_in(browser, client, pkce, login=login, **overrides)
        response = await self.token(
            client,
            grant_type="authorization_code",
            code=callback["code"],
            redirect_uri=params["redirect_uri"],
            code_verifier=pkce.verifier,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    @staticmethod
    def unverified_claims(token: str) -> dict[str, Any]:
        """The claims of a JWT, unverified (the tests that verify use Authlib)."""
        payload = token.split(".")[1]
        claims: dict[str, Any] = json.loads(
            base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        )
        return claims

    async def run_jobs(self) -> int:
        """Run the queued jobs once, as a worker does."""
        return await Worker(self.database, self.settings, backoff_base=0.01).run_once()

    async def demo_sms_code(self, phone: str) -> str:
        """The code in the newest text to `phone` (the demo SMS inbox)."""
        from app.auth import sms

        async with self.database.session(write=False) as session:
            (message, *_) = await sms.demo_messages(session, self.settings, phone, 1)
        match = re.search(r"\d{6}", message.body)
        assert match is not None
        return match.group()


@dataclass
class Receiver:
    """Back-channel logout endpoints of relying parties, on a real local HTTP server."""

    port: int
    received: list[tuple[str, str]] = field(default_factory=list)
    failures_left: dict[str, int] = field(default_factory=dict)

    def url(self, name: str) -> str:
        """The back-channel logout URI of relying party `name`."""
        return f"http://127.0.0.1:{self.port}/backchannel/{name}"

    def tokens(self, name: str) -> list[str]:
        """The logout tokens relying party `name` accepted."""
        return [token for who, token in self.received if who == name]


def authorize_url(params: dict[str, str]) -> str:
    """The full authorization URL of a query."""
    return f"{ISSUER}/oauth/authorize?{urlencode(params)}"


async def publish_next_key_now(database: Database) -> None:
    """Make the next signing key published just now (the template's keys were made when the
    suite started, which may be longer ago than the JWKS cache age a rotation waits for)."""
    async with database.session() as session:
        await session.execute(
            update(SigningKey).where(SigningKey.state == "next").values(created_at=utcnow())
        )
