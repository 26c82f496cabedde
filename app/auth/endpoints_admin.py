"""Admin API of the identity domain: clients, staff and signing keys (platform admins only)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from app.audit.dependencies import AuditContextDep
from app.auth import clients, keys, service, staff
from app.auth.dependencies import AUTH_ERRORS
from app.auth.errors import (
    ClientNotFound,
    InvalidClient,
    KeyRotationTooSoon,
    StaffLoginTaken,
    StaffNotFound,
    WeakPassword,
)
from app.auth.schemas import (
    ClientCreate,
    ClientCreated,
    ClientRead,
    KeyRotationRead,
    SigningKeyRead,
    StaffCreate,
    StaffCreated,
    StaffRead,
)
from app.config import API_V1
from app.dependencies import PlatformAdminDep, SessionDep, SettingsDep
from app.errors import InvalidCursor, error_responses
from app.idempotency.middleware import IDEMPOTENCY_KEY_DOC
from app.kit.pagination import Page
from app.services.catalog.errors import UnknownDepartment

router = APIRouter(
    prefix=f"{API_V1}/admin",
    tags=["identity"],
    responses=error_responses(*AUTH_ERRORS),
)

ClientId = Annotated[str, Path(max_length=64, examples=["dept-3f9a2c1b7e5d4a60"])]


@router.post(
    "/clients",
    openapi_extra=IDEMPOTENCY_KEY_DOC,
    response_model=ClientCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Register a client",
    responses=error_responses(InvalidClient),
)
async def create_client(
    data: ClientCreate,
    admin: PlatformAdminDep,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
) -> ClientCreated:
    """Register a department system (confidential; redirect URIs, back-channel logout URI),
    a first-party app (public, PKCE) or a partner (client credentials with API scopes).

    The answer holds the client secret (confidential clients); it is stored only as a digest
    and never shown again. Unset grant types and scopes get the least privilege of the kind.
    """
    return await service.register_client(
        session, settings, data, audit_context=audit, actor=("staff", str(admin.staff_id))
    )


@router.get(
    "/clients",
    response_model=Page[ClientRead],
    status_code=status.HTTP_200_OK,
    summary="List clients",
    responses=error_responses(InvalidCursor),
)
async def list_clients(
    admin: PlatformAdminDep,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[ClientRead]:
    """Registered clients ordered by client id (without secrets)."""
    return await clients.list_page(session, cursor=cursor, limit=limit)


@router.get(
    "/clients/{client_id}",
    response_model=ClientRead,
    status_code=status.HTTP_200_OK,
    summary="Get a client",
    responses=error_responses(ClientNotFound),
)
async def get_client(
    client_id: ClientId, admin: PlatformAdminDep, session: SessionDep
) -> ClientRead:
    """One registered client (without its secret)."""
    return clients.read(await clients.get(session, client_id))


@router.post(
    "/clients/{client_id}/secret",
    response_model=ClientCreated,
    status_code=status.HTTP_200_OK,
    summary="Reset a client's secret",
    responses=error_responses(ClientNotFound, InvalidClient),
)
async def reset_client_secret(
    client_id: ClientId,
    admin: PlatformAdminDep,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
) -> ClientCreated:
    """Replace a confidential client's secret; the old one stops working at once and the new
    one is shown this once."""
    return await clients.reset_secret(
        session, settings, client_id, audit_context=audit, actor=("staff", str(admin.staff_id))
    )


@router.post(
    "/staff",
    openapi_extra=IDEMPOTENCY_KEY_DOC,
    response_model=StaffCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create a staff member",
    responses=error_responses(UnknownDepartment, StaffLoginTaken, WeakPassword),
)
async def create_staff(
    data: StaffCreate,
    admin: PlatformAdminDep,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
) -> StaffCreated:
    """A clerk, department admin, platform admin or auditor of an existing department.

    Without `password` one is generated and returned this once as `initial_password`.
    """
    return await service.create_staff(
        session, settings, data, audit_context=audit, actor=("staff", str(admin.staff_id))
    )


@router.get(
    "/staff",
    response_model=Page[StaffRead],
    status_code=status.HTTP_200_OK,
    summary="List staff members",
    responses=error_responses(InvalidCursor),
)
async def list_staff(
    admin: PlatformAdminDep,
    session: SessionDep,
    department: Annotated[str | None, Query(max_length=32, examples=["gjj"])] = None,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[StaffRead]:
    """Staff members ordered by login, optionally of one department."""
    return await staff.list_page(session, department=department, cursor=cursor, limit=limit)


@router.get(
    "/staff/{staff_id}",
    response_model=StaffRead,
    status_code=status.HTTP_200_OK,
    summary="Get a staff member",
    responses=error_responses(StaffNotFound),
)
async def get_staff(staff_id: uuid.UUID, admin: PlatformAdminDep, session: SessionDep) -> StaffRead:
    """One staff member."""
    return await staff.get(session, staff_id)


@router.get(
    "/keys",
    response_model=Page[SigningKeyRead],
    status_code=status.HTTP_200_OK,
    summary="List signing keys",
    responses=error_responses(),
)
async def list_keys(admin: PlatformAdminDep, session: SessionDep) -> Page[SigningKeyRead]:
    """Every signing key with its state (next, active, retired), newest first; the list is
    complete (`next_cursor` is null)."""
    found = await keys.list_keys(session)
    return Page[SigningKeyRead](items=[SigningKeyRead.model_validate(key) for key in found])


@router.post(
    "/keys/rotate",
    response_model=list[KeyRotationRead],
    status_code=status.HTTP_200_OK,
    summary="Rotate the signing keys",
    responses=error_responses(KeyRotationTooSoon),
)
async def rotate_keys(
    admin: PlatformAdminDep,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
    force: Annotated[
        bool, Query(description="Rotate even if the next key was published only just now")
    ] = False,
) -> list[KeyRotationRead]:
    """In each family of keys (RS256 for ID and logout tokens, ES256 for access tokens): the
    next key (published since the last rotation) starts signing; the signing key retires but
    stays published until its tokens have expired; a new next key is published.

    Refused with 409 while a next key has been published for less than the JWKS cache time.
    """
    rotations = await service.rotate_keys(
        session, settings, force=force, audit_context=audit, actor=("staff", str(admin.staff_id))
    )
    return [
        KeyRotationRead.model_validate(rotation, from_attributes=True) for rotation in rotations
    ]
