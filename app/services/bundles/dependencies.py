"""Annotated dependency aliases of bundles: who may call what."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from app.auth.dependencies import RequireStaff
from app.auth.models import StaffRole
from app.auth.principals import Staff

Clerk = Annotated[Staff, Depends(RequireStaff(StaffRole.CLERK, StaffRole.DEPARTMENT_ADMIN))]
BundleCode = Annotated[str, Path(max_length=100, description="The bundle's code")]
CaseId = Annotated[str, Path(max_length=64, description="The bundle case's id")]
