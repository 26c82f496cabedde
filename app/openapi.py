"""The OpenAPI document the app serves, finished for client generators.

FastAPI describes each route from its signature; what it cannot see is added here: the Problem
schema every error refers to, the answers given below the routes (the edge's 413, a body that
does not parse, the idempotency middleware's refusals, a lost database), and how each operation
is authenticated — security schemes for bearer tokens, OAuth 2 (authorization code with PKCE,
client credentials) and client authentication, required where a route's dependencies ask for
a principal, so that generated clients send the token.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts

from app.auth.dependencies import RequireCitizen, RequireScopes
from app.auth.schemas import IntrospectionRequest, TokenRequest
from app.auth.scopes import ADMIN, SCOPES
from app.dependencies import (
    RequireAdmin,
    get_autocommit_session,
    get_database,
    get_optional_principal,
    get_principal,
    get_session,
    get_write_session,
)
from app.errors import DatabaseUnavailable, InvalidInput, MalformedBody, document_problem
from app.idempotency.middleware import CREATING_ROUTES
from app.ops.errors import BodyTooLarge
from app.schemas import Problem


def install_openapi(app: FastAPI) -> None:
    """Serve the document finished as described above (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(problem.pop("$defs", {}))
        components["Problem"] = problem
        for form in _HAND_READ_FORMS:
            components[form.model_config["title"]] = form.model_json_schema()
        _document_body_limit(schema)
        _document_shared_answers(app, schema)
        _document_security(app, schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


# The forms the OAuth machine endpoints read themselves (app.auth.forms): the routes refer to
# their schemas by title, which FastAPI cannot see.
_HAND_READ_FORMS = (TokenRequest, IntrospectionRequest)


def _document_body_limit(schema: dict[str, Any]) -> None:
    """The edge's 413 on every operation that takes a body (uploads document their own), and
    its 422 for a NUL character in the body where FastAPI did not document a 422 (the forms
    the routes read themselves)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if "requestBody" in operation:
                document_problem(operation, BodyTooLarge.status, BodyTooLarge.title_en)
                if str(InvalidInput.status) not in operation.get("responses", {}):
                    document_problem(operation, InvalidInput.status, InvalidInput.title_en)


# What the idempotency middleware answers before a creating route runs (its `_REFUSALS`).
_IDEMPOTENCY_REFUSALS = (
    (409, "A request with this Idempotency-Key is still being processed"),
    (422, "This Idempotency-Key was used with a different request body"),
)
# The dependencies through which a route reaches the database (a principal is read there).
_DATABASE_DEPENDENCIES = frozenset(
    {get_session, get_write_session, get_autocommit_session, get_database, get_principal,
     get_optional_principal}
)  # fmt: skip


def _document_shared_answers(app: FastAPI, schema: dict[str, Any]) -> None:
    """Document on each operation what is answered below its route, where the route's own
    `responses` cannot see it: a body that does not parse (400, before any dependency runs),
    an Idempotency-Key refused by the middleware (409, 422), a database connection lost since
    it was pooled (503 with Retry-After, app.errors)."""
    for route in iter_route_contexts(app.routes):
        dependant, path = getattr(route, "dependant", None), route.path
        item = schema["paths"].get(path) if path is not None else None
        if dependant is None or path is None or item is None:
            continue
        uses_database = not _DATABASE_DEPENDENCIES.isdisjoint(_calls(dependant))
        for method in route.methods or ():
            operation = item.get(method.lower())
            if operation is None:
                continue
            if "requestBody" in operation:
                document_problem(operation, MalformedBody.status, MalformedBody.title_en)
            if method == "POST" and any(pattern.match(path) for pattern in CREATING_ROUTES):
                for status, title in _IDEMPOTENCY_REFUSALS:
                    document_problem(operation, status, title)
            if uses_database:
                unavailable = DatabaseUnavailable
                document_problem(operation, unavailable.status, unavailable.title_en)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


# The OAuth endpoints that authenticate the client itself (client_secret_basic, or the secret
# in the form with client_secret_post; a public client with PKCE sends none at the token one).
_CLIENT_AUTHENTICATED = frozenset({"/oauth/token", "/oauth/introspect", "/oauth/revoke"})
# Endpoints that read the bearer token themselves, as their protocol says (OIDC UserInfo).
_BEARER_READ_BY_ROUTE = frozenset({"/oauth/userinfo"})


def _security_schemes() -> dict[str, Any]:
    scopes = {scope.name: scope.description for scope in SCOPES.values()}
    return {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from /oauth/token or /api/v1/auth/login.",
        },
        "oauth2": {
            "type": "oauth2",
            "description": "Authorization code with PKCE (S256, required) for apps acting for a"
            " person; client credentials for department and partner systems.",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": "/oauth/authorize",
                    "tokenUrl": "/oauth/token",
                    "refreshUrl": "/oauth/token",
                    "scopes": scopes,
                },
                "clientCredentials": {"tokenUrl": "/oauth/token", "scopes": scopes},
            },
        },
        "clientBasic": {
            "type": "http",
            "scheme": "basic",
            "description": "The client's id and secret (client_secret_basic).",
        },
    }


def _required_scopes(calls: list[Any]) -> list[str]:
    """The scopes a route's guards demand of every token (other guards judge by role)."""
    scopes: list[str] = []
    for call in calls:
        if isinstance(call, RequireScopes | RequireCitizen):
            scopes.extend(call.scopes)
        elif isinstance(call, RequireAdmin):
            scopes.append(ADMIN)
    return sorted(set(scopes))


def _document_security(app: FastAPI, schema: dict[str, Any]) -> None:
    """Security schemes, and each operation's requirement from its route's dependencies: a
    principal required, optional (a public route that also reads a token), or the client."""
    schema.setdefault("components", {})["securitySchemes"] = _security_schemes()
    for route in iter_route_contexts(app.routes):
        dependant, path = getattr(route, "dependant", None), route.path
        item = schema["paths"].get(path) if path is not None else None
        if dependant is None or path is None or item is None:
            continue
        calls = list(_calls(dependant))
        requirement: list[dict[str, list[str]]] | None = None
        if path in _CLIENT_AUTHENTICATED:
            requirement = [{"clientBasic": []}, {}]
        elif path in _BEARER_READ_BY_ROUTE:
            requirement = [{"bearer": []}, {"oauth2": ["openid"]}]
        elif get_principal in calls:
            scopes = _required_scopes(calls)
            requirement = [{"bearer": []}, {"oauth2": scopes}]
        elif get_optional_principal in calls:
            requirement = [{}, {"bearer": []}, {"oauth2": []}]
        if requirement is None:
            continue
        for method in route.methods or ():
            operation = item.get(method.lower())
            if operation is not None:
                operation["security"] = requirement
