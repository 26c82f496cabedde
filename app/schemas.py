"""Schemas shared by every domain: the problem document."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class InvalidParam(BaseModel):
    name: str = Field(description="Where the bad value is, e.g. `query.limit`")
    reason: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="`urn:qingeban:problem:<code>`")
    title: str
    status: int
    code: str = Field(description="Stable dotted error code, e.g. `resource.not_found`")
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    invalid_params: list[InvalidParam] | None = None
    incident_id: str | None = Field(default=None, description="Present on 500s only")
