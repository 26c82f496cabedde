"""Every route of the admin API (/api/v1/admin/) refuses a token without the `admin` scope, even
a token of a staff member whose role the route serves.

The routes are taken from the app's router, so a new admin route that forgets the scope fails
here. Each is called twice per role its guard names: with the role's everyday token (the scopes
the platform's app grants by default, which leave out `admin`) it must answer 403
`auth.insufficient_scope`; with the same role's `admin` token it must get past the guard, so that
the 403 is the scope's doing and not the role's.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from app.auth.models import StaffRole
from app.config import Settings
from app.dependencies import RequireAdmin
from app.main import create_app

ADMIN_API = "/api/v1/admin/"
# What the platform's app grants a staff member's sign-in that does not ask for more.
EVERYDAY_SCOPES = "openid profile phone realname staff"
# The department each role signs in from: the rent service below is the housing fund's (gjj),
# so that a department admin's request is about their own department's service.
DEPARTMENT = {StaffRole.PLATFORM_ADMIN: "xzsp", StaffRole.DEPARTMENT_ADMIN: "gjj"}
# Path parameters that name something real; any other gets a fresh UUID (a record not found).
PATH_VALUES = {"code": "gjj.withdraw.rent", "version": "2"}
# The routes of issue 13 (the rulesets) and the audit route, which refused such a token even
# then: the enumeration must find them, or it finds nothing and proves nothing.
EXPECTED = {
    ("GET", "/api/v1/admin/services/{code}/rulesets"),
    ("POST", "/api/v1/admin/services/{code}/rulesets"),
    ("POST", "/api/v1/admin/services/{code}/rulesets/{version}/test"),
    ("POST", "/api/v1/admin/services/{code}/rulesets/{version}/publish"),
    ("GET", "/api/v1/admin/audit/verify"),
}

MakeStaff = Callable[..., Awaitable[dict[str, str]]]


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


@dataclass(frozen=True)
class AdminRoute:
    """An admin route's guard as the router declares it."""

    guarded: bool  # by RequireAdmin, the guard that checks the scope
    roles: tuple[StaffRole, ...]  # the roles it admits


def _admin_routes(app: FastAPI) -> dict[tuple[str, str], AdminRoute]:
    """Every admin route of the app's router, with its guard."""
    found: dict[tuple[str, str], AdminRoute] = {}
    for route in iter_route_contexts(app.routes):
        if route.path is None or not route.path.startswith(ADMIN_API):
            continue
        dependant = getattr(route, "dependant", None)
        calls = list(_calls(dependant)) if dependant is not None else []
        guards = [call for call in calls if isinstance(call, RequireAdmin)]
        # A route without the guard is still called as a platform admin, the role every admin
        # route admits, so that it fails below by what it answers, not only by its declaration.
        roles = tuple(role for guard in guards for role in guard.roles)
        for method in route.methods or ():
            found[(method, route.path)] = AdminRoute(
                bool(guards), roles or (StaffRole.PLATFORM_ADMIN,)
            )
    return found


@pytest.fixture
def admin_routes(settings: Settings) -> dict[tuple[str, str], AdminRoute]:
    """The admin routes of an app built as the server builds it."""
    return _admin_routes(create_app(settings))


def _url(path: str) -> str:
    for name in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
        path = path.replace(f"{{{name}}}", PATH_VALUES.get(name, str(uuid.uuid4())))
    return path


async def _call(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]
) -> httpx.Response:
    body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    return await client.request(method, _url(path), headers=headers, **body)


def test_every_admin_route_declares_the_admin_guard(
    admin_routes: dict[tuple[str, str], AdminRoute],
) -> None:
    assert set(admin_routes) >= EXPECTED, "the admin routes were not found in the app's router"
    unguarded = sorted(key for key, route in admin_routes.items() if not route.guarded)
    assert not unguarded, f"{unguarded}: guard them with RequireAdmin (app.dependencies)"


async def test_every_admin_route_refuses_a_token_without_the_admin_scope(
    admin_routes: dict[tuple[str, str], AdminRoute],
    client: httpx.AsyncClient,
    staff_headers: MakeStaff,
) -> None:
    assert set(admin_routes) >= EXPECTED, "the admin routes were not found in the app's router"
    roles = sorted({role for route in admin_routes.values() for role in route.roles})
    everyday, admin = {}, {}
    for role in roles:
        department = DEPARTMENT.get(role, "xzsp")
        everyday[role] = await staff_headers(
            f"{role.value}.everyday", role, department=department, scope=EVERYDAY_SCOPES
        )
        admin[role] = await staff_headers(
            f"{role.value}.admin", role, department=department, scope=f"{EVERYDAY_SCOPES} admin"
        )

    let_in, refused_anyway = [], []
    for (method, path), route in sorted(admin_routes.items()):
        for role in route.roles:
            refused = await _call(client, method, path, everyday[role])
            problem = refused.json() if refused.status_code == 403 else {}
            if (
                refused.status_code != 403
                or refused.headers["content-type"] != "application/problem+json"
                or problem.get("code") != "auth.insufficient_scope"
                or problem.get("required_scope") != "admin"
            ):
                let_in.append((method, path, role.value, refused.status_code, refused.text[:200]))
            allowed = await _call(client, method, path, admin[role])
            if allowed.status_code in (401, 403):
                refused_anyway.append((method, path, role.value, allowed.status_code))
    assert not let_in, f"admin routes that serve a token without the `admin` scope: {let_in}"
    assert not refused_anyway, f"the role's `admin` token is refused too: {refused_anyway}"
