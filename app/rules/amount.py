"""The amount an approval pays, as data: a formula over verified facts and dated parameters.

Money may only move on verified data (DESIGN §2, principle 9), so the formula is written in the
ruleset like its conditions — never as code — and is computed by the engine with the facts of
the case: `{fact: hpf.balance}`, `{parameter: monthly_limit}`, `{value: 12}`, and the
combinators `{min: [...]}` and `{times: [...]}`. A rent withdrawal is "the monthly limit times
the months since the last withdrawal, capped at twelve months and by the balance":

    amount:
      min:
        - {fact: hpf.balance}
        - times:
            - {parameter: monthly_rent_limit}
            - min: [{fact: hpf.months_since_last_withdrawal}, {parameter: max_months}]

The result is whole yuan, rounded down. A term whose fact is unknown makes the amount unknown
(and the case goes to a clerk); the explanation lists every value the formula read.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from app.rules.facts import FactSet, Known


class _Term(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FactTerm(_Term):
    """The value of a (verified, numeric) fact."""

    fact: str


class ParameterTerm(_Term):
    """The value of a parameter on the evaluation date."""

    parameter: str


class ValueTerm(_Term):
    """A constant."""

    value: int | float


class MinTerm(_Term):
    """The smallest of the terms."""

    min: list[AmountTerm] = Field(min_length=1)


class TimesTerm(_Term):
    """The product of the terms."""

    times: list[AmountTerm] = Field(min_length=1)


_KINDS = ("fact", "parameter", "value", "min", "times")


def _term_kind(raw: Any) -> str | None:
    # A term is recognised by its one key, whether raw YAML data or an already built term.
    keys = type(raw).model_fields if isinstance(raw, BaseModel) else raw
    if isinstance(keys, dict):
        return next((key for key in _KINDS if key in keys), None)
    return None


AmountTerm = Annotated[
    Annotated[FactTerm, Tag("fact")]
    | Annotated[ParameterTerm, Tag("parameter")]
    | Annotated[ValueTerm, Tag("value")]
    | Annotated[MinTerm, Tag("min")]
    | Annotated[TimesTerm, Tag("times")],
    Discriminator(
        _term_kind,
        custom_error_type="amount",
        custom_error_message="an amount is {fact}, {parameter}, {value}, {min: [...]} or "
        "{times: [...]}",
    ),
]
MinTerm.model_rebuild()
TimesTerm.model_rebuild()


def terms(term: AmountTerm) -> Iterator[AmountTerm]:
    """The term and every term inside it, depth first."""
    yield term
    if isinstance(term, MinTerm | TimesTerm):
        for child in term.min if isinstance(term, MinTerm) else term.times:
            yield from terms(child)


def facts_of(term: AmountTerm) -> list[str]:
    """The facts a formula reads."""
    return [t.fact for t in terms(term) if isinstance(t, FactTerm)]


def parameters_of(term: AmountTerm) -> list[str]:
    """The parameters a formula reads."""
    return [t.parameter for t in terms(term) if isinstance(t, ParameterTerm)]


@dataclass(frozen=True, slots=True)
class AmountResult:
    """The computed amount (None when a fact it needs is unknown), the formula as text with the
    values it read, and the provenance of those values."""

    value: int | None
    formula: str
    read: dict[str, object]
    sources: tuple[str, ...]
    as_of: datetime | None
    unknown: tuple[str, ...] = ()


def compute(term: AmountTerm, facts: FactSet, parameters: Mapping[str, Any]) -> AmountResult:
    """The formula's value in whole yuan (rounded down), with its explanation."""
    read: dict[str, object] = {}
    sources: dict[str, None] = {}
    stamps: list[datetime] = []
    unknown: list[str] = []

    def value(t: AmountTerm) -> float | None:
        if isinstance(t, ValueTerm):
            return float(t.value)
        if isinstance(t, ParameterTerm):
            number = parameters[t.parameter]
            read[t.parameter] = number
            return float(number) if _is_number(number) else None
        if isinstance(t, FactTerm):
            fact = facts.get(t.fact)
            if not isinstance(fact, Known) or not _is_number(fact.value):
                unknown.append(t.fact)
                read[t.fact] = None
                return None
            read[t.fact] = fact.value
            sources[fact.provenance.source] = None
            if fact.provenance.as_of is not None:
                stamps.append(fact.provenance.as_of)
            return float(fact.value)  # type: ignore[arg-type]
        parts = [value(child) for child in (t.min if isinstance(t, MinTerm) else t.times)]
        if any(part is None for part in parts):
            return None
        numbers = [part for part in parts if part is not None]
        return min(numbers) if isinstance(t, MinTerm) else math.prod(numbers)

    result = value(term)
    return AmountResult(
        value=None if result is None else max(0, math.floor(result)),
        formula=describe(term),
        read=read,
        sources=tuple(sources),
        as_of=min(stamps, key=datetime.timestamp) if stamps else None,
        unknown=tuple(dict.fromkeys(unknown)),
    )


def describe(term: AmountTerm) -> str:
    """The formula as a person reads it: "min(hpf.balance, monthly_rent_limit × …)"."""
    if isinstance(term, FactTerm):
        return term.fact
    if isinstance(term, ParameterTerm):
        return term.parameter
    if isinstance(term, ValueTerm):
        return str(term.value)
    if isinstance(term, MinTerm):
        return "min(" + ", ".join(describe(child) for child in term.min) + ")"
    return " × ".join(
        f"({describe(child)})" if isinstance(child, TimesTerm) else describe(child)
        for child in term.times
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
