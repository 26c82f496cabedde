"""The ruleset schema: what a department admin writes in YAML, checked when it is loaded.

A ruleset is law as code for one service over a period: its legal reference, the department
datasets it needs, parameters with dated values (a limit that changes on a date is a new value,
not a new ruleset), gates (such as the credit gate), criteria, and the outcome of an approval
(a payment, a license, a renewal or an instruction to a department). A criterion's condition is
data only: `{all: [...]}`, `{any: [...]}`, `{not: ...}` or a leaf `{fact, op, value |
parameter}`; nothing in a ruleset is ever run as code. Every mistake an admin can make (an
unknown fact or parameter, an operator given the wrong shape of value, a duplicate id, a case
that names a criterion that does not exist, an approval resting on what the applicant merely
typed, an approval with no outcome) is refused here, so evaluation never meets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from app.rules import amount, vocabulary
from app.rules.conditions import (
    LIST_OPS,
    ORDERED_OPS,
    AllOf,
    AnyOf,
    Condition,
    Leaf,
    NotOf,
    Op,
    Scalar,
    _Schema,
    check_operand,
    leaves,
)
from app.rules.outcome import ApprovalOutcome, OutcomeKind

__all__ = [
    "LIST_OPS",
    "ORDERED_OPS",
    "AllOf",
    "AnyOf",
    "ApprovalOutcome",
    "Case",
    "Commitment",
    "Condition",
    "Criterion",
    "Leaf",
    "NotOf",
    "Op",
    "OutcomeKind",
    "Ruleset",
    "RulesetError",
    "Scalar",
    "check_operand",
    "leaves",
]

Outcome = Literal["approve", "refer"]
ENTITLEMENT_PREFIX = "entitlement."
_ID = r"^[a-z][a-z0-9_.-]*$"
_SERVICE = r"^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$"
_DATASET = r"^[a-z]+/[a-z0-9-]+$"


class RulesetError(ValueError):
    """A ruleset, template or case that cannot be used; the message says where and why."""


class Commitment(_Schema):
    """告知承诺制: the law lets the applicant's word stand in for a proof, for now.

    A criterion marked so may pass on declared facts (what the applicant typed); the approval
    records the commitment, and `within_days` after it a check evaluates `verify` — a condition
    on verified facts — against the departments, putting the case before a clerk if it fails.
    """

    legal_reference: str = Field(min_length=1)
    verify: Condition
    within_days: int = Field(default=30, ge=1, le=365)


class Criterion(_Schema):
    """A named requirement of the service, in both languages, with its condition."""

    id: str = Field(pattern=_ID)
    title: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    condition: Condition
    legal_reference: str | None = None
    commitment: Commitment | None = None


class DatedValue(_Schema):
    """A parameter's value from a date on (until the next dated value)."""

    from_: date = Field(alias="from")
    value: Scalar | list[Scalar]


class Expected(_Schema):
    """What a case must come to: the outcome, and exactly which criteria fail or are unknown."""

    outcome: Outcome
    failing: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    amount: int | None = None

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
    outcome: ApprovalOutcome
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
        _check_trust(self)
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
        for leaf in _all_leaves(criterion):
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
    amount_term = ruleset.outcome.amount
    for name in amount.parameters_of(amount_term) if amount_term is not None else ():
        if name not in ruleset.parameters:
            raise ValueError(f"outcome.amount: unknown parameter {name!r}")


def _all_leaves(criterion: Criterion) -> Iterator[Leaf]:
    yield from leaves(criterion.condition)
    if criterion.commitment is not None:
        yield from leaves(criterion.commitment.verify)


def decision_facts(ruleset: Ruleset) -> tuple[str, ...]:
    """The facts the decision reads: every criterion's and the amount's, in first-use order
    (not a commitment's later check)."""
    names: dict[str, None] = {}
    for criterion in ruleset.all_criteria:
        names.update((leaf.fact, None) for leaf in leaves(criterion.condition))
    if ruleset.outcome.amount is not None:
        names.update((fact, None) for fact in amount.facts_of(ruleset.outcome.amount))
    return tuple(names)


def _datasets_of(facts: Iterable[str]) -> tuple[str, ...]:
    needed: dict[str, None] = {}
    for name in facts:
        spec = vocabulary.FACTS_BY_NAME.get(name)
        if spec is not None and spec.dataset is not None:
            needed[spec.dataset] = None
    return tuple(needed)


def needed_datasets(ruleset: Ruleset) -> tuple[str, ...]:
    """The department datasets the decision's facts come from, in first-use order."""
    return _datasets_of(decision_facts(ruleset))


def gathered_datasets(ruleset: Ruleset) -> tuple[str, ...]:
    """What a decision gathers: the datasets its facts need, then the outcome's records."""
    return tuple(dict.fromkeys((*needed_datasets(ruleset), *ruleset.outcome.records)))


def commitment_datasets(ruleset: Ruleset) -> tuple[str, ...]:
    """The datasets the later checks of the ruleset's commitments read."""
    return _datasets_of(
        leaf.fact
        for criterion in ruleset.all_criteria
        if criterion.commitment is not None
        for leaf in leaves(criterion.commitment.verify)
    )


def _check_trust(ruleset: Ruleset) -> None:
    # Principle 8: only verified facts carry an approval. Every criterion is on the approving
    # path (all must pass), so a declared fact anywhere in one needs the commitment mark.
    for criterion in ruleset.all_criteria:
        declared = [
            leaf.fact
            for leaf in leaves(criterion.condition)
            if vocabulary.trust_of(leaf.fact) == "declared"
        ]
        if declared and criterion.commitment is None:
            raise ValueError(
                f"{criterion.id}: rests on what the applicant declared ({', '.join(declared)}); "
                "use a verified fact, or mark it as a commitment (告知承诺制) with its legal "
                "reference"
            )
        if criterion.commitment is not None:
            unverified = [
                leaf.fact
                for leaf in leaves(criterion.commitment.verify)
                if vocabulary.trust_of(leaf.fact) != "verified"
            ]
            if unverified:
                raise ValueError(
                    f"{criterion.id}: a commitment is checked on verified facts, not "
                    f"{', '.join(unverified)}"
                )
    amount_term = ruleset.outcome.amount
    for name in amount.facts_of(amount_term) if amount_term is not None else ():
        if vocabulary.trust_of(name) != "verified":
            raise ValueError(f"outcome.amount: money is computed from verified facts, not {name}")
        if not vocabulary.is_known(name):
            raise ValueError(f"outcome.amount: unknown fact {name!r}")
    platform = [name for name in decision_facts(ruleset) if name.startswith(ENTITLEMENT_PREFIX)]
    if platform and ruleset.outcome.entitlement is None:
        raise ValueError(f"{', '.join(platform)} need the outcome to name its entitlement")


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
