"""The e-license types (data/license_types_*.yaml): what each license is, who issues it to
whom, for how long, and the fields it carries.

Checked by the schema below when loaded (like the rulesets): an unknown key, a malformed code,
a duplicate or a field of an unknown type fails at start-up, never at issuance. The seeder
writes them to the registry's `license_types` table; the catalog reads their names here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.kit.data_files import read_yaml

DATA = Path(__file__).resolve().parent / "data"
FILES = ("license_types_person.yaml", "license_types_enterprise.yaml")

FieldType = Literal["string", "date", "number"]
HolderKind = Literal["person", "enterprise"]


@dataclass(frozen=True)
class LicenseFieldSeed:
    name: str  # ASCII snake_case
    label: str  # zh-CN
    type: FieldType = "string"


@dataclass(frozen=True)
class LicenseTypeSeed:
    code: str  # lowercase ASCII slug for URLs and APIs, e.g. "business-license"
    type_code: str  # region and kind letters and digits used inside GB/T 36904 identifiers
    name: str
    name_en: str
    issuer: str  # a department's code
    holder_kind: HolderKind
    validity_years: int | None  # None: does not expire
    fields: tuple[LicenseFieldSeed, ...] = ()


class LicenseTypeRef(BaseModel):
    """A license type, named."""

    code: str = Field(examples=["business-license"])
    name: str = Field(examples=["营业执照"])
    name_en: str = Field(examples=["Business License"])


# The schema of the data files ------------------------------------------------------------------

_Strict = ConfigDict(extra="forbid", frozen=True)
Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class _Field(BaseModel):
    model_config = _Strict

    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
    label: Text
    type: FieldType = "string"


class _LicenseType(BaseModel):
    model_config = _Strict

    code: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
    # GB/T 2260 region of issue, then kind letters and a number: 370200SF0001.
    type_code: Annotated[str, StringConstraints(pattern=r"^\d{6}[A-Z]{2}\d{4}$")]
    name: Text
    name_en: Text
    issuer: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=32)]
    holder_kind: HolderKind
    validity_years: Annotated[int, Field(ge=1, le=100)] | None
    fields: Annotated[list[_Field], Field(min_length=1)]

    @model_validator(mode="after")
    def _fields_once(self) -> _LicenseType:
        names = [field.name for field in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.code}: a field is named twice")
        return self


class _File(BaseModel):
    model_config = _Strict

    license_types: Annotated[list[_LicenseType], Field(min_length=1)]


def _seed(spec: _LicenseType) -> LicenseTypeSeed:
    return LicenseTypeSeed(
        code=spec.code,
        type_code=spec.type_code,
        name=spec.name,
        name_en=spec.name_en,
        issuer=spec.issuer,
        holder_kind=spec.holder_kind,
        validity_years=spec.validity_years,
        fields=tuple(LicenseFieldSeed(f.name, f.label, f.type) for f in spec.fields),
    )


def load(directory: Path = DATA) -> tuple[LicenseTypeSeed, ...]:
    """Every license type of the data files, persons' first; ValueError naming the file and the
    problem when one does not pass the schema or repeats a code or type code."""
    types: list[LicenseTypeSeed] = []
    for name in FILES:
        path = directory / name
        try:
            raw = read_yaml(path)
            types += [_seed(spec) for spec in _File.model_validate(raw).license_types]
        except (yaml.YAMLError, ValueError) as exc:
            raise ValueError(f"{path}: {exc}") from exc
    for key in ("code", "type_code"):
        values = [getattr(t, key) for t in types]
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise ValueError(f"license types: {key} repeated: {repeated}")
    return tuple(types)


@cache
def license_types() -> tuple[LicenseTypeSeed, ...]:
    """The shipped license types (loaded and checked once per process)."""
    return load()


@cache
def by_code() -> dict[str, LicenseTypeSeed]:
    """The shipped license types by code."""
    return {license_type.code: license_type for license_type in license_types()}


def refs(codes: Collection[str]) -> dict[str, LicenseTypeRef]:
    """Names of the given license types, by code (unknown codes are left out)."""
    known = by_code()
    return {
        code: LicenseTypeRef(code=code, name=known[code].name, name_en=known[code].name_en)
        for code in codes
        if code in known
    }
