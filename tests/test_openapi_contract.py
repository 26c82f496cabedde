"""What every operation of the committed OpenAPI document must list, by what its route does.

The fuzzing (test_openapi_fuzz.py) finds undocumented answers by provoking them; this finds the
ones it cannot provoke (a token that does not verify on a public route, a database connection
lost mid-flight, an Idempotency-Key still in flight), by reading the routes of the app's router.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from settings_support import make_settings

from app.dependencies import (
    get_autocommit_session,
    get_database,
    get_optional_principal,
    get_principal,
    get_session,
    get_write_session,
)
from app.errors import PROBLEM_JSON
from app.idempotency.middleware import CREATING_ROUTES
from app.main import create_app

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
DATABASE = {get_session, get_write_session, get_autocommit_session, get_database}


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _operations() -> Iterator[tuple[str, str, set[Any], dict[str, Any]]]:
    """(method, path, the route's dependencies, the committed operation) of every operation."""
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    app = create_app(make_settings("sqlite+aiosqlite:///unused.db"))
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None or route.path not in document["paths"]:
            continue
        for method in sorted(route.methods or ()):
            operation = document["paths"][route.path].get(method.lower())
            if operation is not None:
                yield method, route.path, set(_calls(dependant)), operation


OPERATIONS = list(_operations())


def _missing(operation: dict[str, Any], *statuses: int) -> list[int]:
    """The statuses the operation does not list as a problem+json answer."""
    responses = operation["responses"]
    return [
        status
        for status in statuses
        if PROBLEM_JSON not in responses.get(str(status), {}).get("content", {})
    ]


def test_the_routes_were_found() -> None:
    assert len(OPERATIONS) >= 80


@pytest.mark.parametrize(("method", "path", "calls", "operation"), OPERATIONS)
def test_every_operation_lists_what_its_route_can_answer(
    method: str, path: str, calls: set[Any], operation: dict[str, Any]
) -> None:
    expected = set()
    if "requestBody" in operation:
        # The body does not parse (not JSON, not UTF-8, a broken form). One that parses but
        # does not fit is 422, which the fuzzing provokes where a schema can refuse a body.
        expected |= {400}
    if get_principal in calls:
        expected |= {401, 403}
    if get_optional_principal in calls:
        expected |= {401}  # a public route still refuses a token that does not verify
    if method == "POST" and any(pattern.match(path) for pattern in CREATING_ROUTES):
        expected |= {409, 422}  # an Idempotency-Key in flight, or reused with another body
    if calls & DATABASE:
        expected |= {503}  # a pooled connection lost to a database restart: retry
    missing = _missing(operation, *sorted(expected))
    assert not missing, f"{method} {path} does not document {missing}"


@pytest.mark.parametrize(("method", "path", "calls", "operation"), OPERATIONS)
def test_every_operation_that_needs_a_token_says_so(
    method: str, path: str, calls: set[Any], operation: dict[str, Any]
) -> None:
    # Generated clients send a token only where the document asks for one.
    security = operation.get("security")
    if get_principal in calls:
        assert security, f"{method} {path} needs a token and declares no security"
        assert {} not in security, f"{method} {path}: the token is not optional"
        assert {"bearer": []} in security
    elif get_optional_principal in calls:
        assert security is not None, f"{method} {path} reads an optional token"
        assert {} in security


def test_security_schemes_and_error_catalogue_are_published() -> None:
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    flows = schemes["oauth2"]["flows"]
    assert flows["authorizationCode"]["authorizationUrl"] == "/oauth/authorize"
    assert "licenses.verify" in flows["clientCredentials"]["scopes"]
    assert "/api/v1/errors" in document["paths"]
    names = list(document["components"]["schemas"])
    assert not [name for name in names if "__" in name], "schema names are unique and short"


async def test_the_error_catalogue_lists_each_code_with_its_status(client: Any) -> None:
    answer = await client.get("/api/v1/errors")
    assert answer.status_code == 200
    catalogue = {(entry["code"], entry["status"]): entry for entry in answer.json()}
    assert ("auth.login_failed", 400) in catalogue
    assert ("request.too_large", 413) in catalogue
    assert ("ops.not_ready", 503) in catalogue
    assert catalogue[("auth.login_failed", 400)]["title_en"] == "Sign-in failed"
    assert answer.headers["cache-control"] == "public, max-age=3600"
