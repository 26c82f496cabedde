"""Conditions as data: `{all: [...]}`, `{any: [...]}`, `{not: ...}` or a leaf `{fact, op, value |
parameter}`, checked when a ruleset is loaded so that evaluation never meets a malformed one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from app.rules import vocabulary

Scalar = bool | int | float | str | date
Op = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "exists", "between"]

LIST_OPS: frozenset[str] = frozenset({"in", "not_in"})
ORDERED_OPS: frozenset[str] = frozenset({"gt", "gte", "lt", "lte", "between"})


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
