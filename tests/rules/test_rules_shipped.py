"""The shipped rulesets: each loads, each YAML case passes, and every 秒批 service has one."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from app.kit.clock import SHANGHAI, utcnow
from app.rules.cases import run_case
from app.rules.load import (
    RULESETS_DIR,
    in_force,
    load_file,
    load_templates,
    ruleset_files,
    shipped_rulesets,
)
from app.rules.model import Ruleset
from app.services.catalog.data import KEY_SERVICES

FILES = ruleset_files()
KEY_AUTO = (
    "gjj.withdraw.rent",
    "rsj.talent-settlement",
    "wjw.hygiene-permit.renew",
    "scjg.enterprise.establish",
)


def _cases() -> list[tuple[Ruleset, str]]:
    return [(ruleset, case.name) for ruleset in shipped_rulesets() for case in ruleset.cases]


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(RULESETS_DIR)) for p in FILES])
def test_every_file_loads_and_its_cases_pass(path: Path) -> None:
    rulesets = load_file(path, load_templates())
    assert rulesets
    for ruleset in rulesets:
        for case in ruleset.cases:
            result = run_case(ruleset, case)
            assert result.passed, f"{ruleset.service} · {case.name}: {result.diff}"


@pytest.mark.parametrize(
    ("ruleset", "case"), _cases(), ids=[f"{r.service}:{c}" for r, c in _cases()]
)
def test_each_yaml_case(ruleset: Ruleset, case: str) -> None:
    (chosen,) = (c for c in ruleset.cases if c.name == case)
    result = run_case(ruleset, chosen)
    assert result.passed, result.diff
    assert result.evaluation.outcome == chosen.expected.outcome


def test_every_ruleset_has_an_approving_and_a_referring_case() -> None:
    for ruleset in shipped_rulesets():
        outcomes = {case.expected.outcome for case in ruleset.cases}
        assert outcomes == {"approve", "refer"}, ruleset.service


def test_every_auto_housing_fund_service_and_key_service_has_a_ruleset_in_force_today() -> None:
    today = utcnow().astimezone(SHANGHAI).date()
    auto_gjj = [s.code for s in KEY_SERVICES if s.department == "gjj" and s.mode == "auto"]
    assert len(auto_gjj) == 31
    missing = [
        code for code in (*auto_gjj, *KEY_AUTO) if in_force(shipped_rulesets(), code, today) is None
    ]
    assert missing == []


def test_rulesets_name_only_services_of_the_catalog() -> None:
    codes = {s.code for s in KEY_SERVICES}
    assert {ruleset.service for ruleset in shipped_rulesets()} <= codes


def test_rent_withdrawal_is_referred_with_unknown_when_real_estate_is_unavailable() -> None:
    rent = next(r for r in shipped_rulesets() if r.service == "gjj.withdraw.rent")
    (case,) = (c for c in rent.cases if "property.owns_in_qingdao" in c.unknown)
    evaluation = run_case(rent, case).evaluation
    assert evaluation.outcome == "refer"
    assert evaluation.unknown == ("no_property_in_qingdao",)
    (criterion,) = (c for c in evaluation.criteria if c.id == "no_property_in_qingdao")
    assert criterion.source == "case"
    assert criterion.reason is not None
    assert criterion.reason.startswith("property.owns_in_qingdao: unavailable")


def test_cli_rules_test(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "test"]) == 0
    total = sum(len(r.cases) for r in shipped_rulesets())
    assert f"{total} of {total} cases passed" in capsys.readouterr().out
    assert main(["rules", "test", "--service", "gjj.withdraw.rent"]) == 0
    assert "in 1 rulesets; 0 failed" in capsys.readouterr().out
    assert main(["rules", "test", "--service", "no.such-service"]) == 2


def test_cli_rules_test_fails_on_a_failing_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app import rules_commands
    from app.rules import load

    rent = (RULESETS_DIR / "gjj" / "withdraw-rent.yaml").read_text(encoding="utf-8")
    (tmp_path / "templates").mkdir()
    for template in (RULESETS_DIR / "templates").glob("*.yaml"):
        (tmp_path / "templates" / template.name).write_text(template.read_text("utf-8"), "utf-8")
    broken = rent.replace("expected: {outcome: refer, failing: [consecutive_deposits]}",
                          "expected: {outcome: refer, failing: [account_normal]}")  # fmt: skip
    assert broken != rent
    (tmp_path / "rent.yaml").write_text(broken, encoding="utf-8")
    monkeypatch.setattr(rules_commands, "load_rulesets", lambda: load.load_rulesets(tmp_path))
    assert main(["rules", "test"]) == 1
    out = capsys.readouterr().out
    assert "FAIL gjj.withdraw.rent v2 · two months of deposits are not enough" in out
    assert '"missing": ["account_normal"]' in out
