"""The scopes clients may be granted, the claims each one releases, and scope strings.

Later domains add their API scopes here; a client is registered with the scopes it may ask for
and never receives more (least privilege).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.auth.models import ClientKind

OPENID = "openid"
ADMIN = "admin"
# Act for the signed-in person in the citizen API (their data, applications, uploads, wallet).
# The platform's own app does so without it; another client only when an admin registered it
# with this scope and the person signed in to a request that asked for it (app.auth.guards).
CITIZEN = "citizen"
# Verify a person's city code (一码通城) for a stated purpose: partners' and departments' systems.
CODE_VERIFY = "code.verify"
# Issue e-licenses and change their status, for the department the client belongs to.
LICENSES_ISSUE = "licenses:issue"
# Subscribe to events by webhook (client credentials of partners and department systems).
WEBHOOKS = "webhooks"
_ALL_KINDS = frozenset(ClientKind)
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")  # RFC 6749 §3.3


@dataclass(frozen=True, slots=True)
class Scope:
    """A scope: what it allows, which claims it releases, and who may hold it."""

    name: str
    description: str
    claims: tuple[str, ...] = ()
    # A user-bound scope needs a signed-in person or staff member: never client credentials.
    user_bound: bool = True
    client_kinds: frozenset[ClientKind] = _ALL_KINDS


SCOPES: dict[str, Scope] = {
    scope.name: scope
    for scope in (
        Scope(OPENID, "Sign the user in (OpenID Connect); releases `sub`", ("sub",)),
        Scope("profile", "The user's name", ("name",)),
        Scope("phone", "The verified mobile number", ("phone_number", "phone_number_verified")),
        Scope(
            "realname",
            "Real-name identity: name, masked ID number and real-name level (L1-L3)",
            ("name", "id_number_masked", "realname_level", "realname_verified_at"),
        ),
        Scope(
            "staff",
            "For staff members: their role and department",
            ("staff_role", "department"),
            client_kinds=frozenset({ClientKind.DEPARTMENT, ClientKind.FIRST_PARTY}),
        ),
        Scope(
            ADMIN,
            "The admin API (/api/v1/admin): platform admins, and department admins for their"
            " department's rulesets; only in a first-party client, and only when asked for",
            client_kinds=frozenset({ClientKind.FIRST_PARTY}),
        ),
        Scope(
            CITIZEN,
            "Act for the signed-in person in the citizen API (/api/v1/me, applications,"
            " uploads, their licenses); granted to a client by an admin only",
            client_kinds=frozenset({ClientKind.DEPARTMENT, ClientKind.PARTNER}),
        ),
        Scope(
            "licenses.verify",
            "Verify presented e-licenses (partners and department systems)",
            user_bound=False,
            client_kinds=frozenset({ClientKind.PARTNER, ClientKind.DEPARTMENT}),
        ),
        Scope(
            CODE_VERIFY,
            "Verify a person's city code (一码通城) for a stated purpose and see only what the"
            " purpose allows (partners and department systems; clerks verify as staff)",
            user_bound=False,
            client_kinds=frozenset({ClientKind.PARTNER, ClientKind.DEPARTMENT}),
        ),
        Scope(
            LICENSES_ISSUE,
            "Issue e-licenses of the client's own department and suspend, reinstate, revoke,"
            " cancel or renew them (department systems with a registered department)",
            user_bound=False,
            client_kinds=frozenset({ClientKind.DEPARTMENT}),
        ),
        Scope(
            WEBHOOKS,
            "Subscribe to the platform's events and read the delivery log (partners, and"
            " department systems for their department's events); signed per Standard Webhooks",
            user_bound=False,
            client_kinds=frozenset({ClientKind.PARTNER, ClientKind.DEPARTMENT}),
        ),
        Scope(
            "stats.read",
            "Read the published service statistics",
            user_bound=False,
            client_kinds=frozenset({ClientKind.PARTNER, ClientKind.DEPARTMENT}),
        ),
    )
}

# `citizen` is in none of them: a client gets it only when an admin names it at registration.
DEFAULT_SCOPES: dict[ClientKind, tuple[str, ...]] = {
    ClientKind.DEPARTMENT: ("openid", "profile", "phone", "realname", "staff"),
    ClientKind.FIRST_PARTY: ("openid", "profile", "phone", "realname", "staff", "admin"),
    ClientKind.PARTNER: ("licenses.verify",),
}


class InvalidScope(ValueError):
    """A scope string names an unknown scope or is malformed."""


def parse(value: str | None) -> tuple[str, ...]:
    """The scopes of a space-separated scope string, de-duplicated, in a stable order."""
    if not value or not value.strip():
        return ()
    names = value.split(" ")
    for name in names:
        if not _SCOPE_TOKEN.fullmatch(name):
            raise InvalidScope("malformed scope string")
        if name not in SCOPES:
            raise InvalidScope(f"unknown scope {name!r}")
    return tuple(sorted(set(names), key=_order))


def render(scopes: tuple[str, ...] | list[str] | frozenset[str]) -> str:
    """A scope string in the stable order."""
    return " ".join(sorted(set(scopes), key=_order))


def claims_of(scopes: frozenset[str] | tuple[str, ...]) -> set[str]:
    """Every claim the scopes release."""
    return {claim for name in scopes if name in SCOPES for claim in SCOPES[name].claims}


def _order(name: str) -> tuple[int, str]:
    # openid first, then the registry's order; a readable, deterministic scope string.
    order = list(SCOPES)
    return (order.index(name) if name in SCOPES else len(order), name)
