"""What an upload answers, and what is handed on to those who may read it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

UploadType = Literal["application/pdf", "image/jpeg", "image/png"]


class UploadRead(BaseModel):
    """A stored upload: what the platform found the file to be."""

    id: uuid.UUID
    file_name: str = Field(description="The file name given, made safe; for display only")
    content_type: UploadType = Field(description="Found from the file's bytes")
    size: int = Field(description="Bytes")
    sha256: str = Field(description="Hex SHA-256 of the bytes")
    created_at: datetime
    expires_at: datetime | None = Field(
        description="When it is deleted unless attached to an application; null once attached"
    )


@dataclass(frozen=True, slots=True)
class UploadContent:
    """An upload's bytes with what a download needs to serve them."""

    id: uuid.UUID
    content_type: str
    file_name: str
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Attached:
    """An upload attached to a case: what the case records of it."""

    id: uuid.UUID
    content_type: str
    size: int
    sha256: str
