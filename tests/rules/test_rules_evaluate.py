"""The evaluator: operators, three-valued logic, parameters by date, gates, explanations."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruleset_builders import FETCHED, ON, criterion, known, leaf, result_of, ruleset, unknown

from app.rules.evaluate import evaluate, parameter_on
from app.rules.facts import Known, Unknown

quick = settings(database=None, deadline=None, max_examples=150)


@pytest.mark.parametrize(
    ("op", "value", "found", "expected"),
    [
        ("eq", 3, 3, "passed"),
        ("eq", 3, 4, "failed"),
        ("ne", 3, 4, "passed"),
        ("ne", 3, 3, "failed"),
        ("gt", 3, 4, "passed"),
        ("gt", 3, 3, "failed"),
        ("gte", 3, 3, "passed"),
        ("gte", 3, 2, "failed"),
        ("lt", 3, 2, "passed"),
        ("lt", 3, 3, "failed"),
        ("lte", 3, 3, "passed"),
        ("lte", 3, 4, "failed"),
        ("gte", 2.5, 3, "passed"),
        ("in", ["a", "b"], "b", "passed"),
        ("in", ["a", "b"], "c", "failed"),
        ("not_in", ["a", "b"], "c", "passed"),
        ("not_in", ["a", "b"], "a", "failed"),
        ("between", [0, 90], 0, "passed"),
        ("between", [0, 90], 90, "passed"),
        ("between", [0, 90], 91, "failed"),
        ("between", [0, 90], -1, "failed"),
        ("eq", True, True, "passed"),
        ("eq", False, True, "failed"),
        ("eq", "正常", "正常", "passed"),
    ],
)
def test_each_operator(op: str, value: Any, found: Any, expected: str) -> None:
    assert result_of(leaf("form.x", op, value), {"form.x": known(found)}).result == expected


@pytest.mark.parametrize(
    ("fact", "expected"),
    [
        (known(0), "passed"),
        (known(""), "passed"),
        (known(None), "failed"),
        (unknown("no record"), "unknown"),
        (None, "unknown"),
    ],
)
def test_exists(fact: Known | Unknown | None, expected: str) -> None:
    facts = {} if fact is None else {"form.x": fact}
    assert result_of(leaf("form.x", "exists"), facts).result == expected


def test_dates_compare_as_dates_whether_given_as_dates_or_iso_strings() -> None:
    condition = leaf("form.lease_end", "gte", date(2026, 12, 1))
    assert result_of(condition, {"form.lease_end": known("2027-06-30")}).result == "passed"
    assert result_of(condition, {"form.lease_end": known(date(2026, 11, 30))}).result == "failed"
    iso = leaf("form.lease_end", "between", [date(2026, 1, 1), date(2026, 12, 31)])
    assert result_of(iso, {"form.lease_end": known("2026-07-01")}).result == "passed"


@pytest.mark.parametrize(
    ("condition", "found"),
    [
        (leaf("form.x", "gte", 3), "three"),  # a string where a number is required
        (leaf("form.x", "eq", True), 1),  # a count is not a yes
        (leaf("form.x", "gte", date(2026, 1, 1)), "not a date"),
        (leaf("form.x", "gte", 3), None),  # a fact with no value
        (leaf("form.x", "in", [1, 2]), "1"),
    ],
)
def test_values_that_cannot_be_compared_are_unknown_not_failed(
    condition: dict[str, Any], found: Any
) -> None:
    outcome = result_of(condition, {"form.x": known(found)})
    assert outcome.result == "unknown"
    assert outcome.reason is not None


def test_unknown_and_absent_facts_make_a_leaf_unknown_with_the_reason() -> None:
    condition = leaf("property.owns_in_qingdao", "eq", False)
    down = result_of(condition, {"property.owns_in_qingdao": unknown("unavailable: timeout")})
    assert (down.result, down.source, down.found) == ("unknown", "bdc/property-ownership", None)
    assert down.reason == "property.owns_in_qingdao: unavailable: timeout"
    absent = result_of(condition, {})
    assert absent.result == "unknown"
    assert absent.source == "bdc/property-ownership"  # from the vocabulary
    assert absent.reason == "property.owns_in_qingdao: not provided"


def test_three_valued_all_any_not() -> None:
    passed, failed = leaf("form.p", "eq", True), leaf("form.f", "eq", True)
    unsure = leaf("form.u", "eq", True)
    facts = {"form.p": known(True), "form.f": known(False), "form.u": unknown()}

    def result(condition: dict[str, Any]) -> str:
        return result_of(condition, facts).result

    assert result({"all": [passed, unsure, failed]}) == "failed"
    assert result({"all": [passed, unsure]}) == "unknown"
    assert result({"all": [passed, passed]}) == "passed"
    assert result({"any": [failed, unsure, passed]}) == "passed"
    assert result({"any": [failed, unsure]}) == "unknown"
    assert result({"any": [failed, failed]}) == "failed"
    assert result({"not": passed}) == "failed"
    assert result({"not": failed}) == "passed"
    assert result({"not": unsure}) == "unknown"


def test_a_composite_explains_every_fact_it_read_and_where_the_decision_came_from() -> None:
    condition = {
        "all": [
            leaf("hpf.account_normal", "eq", True),
            leaf("property.owns_in_qingdao", "eq", False),
        ]
    }
    facts = {
        "hpf.account_normal": known(True, "gjj/fund-account", FETCHED),
        "property.owns_in_qingdao": known(True, "bdc/property-ownership", FETCHED),
    }
    outcome = result_of(condition, facts)
    assert outcome.result == "failed"
    assert outcome.found == {"hpf.account_normal": True, "property.owns_in_qingdao": True}
    assert outcome.required == "hpf.account_normal = true and property.owns_in_qingdao = false"
    assert outcome.source == "bdc/property-ownership"  # the failing part decided
    assert outcome.as_of == FETCHED
    assert [read.fact for read in outcome.facts] == list(outcome.found)  # type: ignore[arg-type]
    assert outcome.requirement == {
        "all": [
            {"fact": "hpf.account_normal", "op": "eq", "value": True},
            {"fact": "property.owns_in_qingdao", "op": "eq", "value": False},
        ]
    }
    both = result_of(condition, {**facts, "property.owns_in_qingdao": known(False, "bdc/x")})
    assert both.result == "passed"
    assert both.source == ["gjj/fund-account", "bdc/x"]


def test_parameters_take_the_value_in_force_on_the_evaluation_date() -> None:
    rules = ruleset(
        parameters={
            "interval": [
                {"from": date(2024, 1, 1), "value": 12},
                {"from": date(2025, 7, 1), "value": 3},
            ]
        },
        criteria=[criterion("interval", leaf("form.months", "gte", parameter="interval"))],
    )
    facts = {"form.months": known(5)}
    before = evaluate(rules, facts, date(2025, 6, 30)).criteria[0]
    after = evaluate(rules, facts, date(2025, 7, 1)).criteria[0]
    assert (before.result, before.required) == ("failed", "≥ 12")
    assert (after.result, after.required) == ("passed", "≥ 3")
    assert after.requirement == {
        "fact": "form.months",
        "op": "gte",
        "value": 3,
        "parameter": "interval",
    }
    assert parameter_on(rules, "interval", date(2024, 3, 1)) == 12


def test_between_takes_a_parameter_pair() -> None:
    rules = ruleset(
        parameters={"window": [{"from": date(2024, 1, 1), "value": [0, 90]}]},
        criteria=[criterion("w", leaf("form.days", "between", parameter="window"))],
    )
    assert evaluate(rules, {"form.days": known(30)}, ON).criteria[0].required == "∈ [0, 90]"
    assert evaluate(rules, {"form.days": known(120)}, ON).outcome == "refer"


def test_gates_come_first_and_the_outcome_is_never_a_rejection() -> None:
    rules = ruleset(
        gates=[criterion("credit", leaf("credit.court_defaulter", "eq", False))],
        criteria=[
            criterion("a", leaf("form.a", "gte", 3)),
            criterion("b", leaf("form.b", "eq", True)),
        ],
    )
    facts = {
        "credit.court_defaulter": known(True, "court/judgment-defaulters"),
        "form.a": known(1),
        "form.b": unknown("no record", "form"),
    }
    evaluation = evaluate(rules, facts, ON)
    assert [(c.id, c.gate) for c in evaluation.criteria] == [
        ("credit", True),
        ("a", False),
        ("b", False),
    ]
    assert evaluation.outcome == "refer"
    assert evaluation.reasons == ("credit", "a", "b")
    assert evaluation.failing == ("credit", "a")
    assert evaluation.unknown == ("b",)


def test_approve_only_when_everything_passed_and_the_json_form_is_stored_as_is() -> None:
    rules = ruleset(
        gates=[criterion("credit", leaf("credit.court_defaulter", "eq", False))],
        criteria=[criterion("a", leaf("form.a", "gte", 3))],
    )
    facts = {
        "credit.court_defaulter": known(False, "court/judgment-defaulters", FETCHED),
        "form.a": known(3),
    }
    evaluation = evaluate(rules, facts, ON)
    assert evaluation.outcome == "approve"
    assert evaluation.reasons == ()
    document = evaluation.to_json()
    assert document["ruleset_service"] == "gjj.withdraw.rent"
    assert document["ruleset_version"] == 1
    assert document["evaluated_on"] == "2026-11-24"
    gate = document["criteria"][0]
    assert {k: gate[k] for k in ("id", "result", "found", "required", "source", "as_of")} == {
        "id": "credit",
        "result": "passed",
        "found": False,
        "required": "= false",
        "source": "court/judgment-defaulters",
        "as_of": "2026-11-24T08:30:00Z",
    }
    assert type(evaluation).model_validate(document) == evaluation


def test_evaluating_outside_the_rulesets_dates_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not in force"):
        evaluate(ruleset(effective_to=date(2025, 1, 1)), {}, ON)


# Property tests: the engine agrees with Kleene's strong three-valued logic.

NAMES = ["form.a", "form.b", "form.c"]
_ORDER = {"failed": 0, "unknown": 1, "passed": 2}

leaf_st = st.one_of(
    st.builds(
        lambda fact, op, value: leaf(fact, op, value),
        st.sampled_from(NAMES),
        st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte"]),
        st.integers(0, 4),
    ),
    st.builds(lambda fact: leaf(fact, "exists"), st.sampled_from(NAMES)),
    st.builds(
        lambda fact, values: leaf(fact, "in", values),
        st.sampled_from(NAMES),
        st.lists(st.integers(0, 4), min_size=1, max_size=3),
    ),
)
condition_st = st.recursive(
    leaf_st,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda parts: {"all": parts}),
        st.lists(children, min_size=1, max_size=3).map(lambda parts: {"any": parts}),
        children.map(lambda part: {"not": part}),
    ),
    max_leaves=6,
)
fact_st = st.one_of(
    st.integers(0, 4).map(known),
    st.just(known(None)),
    st.just(unknown("unavailable: timeout", "form")),
    st.none(),
)
facts_st = st.fixed_dictionaries(dict.fromkeys(NAMES, fact_st)).map(
    lambda facts: {name: fact for name, fact in facts.items() if fact is not None}
)


def _expected(condition: dict[str, Any], facts: dict[str, Any]) -> str:
    """A reference evaluator written independently of the engine."""
    if "all" in condition:
        return min((_expected(c, facts) for c in condition["all"]), key=_ORDER.__getitem__)
    if "any" in condition:
        return max((_expected(c, facts) for c in condition["any"]), key=_ORDER.__getitem__)
    if "not" in condition:
        return {"passed": "failed", "failed": "passed", "unknown": "unknown"}[
            _expected(condition["not"], facts)
        ]
    fact = facts.get(condition["fact"])
    if not isinstance(fact, Known):
        return "unknown"
    if condition["op"] == "exists":
        return "failed" if fact.value is None else "passed"
    if fact.value is None:
        return "unknown"
    found, value = fact.value, condition["value"]
    holds = {
        "eq": lambda: found == value,
        "ne": lambda: found != value,
        "gt": lambda: found > value,
        "gte": lambda: found >= value,
        "lt": lambda: found < value,
        "lte": lambda: found <= value,
        "in": lambda: found in value,
    }[condition["op"]]()
    return "passed" if holds else "failed"


@quick
@given(condition_st, facts_st)
def test_matches_a_reference_three_valued_evaluator(
    condition: dict[str, Any], facts: dict[str, Any]
) -> None:
    assert result_of(condition, facts).result == _expected(condition, facts)


@quick
@given(condition_st, facts_st)
def test_not_not_and_singleton_all_any_are_the_condition_itself(
    condition: dict[str, Any], facts: dict[str, Any]
) -> None:
    itself = result_of(condition, facts).result
    assert result_of({"not": {"not": condition}}, facts).result == itself
    assert result_of({"all": [condition]}, facts).result == itself
    assert result_of({"any": [condition]}, facts).result == itself


@quick
@given(condition_st, condition_st, facts_st)
def test_de_morgan_and_commutativity(
    left: dict[str, Any], right: dict[str, Any], facts: dict[str, Any]
) -> None:
    def result(condition: dict[str, Any]) -> str:
        return result_of(condition, facts).result

    assert result({"not": {"all": [left, right]}}) == result(
        {"any": [{"not": left}, {"not": right}]}
    )
    assert result({"all": [left, right]}) == result({"all": [right, left]})
    assert result({"any": [left, right]}) == result({"any": [right, left]})


@quick
@given(st.lists(condition_st, min_size=1, max_size=4), facts_st)
def test_approve_exactly_when_every_criterion_passed(
    conditions: list[dict[str, Any]], facts: dict[str, Any]
) -> None:
    rules = ruleset(criteria=[criterion(f"c{i}", c) for i, c in enumerate(conditions)])
    evaluation = evaluate(rules, facts, ON)
    every = all(c.result == "passed" for c in evaluation.criteria)
    assert (evaluation.outcome == "approve") == every
    assert set(evaluation.reasons) == set(evaluation.failing) | set(evaluation.unknown)
