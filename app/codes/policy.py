"""The purposes a city code may be verified for, by whom, and what each shows.

The policy is data: data/purposes.yaml. The file is checked when first read: an unknown
attribute or verifier kind is an error at start-up, never a verifier seeing more than the file
says.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.kit.data_files import read_yaml

VerifierKind = Literal["staff", "client"]
POLICY_FILE = Path(__file__).parent / "data" / "purposes.yaml"


@dataclass(frozen=True, slots=True)
class Attribute:
    """An attribute a verifier may be shown, and the department dataset it is read from (None:
    the platform's own real-name record)."""

    name: str
    dataset: tuple[str, str] | None = None


ATTRIBUTES: Mapping[str, Attribute] = {
    attribute.name: attribute
    for attribute in (
        Attribute("name"),
        Attribute("id_number_masked"),
        Attribute("realname_verified"),
        Attribute("medical_insurance", ("ybj", "medical-enrolment")),
        Attribute("social_insurance", ("rsj", "social-insurance-contributions")),
    )
}


class Title(BaseModel):
    """A purpose's name in both languages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class CodePurpose(BaseModel):
    """One purpose of the policy file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    title: Title
    verifiers: frozenset[VerifierKind] = Field(min_length=1)
    attributes: tuple[str, ...] = Field(min_length=1)
    on_behalf: bool = False

    @field_validator("attributes")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(ATTRIBUTES))
        if unknown:
            raise ValueError(f"unknown attributes: {', '.join(unknown)}")
        return value

    def datasets(self) -> list[tuple[str, str]]:
        """The department datasets this purpose's attributes are read from."""
        found = (ATTRIBUTES[name].dataset for name in self.attributes)
        return sorted({dataset for dataset in found if dataset is not None})


@functools.cache
def purposes(path: Path = POLICY_FILE) -> Mapping[str, CodePurpose]:
    """The purposes of the policy file, by code."""
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ValueError(f"{path} is not a mapping of purposes")
    return {
        str(code): CodePurpose.model_validate({"code": str(code), **body})
        for code, body in raw.items()
    }


def purpose(code: str) -> CodePurpose | None:
    """One purpose by its code, or None."""
    return purposes().get(code)
