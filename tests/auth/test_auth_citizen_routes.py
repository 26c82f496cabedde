"""Who may act as the citizen: every route of the citizen API against every kind of caller.

A person signing in to a partner's site or a department's system lets that client know who they
are, not act as them: only the platform's own app, or a client an admin granted the scope
`citizen` (and the person consented to it), reads their data, applies, uploads and handles
their licenses. The list of citizen routes is taken from the app's router, so that a new route
cannot be left out of the matrix.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from oidc_support import Pkce, Provider, RegisteredClient, query_of
from persona_support import PERSONAS, PNG, Headers, SignIn

from app.adapters.service import reset_exchange
from app.adapters.simulator.personas import DEMO_PASSWORD
from app.auth import scopes
from app.auth.dependencies import RequireStaff, citizen_api_principal, current_staff
from app.auth.errors import ScopeMissing
from app.auth.models import ClientKind, StaffRole
from app.dependencies import RequireAdmin, get_optional_principal, get_principal
from app.kit.clock import utcnow

# The persona acts for her enterprise, whose hygiene permit is in its wallet (a license a
# person cannot read as herself, and a holder can share).
PERSONA = PERSONAS["hygiene"]
USER_SCOPES = "openid profile phone realname"
OPENAPI = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"

# The callers of the matrix.
FIRST_PARTY = "first-party app, person"
ENTERPRISE = "first-party app, acting for the enterprise"
PARTNER = "partner's user token"
DEPARTMENT = "department system's user token"
CLIENT_CREDENTIALS = "client credentials"
STAFF = "staff member (first-party app)"
CALLERS = (FIRST_PARTY, ENTERPRISE, PARTNER, DEPARTMENT, CLIENT_CREDENTIALS, STAFF)


@dataclass(frozen=True)
class Context:
    """What the requests refer to: the enterprise's license."""

    license_no: str


@dataclass(frozen=True)
class CitizenRoute:
    """A route of the citizen API, a request that reaches its logic, and who gets what.

    `person` and `enterprise` are the answers to the first-party app's person and enterprise
    tokens (403: the route serves people only, as the code decides); `staff` is a clerk's.
    """

    method: str
    path: str
    person: int
    enterprise: int
    staff: int = 403
    request: Callable[[Context], dict[str, Any]] = field(default=lambda _: {})

    def expected(self, caller: str) -> tuple[int, str | None]:
        """The status (and problem code, where it matters) the caller must get."""
        if caller in (PARTNER, DEPARTMENT):
            return 403, ScopeMissing.code
        return {
            FIRST_PARTY: (self.person, None),
            ENTERPRISE: (self.enterprise, None),
            CLIENT_CREDENTIALS: (403, None),
            STAFF: (self.staff, None),
        }[caller]


def _json(body: dict[str, Any]) -> Callable[[Context], dict[str, Any]]:
    return lambda _: {"json": body}


def _share(_: Context) -> dict[str, Any]:
    until = (utcnow() + timedelta(days=7)).isoformat()
    return {"json": {"purpose": "向检查人员出示卫生许可证", "fields": [], "expires_at": until}}


NOBODY = str(uuid.uuid4())
LICENSE = "/api/v1/licenses/{license_no}"
CITIZEN_ROUTES = {
    (route.method, route.path): route
    for route in (
        CitizenRoute("GET", "/api/v1/me", 200, 403),
        CitizenRoute("GET", "/api/v1/me/data-access-log", 200, 403),
        CitizenRoute("GET", "/api/v1/me/licenses", 200, 200),
        # The inbox: a person's own, or the enterprise's for whoever acts for it.
        CitizenRoute("GET", "/api/v1/me/messages", 200, 200),
        CitizenRoute("POST", "/api/v1/me/messages/{message_id}/read", 404, 404),
        CitizenRoute("GET", "/api/v1/me/sms-preferences", 200, 403),
        CitizenRoute(
            "PUT", "/api/v1/me/sms-preferences", 200, 403,
            request=_json({"event_type": "license.issued", "enabled": False}),
        ),
        CitizenRoute(
            "POST", "/api/v1/auth/face-verification", 200, 403,
            request=_json({"selfie_token": "selfie-2026-11-24"}),
        ),
        CitizenRoute(
            "POST", "/api/v1/auth/act-as", 200, 403,
            request=_json({"uscc": PERSONA.enterprise_uscc}),
        ),
        # An unknown service: refused as an application (422) once the caller is admitted.
        CitizenRoute(
            "POST", "/api/v1/applications", 422, 422,
            request=_json({"service_code": "no.such.service", "form": {}}),
        ),
        CitizenRoute("GET", "/api/v1/applications", 200, 200),
        CitizenRoute("GET", "/api/v1/applications/{application_id}", 404, 404),
        CitizenRoute(
            "POST", "/api/v1/applications/{application_id}/withdraw", 404, 404, request=_json({})
        ),
        CitizenRoute(
            "POST", "/api/v1/applications/{application_id}/supplement", 404, 404,
            request=_json({"form": {}}),
        ),
        CitizenRoute("GET", "/api/v1/services/{code}/prefill", 200, 200),
        CitizenRoute(
            "POST", "/api/v1/uploads", 201, 201,
            request=lambda _: {"files": {"file": ("scan.png", PNG, "image/png")}},
        ),
        CitizenRoute("GET", "/api/v1/uploads/{upload_id}", 404, 404),
        # The enterprise's license: the person as herself is not its holder (404); a clerk of
        # another department than its issuer reads it as not found, too.
        CitizenRoute("GET", LICENSE, 404, 200, staff=404),
        CitizenRoute("GET", LICENSE + "/credential", 404, 200, staff=404),
        CitizenRoute("POST", LICENSE + "/shares", 404, 201, request=_share),
        CitizenRoute("GET", LICENSE + "/shares", 404, 200),
        CitizenRoute("DELETE", LICENSE + "/shares/{share_id}", 404, 404),
        CitizenRoute("GET", LICENSE + "/shares/{share_id}/qr", 404, 404),
        # The city code is the person's own: never an enterprise's.
        CitizenRoute("GET", "/api/v1/me/code", 200, 403),
        CitizenRoute("GET", "/api/v1/me/code/qr", 200, 403),
        # Renewal offers are the person's, whether or not they act for the enterprise.
        CitizenRoute("GET", "/api/v1/me/offers", 200, 200),
        CitizenRoute("POST", "/api/v1/me/offers/{offer_id}/accept", 404, 404),
        CitizenRoute(
            "POST", "/api/v1/me/offers/{offer_id}/decline", 404, 404,
            request=_json({"reason": "不需要"}),
        ),
        # Bundles are filed and confirmed by people in their own name (403 acting for an
        # enterprise); an unknown bundle or case is 404 once admitted.
        CitizenRoute("GET", "/api/v1/bundles/{code}/prefill", 404, 403),
        CitizenRoute(
            "POST", "/api/v1/bundles/{code}/applications", 404, 403, request=_json({"form": {}})
        ),
        CitizenRoute("GET", "/api/v1/bundles/applications/{case_id}", 404, 403),
        CitizenRoute("POST", "/api/v1/bundles/applications/{case_id}/confirm", 404, 403),
    )
}  # fmt: skip

# Routes that take a caller but do not act for a person; each says who it is for.
NOT_CITIZEN_ROUTES = {
    ("POST", "/api/v1/licenses"): "issuers",
    ("POST", LICENSE + "/suspend"): "issuers",
    ("POST", LICENSE + "/reinstate"): "issuers",
    ("POST", LICENSE + "/revoke"): "issuers",
    ("POST", LICENSE + "/cancel"): "issuers",
    ("POST", LICENSE + "/renew"): "issuers",
    ("POST", "/api/v1/licenses/verify"): "public verification; a partner may name itself",
    ("GET", "/api/v1/licenses/verify"): "public verification; a partner may name itself",
    ("POST", "/api/v1/codes/verify"): "counter clerks and `code.verify` systems, never a person",
    ("GET", "/api/v1/stats/overview"): "platform admins, auditors and `stats.read` clients",
    ("GET", "/api/v1/audit/checkpoints"): "platform admins and auditors",
    ("GET", "/api/v1/audit/jwks"): "platform admins and auditors",
    ("GET", "/api/v1/services"): "everyone; a citizen's own app gets their district's copies",
    ("POST", "/api/v1/webhooks/subscriptions"): "partners and department systems (`webhooks`)",
    ("GET", "/api/v1/webhooks/subscriptions"): "partners and department systems (`webhooks`)",
    ("DELETE", "/api/v1/webhooks/subscriptions/{subscription_id}"): "`webhooks` clients",
    ("POST", "/api/v1/webhooks/subscriptions/{subscription_id}/rotate-secret"): "`webhooks`",
    ("GET", "/api/v1/webhooks/deliveries"): "partners and department systems (`webhooks`)",
    ("POST", "/api/v1/webhooks/deliveries/{delivery_id}/retry"): "`webhooks` clients",
}


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _routes_with_a_caller(app: FastAPI) -> dict[tuple[str, str], list[Any]]:
    """Every route that authenticates its caller, with the dependencies it calls."""
    found: dict[tuple[str, str], list[Any]] = {}
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None or route.path is None:
            continue
        calls = list(_calls(dependant))
        if get_principal in calls or get_optional_principal in calls:
            for method in route.methods or ():
                found[(method, route.path)] = calls
    return found


def _is_staff_route(calls: list[Any]) -> bool:
    return any(
        call is current_staff or isinstance(call, RequireStaff | RequireAdmin) for call in calls
    )


def test_the_matrix_covers_every_citizen_route_of_the_app(app: FastAPI) -> None:
    routes = _routes_with_a_caller(app)
    guarded = {key for key, calls in routes.items() if citizen_api_principal in calls}
    assert guarded == set(CITIZEN_ROUTES), (
        "a route guarded by CitizenApiPrincipal needs a row in CITIZEN_ROUTES, and a row there "
        "a route that takes CitizenApiPrincipal (or CurrentCitizen / CurrentEnterpriseAgent)"
    )
    unclassified = {
        key
        for key, calls in routes.items()
        if key not in guarded and key not in NOT_CITIZEN_ROUTES and not _is_staff_route(calls)
    }
    assert not unclassified, (
        f"{sorted(unclassified)} take a caller: act for the person (CitizenApiPrincipal) or say "
        "in NOT_CITIZEN_ROUTES whom they serve"
    )
    assert not set(NOT_CITIZEN_ROUTES) - set(routes), "a route in NOT_CITIZEN_ROUTES is gone"
    mine = {key for key in routes if key[1] == "/api/v1/me" or key[1].startswith("/api/v1/me/")}
    assert mine <= guarded, "everything under /api/v1/me acts for the person"


def test_every_citizen_route_documents_the_scope_refusal() -> None:
    document = json.loads(OPENAPI.read_text(encoding="utf-8"))
    for method, path in CITIZEN_ROUTES:
        responses = document["paths"][path][method.lower()]["responses"]
        assert "401" in responses, (method, path)
        assert ScopeMissing.title_en in responses["403"]["description"], (method, path)


@pytest.fixture(autouse=True)
def fresh_exchange() -> Iterator[None]:
    reset_exchange()  # act-as and prefill ask the simulated departments
    yield
    reset_exchange()


async def _user_token(
    provider: Provider, browser: httpx.AsyncClient, client: RegisteredClient, scope: str
) -> Headers:
    """The persona signs in to `client` through the authorization code flow (on the login
    page every time: her single sign-on session would otherwise answer at once)."""
    tokens = await provider.tokens_for(
        browser, client, login=PERSONA.login, password=DEMO_PASSWORD, scope=scope, prompt="login"
    )
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def _partner(provider: Provider, *granted: str) -> RegisteredClient:
    """A partner that signs people in, with the user scopes and those `granted` by the admin."""
    redirect = "https://partner.example.com/callback"
    return await provider.register(
        "partner",
        redirect_uri=redirect,
        redirect_uris=[redirect],
        grant_types=["authorization_code", "refresh_token"],
        scopes=[*USER_SCOPES.split(), *granted],
    )


async def _caller(
    caller: str,
    *,
    sign_in: SignIn,
    provider: Provider,
    browser: httpx.AsyncClient,
    staff_headers: Callable[..., Awaitable[Headers]],
) -> Headers:
    if caller == FIRST_PARTY:
        return await sign_in(PERSONA.key)
    if caller == ENTERPRISE:
        return await sign_in(PERSONA.key, enterprise=True)
    if caller == PARTNER:
        return await _user_token(provider, browser, await _partner(provider), USER_SCOPES)
    if caller == DEPARTMENT:
        return await _user_token(provider, browser, await provider.register(), USER_SCOPES)
    if caller == CLIENT_CREDENTIALS:
        partner = await provider.register("partner", scopes=["licenses.verify", "stats.read"])
        token = await provider.token(partner, grant_type="client_credentials")
        assert token.status_code == 200, token.text
        return {"Authorization": f"Bearer {token.json()['access_token']}"}
    return await staff_headers("matrix.clerk", StaffRole.CLERK, department="gjj")


async def _context(client: httpx.AsyncClient, sign_in: SignIn) -> Context:
    enterprise = await sign_in(PERSONA.key, enterprise=True)
    wallet = await client.get("/api/v1/me/licenses", headers=enterprise)
    assert wallet.status_code == 200, wallet.text
    valid = [item for item in wallet.json()["items"] if item["status"] == "valid"]
    assert valid, "the enterprise holds a valid license"
    return Context(license_no=valid[0]["license_no"])


def _url(route: CitizenRoute, context: Context) -> str:
    # Unknown ids (404 once admitted), the enterprise's license, an enterprise service.
    return route.path.format(
        application_id=NOBODY,
        case_id=NOBODY,
        upload_id=NOBODY,
        message_id=NOBODY,
        share_id=NOBODY,
        offer_id=NOBODY,
        license_no=context.license_no,
        code="wjw.hygiene-permit.renew",
    )


@pytest.mark.parametrize("caller", CALLERS)
async def test_citizen_routes_admit_only_callers_that_may_act_for_the_person(
    caller: str,
    client: httpx.AsyncClient,
    sign_in: SignIn,
    provider: Provider,
    browser: httpx.AsyncClient,
    staff_headers: Callable[..., Awaitable[Headers]],
) -> None:
    context = await _context(client, sign_in)
    headers = await _caller(
        caller, sign_in=sign_in, provider=provider, browser=browser, staff_headers=staff_headers
    )
    wrong = []
    for (method, _), route in CITIZEN_ROUTES.items():
        url = _url(route, context)
        response = await client.request(method, url, headers=headers, **route.request(context))
        status, code = route.expected(caller)
        answered = response.json().get("code") if response.status_code >= 400 else None
        if response.status_code != status or (code is not None and answered != code):
            wrong.append(f"{method} {route.path}: {response.status_code} {answered}")
    assert not wrong, f"{caller} got, against the matrix:\n" + "\n".join(wrong)


async def test_a_partner_granted_citizen_acts_for_a_person_who_consented(
    client: httpx.AsyncClient, sign_in: SignIn, provider: Provider, browser: httpx.AsyncClient
) -> None:
    await sign_in(PERSONA.key)  # the demo world
    partner = await _partner(provider, scopes.CITIZEN)
    assert scopes.CITIZEN in partner.body["scopes"], "granted by the admin at registration"
    consented = await _user_token(provider, browser, partner, "openid citizen")
    me = await client.get("/api/v1/me", headers=consented)
    assert me.status_code == 200, me.text
    assert me.json()["phone"] == PERSONA.login
    acting = await client.post(
        "/api/v1/auth/act-as", headers=consented, json={"uscc": PERSONA.enterprise_uscc}
    )
    assert acting.status_code == 200, acting.text
    assert scopes.CITIZEN in acting.json()["scope"].split(), "the acting token keeps it"
    enterprise = {"Authorization": f"Bearer {acting.json()['access_token']}"}
    wallet = await client.get("/api/v1/me/licenses", headers=enterprise)
    assert wallet.status_code == 200, wallet.text
    assert wallet.json()["items"], "the enterprise's licenses"

    # The same partner, signed in to without asking for `citizen`: the person did not consent.
    not_asked = await _user_token(provider, browser, partner, "openid profile")
    refused = await client.get("/api/v1/me", headers=not_asked)
    assert refused.status_code == 403
    assert refused.json()["code"] == "auth.scope_missing"


async def test_the_refusal_names_the_missing_scope_in_both_languages(
    client: httpx.AsyncClient, sign_in: SignIn, provider: Provider, browser: httpx.AsyncClient
) -> None:
    await sign_in(PERSONA.key)  # the demo world
    headers = await _user_token(provider, browser, await _partner(provider), "openid")
    refused = await client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert (body["code"], body["required_scope"]) == ("auth.scope_missing", "citizen")
    assert body["title"] == ScopeMissing.title_zh
    challenge = refused.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="citizen"' in challenge
    english = await client.get("/api/v1/me", headers={**headers, "Accept-Language": "en"})
    assert english.json()["title"] == "This client may not act for the signed-in person"
    assert "citizen" in english.json()["detail"]
    assert PERSONA.id_number not in refused.text + english.text


async def test_only_an_admin_grants_citizen_and_only_to_clients_that_sign_people_in(
    provider: Provider, browser: httpx.AsyncClient
) -> None:
    assert all(scopes.CITIZEN not in granted for granted in scopes.DEFAULT_SCOPES.values())
    for kind in ("partner", "department"):
        registered = await provider.register(kind)
        assert scopes.CITIZEN not in registered.body["scopes"], kind
    first_party = await provider.api.post(
        "/api/v1/admin/clients",
        headers=provider.admin,
        json={"name": "另一个 App", "kind": ClientKind.FIRST_PARTY.value,
              "redirect_uris": ["qingeban-other://cb"], "scopes": ["openid", "citizen"]},
    )  # fmt: skip
    assert first_party.status_code == 422, "the first party needs no grant"
    app_client = await provider.api.get(
        "/api/v1/admin/clients/qingeban-app", headers=provider.admin
    )
    assert scopes.CITIZEN not in app_client.json()["scopes"]

    # A client not granted it cannot ask a person for it.
    partner = await _partner(provider)
    page = await browser.get(
        "/oauth/authorize",
        params=provider.authorize_params(partner, Pkce(), scope="openid citizen"),
    )
    assert page.status_code in (302, 303), page.text
    assert query_of(page.headers["location"])["error"] == "invalid_scope"
    # Nor does a granted one get it without a person (client credentials).
    machine = await provider.register(
        "partner",
        redirect_uri="https://machine.example.com/cb",
        redirect_uris=["https://machine.example.com/cb"],
        grant_types=["authorization_code", "client_credentials"],
        scopes=["openid", "citizen", "licenses.verify"],
    )
    token = await provider.token(machine, grant_type="client_credentials", scope="citizen")
    assert token.status_code == 400
    assert token.json()["error"] == "invalid_scope"


async def test_search_reads_where_a_person_lives_only_for_a_client_that_may_act_for_them(
    client: httpx.AsyncClient, sign_in: SignIn, provider: Provider, browser: httpx.AsyncClient
) -> None:
    query = {"q": "营业执照补领"}
    own_app = await sign_in(PERSONA.key)
    partner = await _user_token(provider, browser, await _partner(provider), USER_SCOPES)
    seen = (await client.get("/api/v1/services", params=query, headers=partner)).json()
    assert seen["items"][0]["district"] is None, "the partner gets the city-wide item"
    log = (await client.get("/api/v1/me/data-access-log", headers=own_app)).json()["items"]
    assert not [item for item in log if item["dataset"] == "household-registration"]
    mine = (await client.get("/api/v1/services", params=query, headers=own_app)).json()
    assert mine["items"][0]["district"] is not None, "her own app gets her district's copy"
