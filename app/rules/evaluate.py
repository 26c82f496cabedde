"""Evaluate a ruleset against facts on a date: a result per criterion, and the outcome.

Three-valued: a criterion is passed, failed or unknown. A leaf on a fact that is missing,
`Unknown`, or cannot be compared is unknown; `all` fails if any part fails, else is unknown if
any part is, else passes; `any` passes if any part passes, else is unknown if any part is, else
fails; `not` swaps passed and failed. The outcome is `approve` only when every gate and criterion
passed, and `refer` (to a clerk) otherwise: the machine may say yes, only a person says no
(DESIGN §2, principle 1), so there is no "reject" here.

Each result carries its explanation (principle 2): the value found, the requirement as text and
as data, and where the fact came from and as of when. A disbursement's amount is computed from
the ruleset's formula (amount.py) and explained the same way; an approval that would pay an
amount nobody can compute, or nothing, is referred instead (the synthetic criterion `amount`).
Criteria marked as commitments (告知承诺制) that passed are listed, so the approval records
them and their later check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, JsonValue

from app.rules import amount, operators, vocabulary
from app.rules.facts import FactScalar, FactSet, Known, Unknown
from app.rules.model import (
    AllOf,
    AnyOf,
    Condition,
    Criterion,
    Leaf,
    Outcome,
    Ruleset,
    Scalar,
    leaves,
)

AMOUNT_CRITERION = "amount"

Result = Literal["passed", "failed", "unknown"]


class FactRead(BaseModel):
    """One fact a criterion read: its value (None when unknown), provenance, and why unknown."""

    model_config = ConfigDict(frozen=True)

    fact: str
    value: JsonValue
    source: str | None
    as_of: datetime | None
    unknown_reason: str | None = None


class CriterionResult(BaseModel):
    """One gate or criterion as evaluated, explained.

    `found` is the fact's value for a single test, or `{fact: value}` for a composite one.
    `required` reads like "≥ 3"; `requirement` is the condition with parameters resolved to the
    values in force. `source` and `as_of` are those of the facts that decided the result (one
    source, or a list when several departments did); `as_of` is the oldest of them.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    title_en: str
    gate: bool
    result: Result
    found: JsonValue
    required: str
    requirement: JsonValue
    source: str | list[str] | None
    as_of: datetime | None
    reason: str | None = None
    facts: tuple[FactRead, ...]


class AmountRead(BaseModel):
    """The computed amount (whole yuan; None when it could not be computed) and how."""

    model_config = ConfigDict(frozen=True)

    value: int | None
    formula: str
    read: dict[str, JsonValue]
    source: list[str]
    as_of: datetime | None


class CommitmentRead(BaseModel):
    """A commitment the approval stands on: what was declared, the law, and the later check."""

    model_config = ConfigDict(frozen=True)

    criterion: str
    legal_reference: str
    declared: dict[str, JsonValue]
    verify: JsonValue
    within_days: int


class Evaluation(BaseModel):
    """The decision's explanation: which ruleset, on which date, each criterion, the outcome."""

    model_config = ConfigDict(frozen=True)

    ruleset_service: str
    ruleset_version: int
    legal_reference: str
    evaluated_on: date
    outcome: Outcome
    criteria: tuple[CriterionResult, ...]
    reasons: tuple[str, ...]
    """The ids of the gates and criteria that did not pass, gates first."""
    amount: AmountRead | None = None
    commitments: tuple[CommitmentRead, ...] = ()

    @property
    def failing(self) -> tuple[str, ...]:
        """The ids of the failed gates and criteria."""
        return tuple(c.id for c in self.criteria if c.result == "failed")

    @property
    def unknown(self) -> tuple[str, ...]:
        """The ids of the gates and criteria that could not be decided."""
        return tuple(c.id for c in self.criteria if c.result == "unknown")

    def to_json(self) -> dict[str, Any]:
        """The JSON form, as stored with the decision."""
        return self.model_dump(mode="json")


@dataclass(frozen=True, slots=True)
class _Verdict:
    result: Result
    deciding: tuple[FactRead, ...]  # the reads that made the result what it is
    reads: tuple[FactRead, ...]
    required: str
    requirement: JsonValue


def evaluate(ruleset: Ruleset, facts: FactSet, on: date) -> Evaluation:
    """Evaluate every gate, then every criterion, on the date `on` (which must be in force)."""
    if not ruleset.in_force_on(on):
        raise ValueError(f"{ruleset.service} v{ruleset.version} is not in force on {on}")
    parameters = {name: parameter_on(ruleset, name, on) for name in ruleset.parameters}
    results = [
        _criterion(criterion, gate, facts, parameters)
        for gate, group in ((True, ruleset.gates), (False, ruleset.criteria))
        for criterion in group
    ]
    paid = _amount(ruleset, facts, parameters)
    if paid is not None and not any(r.result != "passed" for r in results):
        payable = _payable(paid)
        if payable is not None:
            results.append(payable)
    reasons = tuple(result.id for result in results if result.result != "passed")
    return Evaluation(
        ruleset_service=ruleset.service,
        ruleset_version=ruleset.version,
        legal_reference=ruleset.legal_reference,
        evaluated_on=on,
        outcome="refer" if reasons else "approve",
        criteria=tuple(results),
        reasons=reasons,
        amount=paid,
        commitments=_commitments(ruleset, results, facts) if not reasons else (),
    )


def _amount(ruleset: Ruleset, facts: FactSet, parameters: Mapping[str, Any]) -> AmountRead | None:
    formula = ruleset.outcome.amount
    if formula is None:
        return None
    computed = amount.compute(formula, facts, parameters)
    return AmountRead(
        value=computed.value,
        formula=computed.formula,
        read={name: _json(value) for name, value in computed.read.items()},  # type: ignore[arg-type]
        source=list(computed.sources),
        as_of=computed.as_of,
    )


def _payable(paid: AmountRead) -> CriterionResult | None:
    """Nothing to refer for when the amount is positive; else why a clerk must look."""
    if paid.value is not None and paid.value > 0:
        return None
    unknown = paid.value is None
    return CriterionResult(
        id=AMOUNT_CRITERION,
        title="可支付金额可依据核验数据计算且大于零",
        title_en="The amount to pay is computed from verified data and is above zero",
        gate=False,
        result="unknown" if unknown else "failed",
        found=paid.value,
        required=f"{paid.formula} > 0",
        requirement={"amount": paid.formula, "op": "gt", "value": 0},
        source=paid.source[0] if len(paid.source) == 1 else paid.source or None,
        as_of=paid.as_of,
        reason="amount cannot be computed" if unknown else None,
        facts=(),
    )


def _commitments(
    ruleset: Ruleset, results: list[CriterionResult], facts: FactSet
) -> tuple[CommitmentRead, ...]:
    passed = {result.id for result in results if result.result == "passed"}
    made = []
    for criterion in ruleset.all_criteria:
        commitment = criterion.commitment
        if commitment is None or criterion.id not in passed:
            continue
        declared = {
            leaf.fact: _json(fact.value)
            for leaf in leaves(criterion.condition)
            if vocabulary.trust_of(leaf.fact) == "declared"
            and isinstance(fact := facts.get(leaf.fact), Known)
        }
        made.append(
            CommitmentRead(
                criterion=criterion.id,
                legal_reference=commitment.legal_reference,
                declared=declared,
                verify=commitment.verify.model_dump(mode="json", by_alias=True, exclude_none=True),
                within_days=commitment.within_days,
            )
        )
    return tuple(made)


def parameter_on(ruleset: Ruleset, name: str, on: date) -> Scalar | list[Scalar]:
    """The value of a parameter in force on `on`: the latest dated value from on or before."""
    in_force = [dated for dated in ruleset.parameters[name] if dated.from_ <= on]
    if not in_force:
        raise ValueError(f"parameter {name!r} has no value on {on}")
    return in_force[-1].value


def _criterion(
    criterion: Criterion, gate: bool, facts: FactSet, parameters: Mapping[str, Any]
) -> CriterionResult:
    verdict = _condition(criterion.condition, facts, parameters)
    single = isinstance(criterion.condition, Leaf)
    sources = list(dict.fromkeys(r.source for r in verdict.deciding if r.source is not None))
    stamps = [r.as_of for r in verdict.deciding if r.as_of is not None]
    reasons = [f"{r.fact}: {r.unknown_reason}" for r in verdict.deciding if r.unknown_reason]
    return CriterionResult(
        id=criterion.id,
        title=criterion.title,
        title_en=criterion.title_en,
        gate=gate,
        result=verdict.result,
        found=verdict.reads[0].value if single else {r.fact: r.value for r in verdict.reads},
        required=verdict.required,
        requirement=verdict.requirement,
        source=(sources[0] if len(sources) == 1 else sources) if sources else None,
        # By timestamp, so that a department stating naive times cannot make this raise.
        as_of=min(stamps, key=datetime.timestamp) if stamps else None,
        reason="; ".join(reasons) if verdict.result == "unknown" and reasons else None,
        facts=_distinct(verdict.reads),
    )


def _condition(condition: Condition, facts: FactSet, parameters: Mapping[str, Any]) -> _Verdict:
    if isinstance(condition, Leaf):
        return _leaf(condition, facts, parameters)
    if isinstance(condition, AllOf | AnyOf):
        parts = condition.all if isinstance(condition, AllOf) else condition.any
        verdicts = [_condition(part, facts, parameters) for part in parts]
        # `all` is decided by a failure, `any` by a pass; otherwise by an unknown.
        decisive: Result = "failed" if isinstance(condition, AllOf) else "passed"
        results = {verdict.result for verdict in verdicts}
        if decisive in results:
            result = decisive
        elif "unknown" in results:
            result = "unknown"
        else:
            result = "passed" if decisive == "failed" else "failed"
        word, key = (" and ", "all") if isinstance(condition, AllOf) else (" or ", "any")
        return _Verdict(
            result=result,
            deciding=tuple(r for v in verdicts if v.result == result for r in v.deciding),
            reads=tuple(r for v in verdicts for r in v.reads),
            required=word.join(_clause(part, v) for part, v in zip(parts, verdicts, strict=True)),
            requirement={key: [v.requirement for v in verdicts]},
        )
    inner = _condition(condition.not_, facts, parameters)
    swapped: dict[Result, Result] = {"passed": "failed", "failed": "passed", "unknown": "unknown"}
    return _Verdict(
        result=swapped[inner.result],
        deciding=inner.deciding,
        reads=inner.reads,
        required=f"not ({_clause(condition.not_, inner)})",
        requirement={"not": inner.requirement},
    )


def _clause(condition: Condition, verdict: _Verdict) -> str:
    if isinstance(condition, Leaf):
        return f"{condition.fact} {verdict.required}"
    return f"({verdict.required})"


def _leaf(leaf: Leaf, facts: FactSet, parameters: Mapping[str, Any]) -> _Verdict:
    required = leaf.value if leaf.parameter is None else parameters[leaf.parameter]
    requirement: dict[str, JsonValue] = {"fact": leaf.fact, "op": leaf.op}
    if leaf.op != "exists":
        requirement["value"] = _json(required)
    if leaf.parameter is not None:
        requirement["parameter"] = leaf.parameter
    fact = facts.get(leaf.fact)
    result: Result
    if isinstance(fact, Known):
        read = FactRead(
            fact=leaf.fact,
            value=_json(fact.value),
            source=fact.provenance.source,
            as_of=fact.provenance.as_of,
        )
        if leaf.op == "exists":
            result = "failed" if fact.value is None else "passed"
        else:
            answer = operators.apply(leaf.op, fact.value, required)
            result = "unknown" if answer is None else "passed" if answer else "failed"
            if answer is None:
                reason = "no value" if fact.value is None else "cannot be compared"
                read = read.model_copy(update={"unknown_reason": reason})
    else:
        reason, source = _missing(leaf.fact, fact)
        read = FactRead(
            fact=leaf.fact, value=None, source=source, as_of=None, unknown_reason=reason
        )
        result = "unknown"
    return _Verdict(
        result=result,
        deciding=(read,),
        reads=(read,),
        required=operators.describe(leaf.op, required),
        requirement=requirement,
    )


def _missing(name: str, fact: Unknown | None) -> tuple[str, str]:
    if fact is not None:
        return fact.reason, fact.source
    spec = vocabulary.FACTS_BY_NAME.get(name)
    return "not provided", spec.source if spec is not None else "form"


def _json(value: FactScalar | list[Scalar]) -> JsonValue:
    if isinstance(value, list):
        return [_json(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _distinct(reads: tuple[FactRead, ...]) -> tuple[FactRead, ...]:
    seen: dict[str, FactRead] = {}
    for read in reads:
        seen.setdefault(read.fact, read)
    return tuple(seen.values())


class CommitmentCheck(BaseModel):
    """A commitment checked against the departments' data: held, broken, or not yet known."""

    model_config = ConfigDict(frozen=True)

    criterion: str
    result: Result
    found: JsonValue
    required: str
    source: str | list[str] | None
    reason: str | None = None


def check_commitments(ruleset: Ruleset, facts: FactSet, on: date) -> tuple[CommitmentCheck, ...]:
    """Evaluate each commitment's `verify` condition on verified facts, on the day of the
    check (passed: the promise held; failed: the data contradicts it; unknown: not yet
    decidable)."""
    parameters = {name: parameter_on(ruleset, name, on) for name in ruleset.parameters}
    checks = []
    for criterion in ruleset.all_criteria:
        if criterion.commitment is None:
            continue
        verdict = _condition(criterion.commitment.verify, facts, parameters)
        sources = list(dict.fromkeys(r.source for r in verdict.deciding if r.source is not None))
        reasons = [f"{r.fact}: {r.unknown_reason}" for r in verdict.deciding if r.unknown_reason]
        checks.append(
            CommitmentCheck(
                criterion=criterion.id,
                result=verdict.result,
                found={r.fact: r.value for r in verdict.reads},
                required=verdict.required,
                source=(sources[0] if len(sources) == 1 else sources) if sources else None,
                reason="; ".join(reasons) if verdict.result == "unknown" and reasons else None,
            )
        )
    return tuple(checks)
