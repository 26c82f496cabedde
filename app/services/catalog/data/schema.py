"""The schema of the catalog's data files, checked when they are loaded (like the rulesets).

departments.yaml, districts.yaml, bundles.yaml, key_services/*.yaml (the hand-written services,
in full) and templates/*.yaml (the item templates the generated bulk is expanded from). A file
with an unknown key, a value of the wrong kind, a malformed code, a form that is no JSON Schema
or a template with an unknown action fails at start-up, naming the file, never at a request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from jsonschema import Draft202012Validator, SchemaError  # type: ignore[import-untyped]
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from app.kit.data_files import read_yaml
from app.services.catalog.data._templates import Item, parse_action
from app.services.catalog.data.seeds import (
    BundleSeed,
    BundleStepSeed,
    DepartmentSeed,
    DistrictSeed,
    MaterialSeed,
    ServiceSeed,
)

Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]*$", max_length=100)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=400)]
Term = Annotated[str, StringConstraints(min_length=1, max_length=60)]
Category = Literal["行政许可", "行政确认", "公共服务", "行政给付", "其他行政权力"]
Mode = Literal["auto", "instant", "manual"]
Audience = Literal["person", "enterprise", "both"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Department(_Record):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=32)]
    name: Text
    name_en: Text
    kind: Literal["municipal", "vertical", "utility", "judicial"]


class _District(_Record):
    code: Annotated[str, StringConstraints(pattern=r"^3702\d\d$")]
    name: Text
    name_en: Text


# A bundle's orchestration (its version, parties, merged form, each step's kind, form and
# dependencies) is the bundles domain's to check: app/services/bundles/definitions.py reads the
# same file with a strict schema. The catalog keeps what it lists and lets those keys pass.
class _BundleStep(_Record):
    model_config = ConfigDict(extra="allow", frozen=True)

    service: Code
    unit: Text


class _Bundle(_Record):
    model_config = ConfigDict(extra="allow", frozen=True)

    code: Code
    name: Text
    name_en: Text
    steps: Annotated[list[_BundleStep], Field(min_length=2)]
    description: str = ""


class _Material(_Record):
    code: Slug
    name: Text
    name_en: Text
    required: bool = True
    license_type: Slug | None = None


class _Service(_Record):
    code: Code
    name: Text
    name_en: Text
    department: str
    mode: Mode
    time_limit_days: Annotated[int, Field(ge=0, le=365)]
    realname_level: Annotated[int, Field(ge=1, le=3)]
    category: Category
    audience: Audience
    district: Annotated[str, StringConstraints(pattern=r"^3702\d\d$")] | None = None
    aliases: list[Term] = []
    keywords: list[Term] = []
    produces_license: Slug | None = None
    materials: list[_Material] = []
    description: str = ""
    form_schema: dict[str, Any]

    @field_validator("form_schema")
    @classmethod
    def _json_schema(cls, form: dict[str, Any]) -> dict[str, Any]:
        try:
            Draft202012Validator.check_schema(form)
        except SchemaError as exc:
            raise ValueError(f"form_schema is no valid JSON Schema: {exc.message}") from exc
        return form


class _Subject(_Record):
    """An extra supporting document a template's subject needs."""

    code: Slug
    name: Text
    name_en: Text


class _Template(_Record):
    zh: Text
    en: Text
    actions: Annotated[str, StringConstraints(min_length=3)]
    audience: Audience
    local: bool = False
    license: Slug | None = None
    keywords: list[Term] = []
    material: _Subject | None = None
    category: Category | None = None

    @field_validator("actions")
    @classmethod
    def _known_actions(cls, actions: str) -> str:
        for token in actions.split():
            parse_action(token)  # ValueError names an unknown action or a bad mode suffix
        return actions


class DepartmentsFile(_Record):
    departments: Annotated[list[_Department], Field(min_length=1)]


class DistrictsFile(_Record):
    districts: Annotated[list[_District], Field(min_length=1)]


class BundlesFile(_Record):
    bundles: list[_Bundle]


class ServicesFile(_Record):
    services: Annotated[list[_Service], Field(min_length=1)]


class TemplatesFile(_Record):
    departments: dict[str, Annotated[list[_Template], Field(min_length=1)]]


M = TypeVar("M", bound=BaseModel)


def read(path: Path, model: type[M]) -> M:
    """A data file checked against its schema; ValueError naming the file when it fails."""
    try:
        raw = read_yaml(path)
        return model.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: {exc}") from exc


def departments(file: DepartmentsFile) -> tuple[DepartmentSeed, ...]:
    """The departments, in file order."""
    return tuple(DepartmentSeed(d.code, d.name, d.name_en, d.kind) for d in file.departments)


def districts(file: DistrictsFile) -> tuple[DistrictSeed, ...]:
    """The districts, in file order."""
    return tuple(DistrictSeed(d.code, d.name, d.name_en) for d in file.districts)


def bundles(file: BundlesFile) -> tuple[BundleSeed, ...]:
    """The bundles, in file order."""
    return tuple(
        BundleSeed(
            code=b.code,
            name=b.name,
            name_en=b.name_en,
            steps=tuple(BundleStepSeed(step.service, step.unit) for step in b.steps),
            description=b.description,
        )
        for b in file.bundles
    )


def services(file: ServicesFile) -> tuple[ServiceSeed, ...]:
    """The services, in file order."""
    return tuple(
        ServiceSeed(
            code=s.code,
            name=s.name,
            name_en=s.name_en,
            department=s.department,
            mode=s.mode,
            time_limit_days=s.time_limit_days,
            realname_level=s.realname_level,
            category=s.category,
            audience=s.audience,
            district=s.district,
            aliases=tuple(s.aliases),
            keywords=tuple(s.keywords),
            materials=tuple(
                MaterialSeed(m.code, m.name, m.name_en, m.required, m.license_type)
                for m in s.materials
            ),
            form_schema=s.form_schema,
            produces_license=s.produces_license,
            description=s.description,
        )
        for s in file.services
    )


def templates(file: TemplatesFile) -> dict[str, tuple[Item, ...]]:
    """Each department's item templates, in file order."""
    return {
        department: tuple(
            Item(
                zh=t.zh,
                en=t.en,
                actions=t.actions,
                audience=t.audience,
                local=t.local,
                license=t.license,
                keywords=tuple(t.keywords),
                material=(t.material.code, t.material.name, t.material.name_en)
                if t.material
                else None,
                category=t.category,
            )
            for t in items
        )
        for department, items in file.departments.items()
    }
