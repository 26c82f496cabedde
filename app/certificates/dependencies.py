"""Dependencies of the e-license endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from app.dependencies import SessionDep
from app.services.catalog import service as catalog


async def valid_issuer(
    session: SessionDep,
    issuer: Annotated[
        str | None,
        Query(max_length=32, description="Code of the issuing department", examples=["scjg"]),
    ] = None,
) -> str | None:
    """The issuer filter, checked against the catalog's departments (unknown → 422)."""
    if issuer is not None:
        await catalog.require_department(session, issuer, param="query.issuer")
    return issuer


IssuerFilter = Annotated[str | None, Depends(valid_issuer)]
