"""Fact values as the engine receives them: a value with its provenance, or unknown.

The applications domain builds these from department data (app/services/applications/); the
engine only reads them. A fact that could not be had (a department did not answer in time, the
applicant holds no such license, the dataset has no record) is `Unknown` with the reason: a rule
that needs it is then "unknown", never "failed" (DESIGN §2, principle 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

FactScalar = bool | int | float | str | date | None


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a fact came from: a department dataset ("gjj/fund-account"), "applicant", "form"
    or "registry", and as of when (the department's `as_of`; None when not stated)."""

    source: str
    as_of: datetime | None = None


@dataclass(frozen=True, slots=True)
class Known:
    """A fact's value and where it came from."""

    value: FactScalar
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class Unknown:
    """A fact that could not be had, and why ("unavailable: timeout", "no record", …)."""

    reason: str
    source: str


FactValue = Known | Unknown
FactSet = Mapping[str, FactValue]
