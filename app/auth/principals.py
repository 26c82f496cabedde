"""Who is calling: the principal behind a verified access token.

Framework-free, so that services can take a principal and apply its scope (this citizen, this
department) in their repositories.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from app.auth.models import ClientKind, StaffRole

PrincipalKind = Literal["person", "staff", "client"]


@dataclass(frozen=True, slots=True)
class Principal:
    """The subject of an access token, and what the token allows."""

    kind: PrincipalKind
    # The account id (person), staff id (staff) or client id (client credentials).
    id: str
    # The `sub` claim: what the client sees (a pairwise identifier for pairwise clients).
    subject: str
    client_id: str
    # The kind of the client the token was issued to: the citizen API trusts the first party.
    client_kind: ClientKind
    scopes: frozenset[str]
    token_id: str
    expires_at: datetime
    session_id: str | None = None
    grant_id: uuid.UUID | None = None
    role: StaffRole | None = None
    # A staff member's department, or the department a client-credentials client belongs to.
    department_code: str | None = None
    # Set when a person acts for an enterprise: its USCC (the token's `sub`, `act` names them).
    enterprise: str | None = None

    def has_scopes(self, *scopes: str) -> bool:
        """Whether the token carries every one of `scopes`."""
        return set(scopes) <= self.scopes

    @property
    def audit_actor(self) -> tuple[Literal["person", "staff", "client"], str]:
        """Actor type and id for audit records."""
        return self.kind, self.id


@dataclass(frozen=True, slots=True)
class Citizen:
    """A signed-in person."""

    account_id: uuid.UUID
    principal: Principal


@dataclass(frozen=True, slots=True)
class EnterpriseAgent:
    """A person acting for an enterprise: its legal representative or an authorised agent."""

    account_id: uuid.UUID
    uscc: str
    principal: Principal


@dataclass(frozen=True, slots=True)
class Staff:
    """A signed-in staff member, with the department their work is limited to."""

    staff_id: uuid.UUID
    role: StaffRole
    department_code: str
    principal: Principal

    @property
    def department_scope(self) -> str | None:
        """The only department whose records this staff member sees; None for all of them.

        Platform admins see every department; everyone else, auditors included, only their own.
        Repositories filter by it, and a record of another department reads as not found.
        """
        return None if self.role == StaffRole.PLATFORM_ADMIN else self.department_code

    def may_see(self, department_code: str) -> bool:
        """Whether a record of `department_code` is within this staff member's scope."""
        scope = self.department_scope
        return scope is None or scope == department_code
