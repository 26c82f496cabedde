"""Who may run campaigns (platform admins, with the `admin` scope) and who decides on their
cases (the pension department's clerks; another department's clerk finds no campaign)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from app.auth.dependencies import RequireStaff
from app.auth.models import StaffRole
from app.auth.principals import Staff
from app.dependencies import PlatformAdminDep
from app.proactive.campaigns.errors import CampaignNotFound
from app.proactive.campaigns.kinds import kinds

Admin = PlatformAdminDep
CampaignId = Annotated[uuid.UUID, Path(description="The campaign's id")]
CaseId = Annotated[uuid.UUID, Path(description="The case's id")]


async def pension_clerk(
    staff: Annotated[Staff, Depends(RequireStaff(StaffRole.CLERK, StaffRole.DEPARTMENT_ADMIN))],
) -> Staff:
    """A clerk (or department admin) of a department that runs campaigns (人社局, rsj)."""
    if not any(staff.may_see(spec.department) for spec in kinds().values()):
        raise CampaignNotFound()
    return staff


Clerk = Annotated[Staff, Depends(pension_clerk)]
