"""Department data that stands in for a material (数据替代材料): data/material_sources.yaml.

A material the registry holds no license for may still be proven by a department's record — a
filed lease, a deed-tax payment, the staff list social insurance keeps. Prefill shows which
dataset satisfies it; submission gathers that dataset with the case's other data and checks the
record shows what it must. Loaded and checked once, at import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.adapters.records import RECORD_TYPES, DatasetRecord
from app.kit.data_files import read_yaml

SOURCES_FILE = Path(__file__).resolve().parent / "data" / "material_sources.yaml"


class Holds(BaseModel):
    """What the record must show: a non-empty list, or a true field."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    list_: str | None = Field(default=None, alias="list")
    flag: str | None = None


class MaterialSource(BaseModel):
    """One dataset that can stand in for a material."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: str = Field(pattern=r"^[a-z]+/[a-z0-9-]+$")
    subject: Literal["person", "enterprise"] = "person"
    holds: Literal["found"] | Holds = "found"

    @field_validator("dataset")
    @classmethod
    def _typed(cls, dataset: str) -> str:
        # The record is read as its typed model: a dataset without one cannot prove anything.
        if tuple(dataset.split("/")) not in RECORD_TYPES:
            raise ValueError(f"{dataset} has no typed record")
        return dataset

    def shows(self, record: DatasetRecord | None) -> bool:
        """Whether a found record shows what the material proves."""
        if record is None:
            return False
        if isinstance(self.holds, str):
            return True
        if self.holds.list_ is not None:
            return bool(getattr(record, self.holds.list_, None))
        return getattr(record, self.holds.flag or "", None) is True


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    materials: dict[str, list[MaterialSource]]
    documents: dict[str, str] = Field(default_factory=dict)


@cache
def _file() -> _File:
    raw: Any = read_yaml(SOURCES_FILE)
    return _File.model_validate(raw)


def sources() -> Mapping[str, Sequence[MaterialSource]]:
    """Material code → the datasets that can stand in for it, in order."""
    return _file().materials


def why_uploaded(code: str) -> str | None:
    """Why a material is a document to upload: no department holds it (None: not said)."""
    return _file().documents.get(code)


def of(code: str) -> Sequence[MaterialSource]:
    """The datasets that can stand in for the material `code` (none: only a document can)."""
    return sources().get(code, ())
