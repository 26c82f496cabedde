"""The ruleset schema: what a department admin writes in YAML, checked when it is loaded.

A ruleset is law as code for one service over a period: its legal reference, the department
datasets it needs, parameters with dated values (a limit that changes on a date is a new value,
not a new ruleset), gates (such as the credit gate) and criteria. A criterion's condition is data
only: `{all: [...]}`, `{any: [...]}`, `{not: ...}` or a leaf `{fact, op, value | parameter}`;
nothing in a ruleset is ever run as code. Every mistake an admin can make (an unknown fact or
parameter, an operator given the wrong shape of value, a duplicate id, a case that names a
criterion that does not exist) is refused here, so evaluation never meets it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.rules import vocabulary

Scalar = bool | int | float | str | date
Op = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "exists", "between"]
Outcome = Literal["approve", "refer"]

LIST_OPS: frozenset[str] = frozenset({"in", "not_in"})
ORDERED_OPS: frozenset[str] = frozenset({"gt", "gte", "lt", "lte", "between"})
_ID = r"^[a-z][a-z0-9_.-]*$"
_SERVICE = r"^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$"
_DATASET = r"^[a-z]+/[a-z0-9-]+$"


class RulesetError(ValueError):
    """A ruleset, template or case that cannot be used; the message says where and why."""


class _Schema(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Leaf(_Schema):
    """One test of one fact: `{fact, op, value}` or `{fact, op, parameter}`; `exists` takes
    neither."""

    fact: str
    op: Op
    value: Scalar | list[Scalar] | None = None
    parameter: str | None = None

    @field_validator("fact")
    @classmethod
    def _known_fact(cls, fact: str) -> str:
        if not vocabulary.is_known(fact):
            raise ValueError(f"unknown fact {fact!r} (see app/rules/vocabulary.py)")
        return fact

    @model_validator(mode="after")
    def _operand(self) -> Leaf:
        if self.op == "exists":
            if self.value is not None or self.parameter is not None:
                raise ValueError("'exists' takes neither a value nor a parameter")
            return self
        if (self.value is None) == (self.parameter is None):
            raise ValueError(f"'{self.op}' on {self.fact} takes exactly one of value or parameter")
        if self.value is not None:
            check_operand(self.op, self.value)
        return self


class AllOf(_Schema):
    """Passes when every condition passes."""

    all: list[Condition] = Field(min_length=1)


class AnyOf(_Schema):
    """Passes when some condition passes."""

    any: list[Condition] = Field(min_length=1)


class NotOf(_Schema):
    """Passes when the condition fails (and stays unknown when it is unknown)."""

    not_: Condition = Field(alias="not")


def _condition_kind(raw: Any) -> str | None:
    if isinstance(raw, BaseModel):
        kinds = {AllOf: "all", AnyOf: "any", NotOf: "not", Leaf: "leaf"}
        return kinds.get(type(raw))
    if not isinstance(raw, dict):
        return None
    for key in ("all", "any", "not"):
        if key in raw:
            return key
    return "leaf" if "fact" in raw else None


Condition = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")]
    | Annotated[Leaf, Tag("leaf")],
    Discriminator(
        _condition_kind,
        custom_error_type="condition",
        custom_error_message="a condition is {all: [...]}, {any: [...]}, {not: ...} or "
        "{fact, op, value | parameter}",
    ),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


def leaves(condition: Condition) -> Iterator[Leaf]:
    """Every leaf of a condition, depth first."""
    if isinstance(condition, Leaf):
        yield condition
    elif isinstance(condition, AllOf):
        for child in condition.all:
            yield from leaves(child)
    elif isinstance(condition, AnyOf):
        for child in condition.any:
            yield from leaves(child)
    else:
        yield from leaves(condition.not_)


def check_operand(op: str, value: object) -> None:
    """Refuse a value of the wrong shape for the operator (a list for in/not_in, a pair for
    between, a scalar otherwise)."""
    if op in LIST_OPS:
        if not isinstance(value, list) or not value:
            raise ValueError(f"'{op}' takes a non-empty list")
    elif op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError("'between' takes a list of two values [low, high]")
        low, high = value
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        if not (numbers or all(isinstance(v, date) for v in value)):
            raise ValueError("'between' takes two numbers or two dates")
        if low > high:
            raise ValueError(f"'between' low {low!r} is above high {high!r}")
    elif isinstance(value, list):
        raise ValueError(f"'{op}' takes a single value, not a list")
    elif op in ORDERED_OPS and isinstance(value, bool):
        raise ValueError(f"'{op}' does not order true and false")


class Criterion(_Schema):
    """A named requirement of the service, in both languages, with its condition."""

    id: str = Field(pattern=_ID)
    title: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    condition: Condition
    legal_reference: str | None = None


class DatedValue(_Schema):
    """A parameter's value from a date on (until the next dated value)."""

    from_: date = Field(alias="from")
    value: Scalar | list[Scalar]


class Expected(_Schema):
    """What a case must come to: the outcome, and exactly which criteria fail or are unknown."""

    outcome: Outcome
    failing: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _approve_has_no_reasons(self) -> Expected:
        if self.outcome == "approve" and (self.failing or self.unknown):
            raise ValueError("an approved case has no failing or unknown criteria")
        if self.outcome == "refer" and not (self.failing or self.unknown):
            raise ValueError("a referred case names its failing or unknown criteria")
        return self


class Case(_Schema):
    """A worked example shipped with the ruleset: facts on a date and the expected result."""

    name: str = Field(min_length=1)
    on: date = Field(alias="date")
    facts: dict[str, Scalar | None] = Field(default_factory=dict)
    unknown: tuple[str, ...] = ()
    expected: Expected

    @field_validator("facts", "unknown")
    @classmethod
    def _known_facts(cls, names: Any, info: ValidationInfo) -> Any:
        for name in names:
            if not vocabulary.is_known(name):
                raise ValueError(f"unknown fact {name!r} in {info.field_name}")
        return names


class Ruleset(_Schema):
    """One version of the rules of one service, in force from `effective_from` until (not
    including) `effective_to`."""

    service: str = Field(pattern=_SERVICE)
    version: int = Field(ge=1)
    effective_from: date
    effective_to: date | None = None
    legal_reference: str = Field(min_length=1)
    title: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    datasets: tuple[Annotated[str, Field(pattern=_DATASET)], ...] = ()
    parameters: dict[str, tuple[DatedValue, ...]] = Field(default_factory=dict)
    gates: tuple[Criterion, ...] = ()
    criteria: tuple[Criterion, ...] = ()
    cases: tuple[Case, ...] = ()

    @property
    def all_criteria(self) -> tuple[Criterion, ...]:
        """Gates first, then criteria: the order of evaluation and of the explanation."""
        return (*self.gates, *self.criteria)

    def in_force_on(self, on: date) -> bool:
        """Whether `on` falls in [effective_from, effective_to)."""
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)

    @model_validator(mode="after")
    def _consistent(self) -> Ruleset:
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        if not self.all_criteria:
            raise ValueError("a ruleset has at least one gate or criterion")
        _check_ids(self.all_criteria)
        _check_parameters(self)
        _check_datasets(self)
        _check_cases(self)
        return self


def _check_ids(criteria: Sequence[Criterion]) -> None:
    seen: set[str] = set()
    for criterion in criteria:
        if criterion.id in seen:
            raise ValueError(f"criterion id {criterion.id!r} is used twice")
        seen.add(criterion.id)


def _check_parameters(ruleset: Ruleset) -> None:
    for name, values in ruleset.parameters.items():
        if not values:
            raise ValueError(f"parameter {name!r} has no values")
        starts = [dated.from_ for dated in values]
        if starts != sorted(set(starts)):
            raise ValueError(f"parameter {name!r}: dated values must be in date order, unique")
        # Every day the ruleset is in force has a value, so evaluation never lacks one.
        if starts[0] > ruleset.effective_from:
            raise ValueError(f"parameter {name!r} has no value on {ruleset.effective_from}")
    for criterion in ruleset.all_criteria:
        for leaf in leaves(criterion.condition):
            if leaf.parameter is None:
                continue
            if leaf.parameter not in ruleset.parameters:
                raise ValueError(f"{criterion.id}: unknown parameter {leaf.parameter!r}")
            for dated in ruleset.parameters[leaf.parameter]:
                try:
                    check_operand(leaf.op, dated.value)
                except ValueError as exc:
                    raise ValueError(
                        f"{criterion.id}: parameter {leaf.parameter!r} from {dated.from_}: {exc}"
                    ) from None


def needed_datasets(ruleset: Ruleset) -> tuple[str, ...]:
    """The department datasets the ruleset's facts come from, in first-use order."""
    needed: dict[str, None] = {}
    for criterion in ruleset.all_criteria:
        for leaf in leaves(criterion.condition):
            spec = vocabulary.FACTS_BY_NAME.get(leaf.fact)
            if spec is not None and "/" in spec.source:
                needed[spec.source] = None
    return tuple(needed)


def _check_datasets(ruleset: Ruleset) -> None:
    # The applications domain fetches exactly `datasets`: a missing one would leave a fact
    # unknown on every application, an extra one would read citizens' data for no purpose.
    needed, declared = set(needed_datasets(ruleset)), set(ruleset.datasets)
    if needed - declared:
        raise ValueError(f"datasets missing for the facts used: {sorted(needed - declared)}")
    if declared - needed:
        raise ValueError(f"datasets no criterion uses: {sorted(declared - needed)}")


def _check_cases(ruleset: Ruleset) -> None:
    ids = {criterion.id for criterion in ruleset.all_criteria}
    names: set[str] = set()
    for case in ruleset.cases:
        if case.name in names:
            raise ValueError(f"case {case.name!r} is named twice")
        names.add(case.name)
        if not ruleset.in_force_on(case.on):
            raise ValueError(f"case {case.name!r}: {case.on} is outside the ruleset's dates")
        both = set(case.facts) & set(case.unknown)
        if both:
            raise ValueError(f"case {case.name!r}: facts both given and unknown: {sorted(both)}")
        named = {*case.expected.failing, *case.expected.unknown}
        if named - ids:
            raise ValueError(f"case {case.name!r}: no such criterion {sorted(named - ids)}")
