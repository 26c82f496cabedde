"""What the admin API shows of a job (never its payload: it may hold personal data)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.jobs.models import JobState


class JobRead(BaseModel):
    """A job as platform admins see it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    state: JobState
    attempts: int
    max_attempts: int
    run_after: datetime
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    request_id: str | None = Field(
        default=None, description="The X-Request-ID of the request that queued it"
    )
