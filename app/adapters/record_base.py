"""The base of every typed record of a department dataset."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DatasetRecord(BaseModel):
    """Base of every typed record: immutable, tolerant of extra fields."""

    model_config = ConfigDict(frozen=True, extra="ignore")
