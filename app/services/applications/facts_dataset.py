"""One department dataset's answer turned into facts that keep the answer's provenance.

Every fact derived from a dataset carries the source "<department>/<dataset>" (as the rules
vocabulary names it) and the department's `as_of`. The three answers a gathering can give
are handled here once: a record (the dataset's `derive`), "no record" (the dataset's `absent`
table, chosen fact by fact in facts_people.py and facts_enterprise.py) and no answer at all
(`Unavailable`: every fact is Unknown with the exchange's reason).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

from app.adapters.records import DatasetRecord
from app.adapters.service import DatasetKey, FactResult, Unavailable
from app.rules.facts import FactScalar, FactValue, Known, Provenance, Unknown

R = TypeVar("R", bound=DatasetRecord)

NOT_GATHERED = "not gathered"
NO_RECORD = "no record"


@dataclass(frozen=True, slots=True)
class Missing:
    """A fact a record cannot give, and why; it becomes Unknown with the dataset as source."""

    reason: str


Value = FactScalar | Missing
Values = Mapping[str, Value]


@dataclass(frozen=True, slots=True)
class Context:
    """What derivations may consult besides the record: the application date and who applies."""

    on: date
    # Compared with an enterprise's representative and agents; never logged or shown.
    applicant_id_number: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class DatasetFacts(Generic[R]):
    """How the facts named `names` are derived from one dataset."""

    key: DatasetKey
    record_type: type[R]
    names: tuple[str, ...]
    derive: Callable[[R, Context], Values]
    # The facts when the department answers "no record"; each choice is explained where the
    # table is written.
    absent: Values

    @property
    def source(self) -> str:
        """The provenance source, as the vocabulary writes it: "gjj/fund-account"."""
        return f"{self.key[0]}/{self.key[1]}"

    def facts(self, result: FactResult | None, context: Context) -> dict[str, FactValue]:
        """The dataset's facts from its gathered result (None: the caller did not gather it)."""
        if result is None:
            return self._unknown(NOT_GATHERED)
        if isinstance(result, Unavailable):
            return self._unknown(f"unavailable: {result.reason}")
        if not result.found:
            values = self.absent
        elif isinstance(result.record, self.record_type):
            values = self.derive(result.record, context)
        else:
            # Found but untyped or of another shape: a contract break, not a "no".
            return self._unknown("unexpected record")
        provenance = Provenance(self.source, result.as_of)
        return {name: self._fact(values.get(name), provenance) for name in self.names}

    def _fact(self, value: Value | None, provenance: Provenance) -> FactValue:
        if isinstance(value, Missing):
            return Unknown(value.reason, self.source)
        if value is None:
            return Unknown("not derived", self.source)
        return Known(value, provenance)

    def _unknown(self, reason: str) -> dict[str, FactValue]:
        return {name: Unknown(reason, self.source) for name in self.names}


AnyDatasetFacts = DatasetFacts[Any]
