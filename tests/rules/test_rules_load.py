"""Loading rulesets: what is refused, templates, versions and the ruleset in force."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from ruleset_builders import committed, criterion, leaf, ruleset, ruleset_raw

from app.rules.load import check_versions, in_force, load_rulesets, parse_ruleset
from app.rules.model import RulesetError


def _refused(match: str, **fields: Any) -> None:
    with pytest.raises(RulesetError, match=match):
        parse_ruleset(ruleset_raw(**fields), {})


@pytest.mark.parametrize(
    ("condition", "match"),
    [
        (leaf("hpf.shoe_size", "eq", 42), "unknown fact 'hpf.shoe_size'"),
        (leaf("form.", "eq", 1), "unknown fact 'form.'"),
        (leaf("form.a", "like", 1), "Input should be 'eq'"),
        (leaf("form.a", "gte", [1, 2]), "takes a single value"),
        (leaf("form.a", "in", 1), "non-empty list"),
        (leaf("form.a", "in", []), "non-empty list"),
        (leaf("form.a", "between", [1]), "two values"),
        (leaf("form.a", "between", [9, 1]), "above high"),
        (leaf("form.a", "between", ["a", "b"]), "two numbers or two dates"),
        (leaf("form.a", "gt", True), "does not order"),
        (leaf("form.a", "gte"), "exactly one of value or parameter"),
        ({**leaf("form.a", "gte", 1), "parameter": "p"}, "exactly one of value or parameter"),
        (leaf("form.a", "exists", True), "neither a value nor a parameter"),
        (leaf("form.a", "gte", parameter="nope"), "unknown parameter 'nope'"),
        ({"fact": "form.a", "op": "eq", "value": 1, "code": "import os"}, "Extra inputs"),
        ({"all": []}, "at least 1 item"),
        ({"python": "1 + 1"}, "a condition is"),
    ],
)
def test_a_bad_condition_is_refused_at_load(condition: dict[str, Any], match: str) -> None:
    _refused(match, criteria=[criterion("c", condition)])


def test_duplicate_ids_across_gates_and_criteria_are_refused() -> None:
    _refused(
        "used twice",
        gates=[criterion("credit", leaf("form.a", "eq", 1))],
        criteria=[criterion("credit", leaf("form.b", "eq", 1))],
    )


def test_parameter_values_must_cover_the_rulesets_dates_and_fit_the_operator() -> None:
    late = {"p": [{"from": date(2024, 6, 1), "value": 3}]}
    _refused("has no value on 2024-01-01", parameters=late)
    unordered = {
        "p": [{"from": date(2025, 1, 1), "value": 3}, {"from": date(2024, 1, 1), "value": 2}]
    }
    _refused("date order", parameters=unordered)
    scalar_window = {"p": [{"from": date(2024, 1, 1), "value": 90}]}
    _refused(
        "parameter 'p' from 2024-01-01",
        parameters=scalar_window,
        criteria=[criterion("w", leaf("form.a", "between", parameter="p"))],
    )


def test_datasets_must_be_exactly_those_the_facts_come_from() -> None:
    credit = [criterion("credit", leaf("credit.court_defaulter", "eq", False))]
    _refused("datasets missing", criteria=credit, datasets=[])
    _refused(
        "datasets no criterion uses",
        criteria=credit,
        datasets=["court/judgment-defaulters", "bdc/property-ownership"],
    )


def test_cases_are_checked_against_the_ruleset() -> None:
    def case(**fields: Any) -> dict[str, Any]:
        return {
            "name": "x",
            "date": date(2026, 1, 1),
            "facts": {"form.a": 3},
            "expected": {"outcome": "approve"},
            **fields,
        }

    _refused("no such criterion", cases=[case(expected={"outcome": "refer", "failing": ["zz"]})])
    _refused("outside the ruleset", cases=[case(date=date(2023, 1, 1))])
    _refused("unknown fact 'hpf.nope'", cases=[case(facts={"hpf.nope": 1})])
    _refused("both given and unknown", cases=[case(unknown=["form.a"])])
    _refused("named twice", cases=[case(), case()])
    _refused(
        "no failing or unknown", cases=[case(expected={"outcome": "approve", "failing": ["c"]})]
    )
    _refused("names its failing", cases=[case(expected={"outcome": "refer"})])
    _refused("Input should be 'approve' or 'refer'", cases=[case(expected={"outcome": "reject"})])


def _version(version: int, start: date, end: date | None) -> Any:
    return ruleset(version=version, effective_from=start, effective_to=end)


def test_overlapping_versions_are_refused() -> None:
    first = _version(1, date(2024, 1, 1), date(2025, 1, 1))
    with pytest.raises(RulesetError, match="overlap from 2024-06-01"):
        check_versions([first, _version(2, date(2024, 6, 1), None)])
    with pytest.raises(RulesetError, match="overlap"):
        check_versions([_version(1, date(2024, 1, 1), None), _version(2, date(2025, 1, 1), None)])
    with pytest.raises(RulesetError, match="used twice"):
        check_versions([first, _version(1, date(2025, 1, 1), None)])
    with pytest.raises(RulesetError, match="takes effect after"):
        check_versions(
            [_version(2, date(2024, 1, 1), date(2025, 1, 1)), _version(1, date(2025, 1, 1), None)]
        )
    check_versions([first, _version(2, date(2025, 1, 1), None)])


def test_the_ruleset_in_force_is_chosen_by_date() -> None:
    first = _version(1, date(2024, 1, 1), date(2025, 1, 1))
    second = _version(2, date(2025, 1, 1), None)
    rulesets = [first, second]
    assert in_force(rulesets, "gjj.withdraw.rent", date(2023, 12, 31)) is None
    assert in_force(rulesets, "gjj.withdraw.rent", date(2024, 1, 1)) is first
    assert in_force(rulesets, "gjj.withdraw.rent", date(2024, 12, 31)) is first
    assert in_force(rulesets, "gjj.withdraw.rent", date(2025, 1, 1)) is second  # end excluded
    assert in_force(rulesets, "gjj.withdraw.rent", date(2040, 1, 1)) is second
    assert in_force(rulesets, "gjj.withdraw.purchase", date(2025, 1, 1)) is None


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_templates_are_merged_and_the_result_stands_alone(tmp_path: Path) -> None:
    _write(
        tmp_path / "templates" / "base.yaml",
        {
            "legal_reference": "《住房公积金管理条例》",
            "datasets": ["court/judgment-defaulters"],
            "parameters": {"p": [{"from": date(2024, 1, 1), "value": 3}]},
            "gates": [criterion("credit", leaf("credit.court_defaulter", "eq", False))],
            "criteria": [
                committed(criterion("a", leaf("form.a", "gte", parameter="p"))),
                committed(criterion("b", leaf("form.b", "eq", True))),
                committed(criterion("c", leaf("form.c", "eq", True))),
            ],
        },
    )
    _write(tmp_path / "templates" / "middle.yaml", {"extends": "base", "omit": ["c"]})
    service = ruleset_raw(
        extends="middle",
        parameters={"p": [{"from": date(2024, 1, 1), "value": 6}]},
        criteria=[
            criterion("b", leaf("form.b", "eq", False)),
            criterion("d", leaf("form.d", "exists")),
        ],
        datasets=[],
    )
    del service["legal_reference"]
    _write(tmp_path / "gjj" / "rent.yaml", {"rulesets": [service], "shared": {"anchors": 1}})

    (loaded,) = load_rulesets(tmp_path)
    assert loaded.legal_reference == "《住房公积金管理条例》"
    assert [c.id for c in loaded.all_criteria] == ["credit", "a", "b", "d"]
    assert loaded.criteria[1].condition.value is False  # type: ignore[union-attr]
    assert loaded.parameters["p"][0].value == 6
    assert loaded.datasets == ("court/judgment-defaulters",)
    stored = loaded.model_dump(mode="json", by_alias=True)
    assert "extends" not in stored
    assert type(loaded).model_validate(stored) == loaded


@pytest.mark.parametrize(
    ("templates", "service", "match"),
    [
        ({}, {"extends": "nope"}, "unknown template 'nope'"),
        ({"a": {"extends": "b"}, "b": {"extends": "a"}}, {"extends": "a"}, "cycle"),
        ({"a": {}}, {"extends": "a", "omit": ["zz"]}, "does not have"),
        ({}, {"omit": ["c"]}, "'omit' needs 'extends'"),
    ],
)
def test_template_mistakes_are_refused(
    templates: dict[str, Any], service: dict[str, Any], match: str
) -> None:
    with pytest.raises(RulesetError, match=match):
        parse_ruleset(ruleset_raw(**service), templates)


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    _write(tmp_path / "bad.yaml", ruleset_raw(criteria=[criterion("c", leaf("x.y", "eq", 1))]))
    with pytest.raises(RulesetError, match=r"bad\.yaml: gjj\.withdraw\.rent v1: .*unknown fact"):
        load_rulesets(tmp_path)
    (tmp_path / "bad.yaml").write_text("service: [unclosed", encoding="utf-8")
    with pytest.raises(RulesetError, match="not valid YAML"):
        load_rulesets(tmp_path)


def test_yaml_tags_that_construct_objects_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "evil.yaml").write_text("service: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(RulesetError, match="not valid YAML"):
        load_rulesets(tmp_path)
