"""Where each form field's value comes from (data/field_sources.yaml), and reading it.

Prefill asks this module which department datasets a service's form can be filled from (by
subject: the applicant, the enterprise applied for, the applicant's employer), gathers them,
and then resolves each field: a verified value with its provenance, a choice among verified
options, the applicant's own choice, or a genuine declaration with the reason no department
holds it. Pure: the records, licenses and identity are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.adapters.records import RECORD_TYPES, DatasetRecord
from app.kit.data_files import read_yaml

SOURCES_FILE = Path(__file__).resolve().parent / "data" / "field_sources.yaml"
Subject = Literal["person", "enterprise", "employer"]
PLATFORM = "platform"
_STEP = re.compile(r"^(?P<name>[a-z_][a-z0-9_]*)(\[(?P<index>\d+)\])?$")


class OptionsSpec(BaseModel):
    """The items of a record's list offered as options."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    list_: str = Field(alias="list")
    value: str
    label: str


class FieldSource(BaseModel):
    """One way to fill a field (see the data file's header for the kinds)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    dataset: str | None = Field(default=None, pattern=r"^[a-z]+/[a-z0-9-]+$")
    subject: Subject = "person"
    value: str | None = None
    options: OptionsSpec | None = None
    map: dict[str, str] | None = None
    format: str | None = None
    split: str | None = None
    license: str | None = None
    identity: Literal["name", "phone", "id_number"] | None = None
    platform: Literal["this_month", "this_year", "today"] | None = None
    choice: str | None = None
    declared: str | None = None
    otherwise: str | None = None
    otherwise_declared: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> FieldSource:
        kinds = [self.dataset, self.license, self.identity, self.platform, self.choice,
                 self.declared]  # fmt: skip
        if sum(kind is not None for kind in kinds) != 1:
            raise ValueError("a source is exactly one of dataset, license, identity, platform, "
                             "choice or declared")  # fmt: skip
        if self.dataset is not None:
            if tuple(self.dataset.split("/")) not in RECORD_TYPES:
                raise ValueError(f"{self.dataset} has no typed record")
            if (self.value is None) == (self.options is None):
                raise ValueError(f"{self.dataset}: give a value or options")
        return self


Sources = tuple[FieldSource, ...]


def _sources(raw: Any) -> Sources:
    items = raw if isinstance(raw, list) else [raw]
    return tuple(FieldSource.model_validate(item) for item in items)


@dataclass(frozen=True, slots=True)
class _Table:
    fields: Mapping[str, Sources]
    services: Mapping[str, Mapping[str, Sources]]


@cache
def sources_table() -> _Table:
    """The sources file, read once per process."""
    raw = read_yaml(SOURCES_FILE)
    return _Table(
        fields={name: _sources(spec) for name, spec in raw["fields"].items()},
        services={
            code: {name: _sources(spec) for name, spec in fields.items()}
            for code, fields in raw.get("services", {}).items()
        },
    )


def sources_of(service_code: str, field_name: str) -> Sources:
    """How a service's field is filled (the service's own entry, else the field's)."""
    table = sources_table()
    own = table.services.get(service_code, {})
    return own.get(field_name) or table.fields.get(field_name, ())


def declared_by(service_code: str) -> Mapping[str, Sources]:
    """The fields a service names its own sources for (they mean what the service says)."""
    return sources_table().services.get(service_code, {})


def datasets_for(service_code: str, field_names: Sequence[str]) -> dict[Subject, set[str]]:
    """The datasets a service's form is filled from, by whose record they are."""
    needed: dict[Subject, set[str]] = {}
    for name in field_names:
        for source in sources_of(service_code, name):
            if source.dataset is not None:
                needed.setdefault(source.subject, set()).add(source.dataset)
    return needed


def followers(service_code: str, field_names: Sequence[str]) -> dict[str, dict[str, FieldSource]]:
    """Fields that follow another field's choice: a value read from the first item of a list
    (`loans[0].amount`) whose items are the options of another field of the form (which loan).
    By the choosing field: each follower with its source reading within one item."""
    choosers: dict[tuple[Subject, str | None, str], str] = {}
    for name in field_names:
        for source in sources_of(service_code, name):
            if source.options is not None:
                choosers[(source.subject, source.dataset, source.options.list_)] = name
    found: dict[str, dict[str, FieldSource]] = {}
    for name in field_names:
        for source in sources_of(service_code, name):
            head, _, rest = (source.value or "").partition(".")
            step = _STEP.match(head)
            if source.dataset is None or not rest or step is None or step["index"] != "0":
                continue
            chooser = choosers.get((source.subject, source.dataset, step["name"]))
            if chooser is not None and chooser != name:
                found.setdefault(chooser, {})[name] = source.model_copy(update={"value": rest})
    return found


def fills(option: Option, followers: Mapping[str, FieldSource]) -> dict[str, Any]:
    """The values the following fields take when this option is chosen."""
    return {name: _shape(source, _path(option.item, source.value or ""))
            for name, source in followers.items()}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Option:
    """A verified value the applicant may choose; `item` the record's list item it is."""

    value: Any
    label: str
    source: str
    item: Any = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Filled:
    """A field as prefill answers it."""

    value: Any = None
    source: str | None = None
    as_of: datetime | None = None
    options: tuple[Option, ...] = ()
    choice: str | None = None
    declared: str | None = None


@dataclass(frozen=True, slots=True)
class Known:
    """What resolving may read: records by (subject, dataset) with their as-of time, the
    applicant's license fields by type, the verified identity, and the day."""

    records: Mapping[tuple[Subject, str], tuple[DatasetRecord, datetime]]
    licenses: Mapping[str, tuple[Mapping[str, Any], datetime | None]]
    identity: Mapping[str, str | None]
    today: date
    identity_source: Callable[[str], tuple[str | None, datetime | None]] = field(
        default=lambda _: (None, None)
    )


def resolve(sources: Sources, known: Known) -> Filled:
    """The field as the first source with a value fills it, the options of all of them."""
    options: list[Option] = []
    first: Filled | None = None
    fallback: FieldSource | None = None
    for source in sources:
        filled = _one(source, known)
        options.extend(filled.options)
        if first is None and (filled.value is not None or filled.choice or filled.declared):
            first = filled
        if source.otherwise is not None or source.otherwise_declared is not None:
            fallback = source
    if fallback is not None and fallback.otherwise is not None:
        options.append(Option(fallback.otherwise, fallback.otherwise, PLATFORM))
    if first is not None and first.value is not None:
        return Filled(first.value, first.source, first.as_of, tuple(options))
    if len(options) == 1:
        only = options[0]
        return Filled(only.value, only.source, None, tuple(options))
    if options:
        return Filled(options=tuple(options))
    if first is not None:
        return first
    if fallback is not None and fallback.otherwise_declared is not None:
        return Filled(declared=fallback.otherwise_declared)
    return Filled()


def _one(source: FieldSource, known: Known) -> Filled:
    if source.choice is not None:
        return Filled(choice=source.choice)
    if source.declared is not None:
        return Filled(declared=source.declared)
    if source.platform is not None:
        return Filled(_platform(source.platform, known.today), PLATFORM)
    if source.identity is not None:
        value = known.identity.get(source.identity)
        origin, as_of = known.identity_source(source.identity)
        return Filled(value, origin, as_of) if value is not None else Filled()
    if source.license is not None:
        held = known.licenses.get(source.license)
        if held is None:
            return Filled()
        fields, as_of = held
        return Filled(_shape(source, fields.get(source.value or "")), "registry", as_of)
    assert source.dataset is not None
    found = known.records.get((source.subject, source.dataset))
    if found is None:
        return Filled()
    record, as_of = found
    if source.options is not None:
        return Filled(options=_options(source, record))
    value = _shape(source, _path(record, source.value or ""))
    return Filled(value, source.dataset, as_of) if value is not None else Filled()


def _options(source: FieldSource, record: DatasetRecord) -> tuple[Option, ...]:
    spec = source.options
    assert spec is not None
    assert source.dataset is not None
    items = getattr(record, spec.list_, None) or ()
    found = []
    for item in items:
        data = item.model_dump() if isinstance(item, DatasetRecord) else {}
        value = data.get(spec.value, spec.value)  # a literal when no field has the name
        if value is None:
            continue
        label = spec.label.format_map(_Missing(data))
        found.append(Option(value, label, source.dataset, item))
    return tuple(found)


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _path(record: Any, path: str) -> Any:
    current: Any = record
    for step in path.split("."):
        matched = _STEP.match(step)
        if matched is None or current is None:
            return None
        current = getattr(current, matched["name"], None)
        if matched["index"] is not None:
            index = int(matched["index"])
            current = current[index] if current is not None and len(current) > index else None
    return current


def _shape(source: FieldSource, value: Any) -> Any:
    if value is None:
        return None
    if source.map is not None:
        return source.map.get(str(value))
    if isinstance(value, date):
        value = value.isoformat()
    if source.format is not None:
        return source.format.format(value)
    if source.split is not None and isinstance(value, str):
        return [part for part in value.split(source.split) if part]
    return value


def _platform(kind: str, today: date) -> str | int:
    if kind == "this_month":
        return f"{today.year:04d}-{today.month:02d}"
    if kind == "this_year":
        return today.year
    return today.isoformat()
