"""Small builders for rulesets and facts in the rules tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from app.rules import vocabulary
from app.rules.evaluate import CriterionResult, evaluate
from app.rules.facts import FactScalar, Known, Provenance, Unknown
from app.rules.model import Ruleset

ON = date(2026, 11, 24)
FETCHED = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)


def leaf(fact: str, op: str, value: Any = None, *, parameter: str | None = None) -> dict[str, Any]:
    """A leaf condition as YAML would give it."""
    raw: dict[str, Any] = {"fact": fact, "op": op}
    if value is not None:
        raw["value"] = value
    if parameter is not None:
        raw["parameter"] = parameter
    return raw


def criterion(id_: str, condition: dict[str, Any]) -> dict[str, Any]:
    return {"id": id_, "title": f"标题 {id_}", "title_en": f"Title {id_}", "condition": condition}


def _facts_in(condition: Any) -> list[str]:
    if isinstance(condition, dict):
        if "fact" in condition:
            return [condition["fact"]]
        return [name for value in condition.values() for name in _facts_in(value)]
    if isinstance(condition, list):
        return [name for item in condition for name in _facts_in(item)]
    return []


# The engine's tests read form facts as any others; the trust rule (a declared fact approves
# only as a commitment) is tested on its own, so these builders mark such criteria.
TEST_COMMITMENT = {
    "legal_reference": "测试用承诺",
    "verify": {"fact": "hpf.account_exists", "op": "eq", "value": True},
}
TEST_OUTCOME = {"kind": "instruction", "department": "gjj", "action": "test"}


def committed(item: dict[str, Any]) -> dict[str, Any]:
    declared = any(vocabulary.trust_of(name) == "declared" for name in _facts_in(item["condition"]))
    return (
        {**item, "commitment": TEST_COMMITMENT} if declared and "commitment" not in item else item
    )


def ruleset_raw(*, commit_declared: bool = True, **fields: Any) -> dict[str, Any]:
    """A valid ruleset mapping; `datasets` follows from the facts used unless given, and a
    criterion on a declared fact is marked as a commitment unless `commit_declared` is False."""
    raw: dict[str, Any] = {
        "service": "gjj.withdraw.rent",
        "version": 1,
        "effective_from": date(2024, 1, 1),
        "legal_reference": "《住房公积金管理条例》第二十四条",
        "title": "住房公积金提取（租赁住房）",
        "title_en": "Housing fund withdrawal for renting a home",
        "criteria": [criterion("c", leaf("form.a", "gte", 3))],
        "outcome": TEST_OUTCOME,
        **fields,
    }
    if commit_declared:
        for key in ("gates", "criteria"):
            raw[key] = [committed(item) for item in raw.get(key, [])]
    if "datasets" not in fields:
        sources = [
            vocabulary.FACTS_BY_NAME[name].source
            for item in (*raw.get("gates", []), *raw["criteria"])
            for name in _facts_in(item["condition"])
            if name in vocabulary.FACTS_BY_NAME
        ]
        raw["datasets"] = list(dict.fromkeys(s for s in sources if "/" in s))
    return raw


def ruleset(**fields: Any) -> Ruleset:
    return Ruleset.model_validate(ruleset_raw(**fields))


def known(value: FactScalar, source: str = "form", as_of: datetime | None = None) -> Known:
    return Known(value, Provenance(source, as_of))


def unknown(
    reason: str = "unavailable: timeout", source: str = "bdc/property-ownership"
) -> Unknown:
    return Unknown(reason, source)


def result_of(condition: dict[str, Any], facts: dict[str, Any], on: date = ON) -> CriterionResult:
    """The one criterion of a ruleset made of `condition`, evaluated on the facts."""
    return evaluate(ruleset(criteria=[criterion("c", condition)]), facts, on).criteria[0]
