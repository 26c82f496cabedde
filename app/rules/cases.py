"""Run the YAML cases a ruleset ships with (the OpenFisca habit: law as code comes with tests).

A case gives facts on a date and says what the evaluation must come to: the outcome, exactly
which criteria fail and which are unknown, and (optionally) the amount an approval pays. Facts
named under `unknown:` are `Unknown` (as when a department does not answer); facts the case does
not mention are absent, hence unknown too.
`qingeban rules test`, the test suite and the admin API's "test before publish" all run them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from app.rules.evaluate import Evaluation, evaluate
from app.rules.facts import FactSet, Known, Provenance, Unknown
from app.rules.model import Case, Ruleset

CASE_SOURCE = "case"


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One case run: whether it came out as expected, and if not, how it differs."""

    service: str
    version: int
    case: str
    evaluation: Evaluation
    diff: dict[str, dict[str, object]] = field(default_factory=dict)
    """By aspect ("outcome", "failing", "unknown"): what was expected and what came out."""

    @property
    def passed(self) -> bool:
        """Whether the evaluation matched the expectation exactly."""
        return not self.diff


def case_facts(case: Case) -> FactSet:
    """The case's facts as the engine receives them, with provenance "case"."""
    facts: dict[str, Known | Unknown] = {
        name: Known(value, Provenance(CASE_SOURCE)) for name, value in case.facts.items()
    }
    for name in case.unknown:
        facts[name] = Unknown("unavailable (case)", CASE_SOURCE)
    return facts


def run_case(ruleset: Ruleset, case: Case) -> CaseResult:
    """Evaluate one case and compare it with its expectation."""
    evaluation = evaluate(ruleset, case_facts(case), case.on)
    expected = case.expected
    diff: dict[str, dict[str, object]] = {}
    if evaluation.outcome != expected.outcome:
        diff["outcome"] = {"expected": expected.outcome, "actual": evaluation.outcome}
    paid = evaluation.amount.value if evaluation.amount is not None else None
    if expected.amount is not None and paid != expected.amount:
        diff["amount"] = {"expected": expected.amount, "actual": paid}
    for aspect, want, got in (
        ("failing", expected.failing, evaluation.failing),
        ("unknown", expected.unknown, evaluation.unknown),
    ):
        if set(want) != set(got):
            diff[aspect] = {
                "expected": sorted(want),
                "actual": sorted(got),
                "missing": sorted(set(want) - set(got)),
                "unexpected": sorted(set(got) - set(want)),
            }
    return CaseResult(ruleset.service, ruleset.version, case.name, evaluation, diff)


def run_cases(rulesets: Iterable[Ruleset], service: str | None = None) -> list[CaseResult]:
    """Run every case of the rulesets (of one service when `service` is given)."""
    return [
        run_case(ruleset, case)
        for ruleset in rulesets
        if service is None or ruleset.service == service
        for case in ruleset.cases
    ]
