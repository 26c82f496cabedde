"""Bundles as data: the orchestration of each bundle in the catalog's bundles.yaml, checked at
load with a strict schema (parties, merged form, steps, dependencies), never code per bundle.

The catalog reads the same file for what it lists; this module reads what runs. A mistake in
the file (a step depending on an unknown key, a cycle, a form mapping to a field the merged
form does not declare, two initiators) fails the load, so it fails the first test that runs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.kit.data_files import read_yaml

FILE = Path(__file__).resolve().parents[1] / "catalog" / "data" / "bundles.yaml"

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]*$", max_length=100)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=400)]
StepKind = Literal["property_registration", "utility_transfer", "department_instruction"]
Attribute = Literal["name", "id_number", "phone"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Retry(_Strict):
    """How often a failing step is tried, and how long it waits between tries (doubling)."""

    attempts: Annotated[int, Field(ge=1, le=20)]
    backoff_seconds: Annotated[int, Field(ge=0, le=86_400)]


class NamedBy(_Strict):
    """The merged form's fields that name a party (checked against its identity when it
    confirms)."""

    name: Key
    id_number: Key


class Party(_Strict):
    """A role in the bundle: the initiator files, the others are named and confirm."""

    role: Key
    name: Text
    name_en: Text
    initiator: bool = False
    named_by: NamedBy | None = None


class FormField(_Strict):
    """One field of the merged form, asked once, with where its value comes from."""

    name: Key
    label: Text
    party: Key | None = None
    identity: Attribute | None = None
    prefill: Code | None = None
    declared: Text | None = None

    @model_validator(mode="after")
    def _one_source(self) -> FormField:
        if sum(x is not None for x in (self.identity, self.prefill, self.declared)) != 1:
            raise ValueError(f"{self.name}: exactly one of identity, prefill, declared")
        if self.identity is not None and self.party is None:
            raise ValueError(f"{self.name}: an identity field names its party")
        return self


class Constant(_Strict):
    """A constant a step's form always carries."""

    value: str | int | float | bool


class AtRun(_Strict):
    """A value the step finds when it runs (the utility's account number of the dwelling, the
    new certificate's number), not asked of anyone."""

    run: Text


class Step(_Strict):
    """One step: the catalog's service and unit, and how the saga runs it."""

    service: Code
    unit: Text
    key: Key
    kind: StepKind
    department: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=32)]
    depends_on: tuple[Key, ...] = ()
    deadline_days: Annotated[int, Field(ge=0, le=60)]
    form: dict[str, Key | Constant | AtRun]


class Bundle(_Strict):
    """A bundle as it runs."""

    code: Code
    version: Annotated[int, Field(ge=1)]
    name: Text
    name_en: Text
    description: str = ""
    confirm_hours: Annotated[int, Field(ge=1, le=24 * 30)]
    retry: Retry
    parties: Annotated[tuple[Party, ...], Field(min_length=1)]
    fields: Annotated[tuple[FormField, ...], Field(min_length=1)]
    steps: Annotated[tuple[Step, ...], Field(min_length=2)]

    @model_validator(mode="after")
    def _consistent(self) -> Bundle:
        roles = [party.role for party in self.parties]
        if len(set(roles)) != len(roles):
            raise ValueError(f"{self.code}: a role appears twice")
        if sum(party.initiator for party in self.parties) != 1:
            raise ValueError(f"{self.code}: exactly one party is the initiator")
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.code}: a field is asked twice")
        for f in self.fields:
            if f.party is not None and f.party not in roles:
                raise ValueError(f"{self.code}: {f.name} names an unknown party {f.party}")
        for party in self.parties:
            if party.initiator != (party.named_by is None):
                raise ValueError(f"{self.code}: {party.role}: only the others are named_by")
            if party.named_by is not None:
                for name in (party.named_by.name, party.named_by.id_number):
                    if name not in names:
                        raise ValueError(f"{self.code}: {party.role} named by unknown {name}")
        keys = [step.key for step in self.steps]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{self.code}: a step key appears twice")
        for step in self.steps:
            for wanted in step.form.values():
                if isinstance(wanted, str) and wanted not in names:
                    raise ValueError(f"{self.code}: {step.key} maps unknown field {wanted}")
            # In file order: a step depends only on steps before it, so there is no cycle.
            before = keys[: keys.index(step.key)]
            for dependency in step.depends_on:
                if dependency not in before:
                    raise ValueError(
                        f"{self.code}: {step.key} depends on {dependency}, "
                        "which is not an earlier step"
                    )
        return self

    @property
    def initiator(self) -> Party:
        """The party who files."""
        return next(party for party in self.parties if party.initiator)

    def step(self, key: str) -> Step:
        """A step by key."""
        return next(step for step in self.steps if step.key == key)

    def field(self, name: str) -> FormField:
        """A field of the merged form by name."""
        return next(f for f in self.fields if f.name == name)


class BundlesFile(_Strict):
    """The file: its bundles."""

    bundles: tuple[Bundle, ...]


def parse(raw: Any) -> dict[str, Bundle]:
    """The bundles of a loaded YAML document by code; ValueError when the file is wrong."""
    return {bundle.code: bundle for bundle in BundlesFile.model_validate(raw).bundles}


@cache
def bundles() -> dict[str, Bundle]:
    """Every bundle, by code (read once per process)."""
    return parse(read_yaml(FILE))


def bundle(code: str) -> Bundle | None:
    """One bundle by code, or None."""
    return bundles().get(code)
