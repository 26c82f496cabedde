"""The rules engine's `qingeban` subcommand: `rules test [--service CODE]`.

Kept outside `app/rules/` so that the engine stays pure (no argparse, no printing). Each failing
case is printed with its difference; the last line is the summary, and the exit status is 1 when
any case fails or a ruleset cannot be loaded (2 when the asked service has no ruleset).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.rules.cases import run_cases
from app.rules.load import load_rulesets
from app.rules.model import RulesetError


def cmd_rules_test(args: argparse.Namespace) -> int:
    """Run the YAML cases of every shipped ruleset (or one service's); exit 1 on any failure."""
    try:
        rulesets = load_rulesets()
    except RulesetError as exc:
        print(f"ruleset error: {exc}", file=sys.stderr)
        return 1
    if args.service is not None and not any(r.service == args.service for r in rulesets):
        print(f"no ruleset for service {args.service!r}", file=sys.stderr)
        return 2
    results = run_cases(rulesets, args.service)
    failed = [result for result in results if not result.passed]
    for result in failed:
        diff = json.dumps(result.diff, ensure_ascii=False)
        print(f"FAIL {result.service} v{result.version} · {result.case}: {diff}")
    tested = {(result.service, result.version) for result in results}
    print(
        f"{len(results) - len(failed)} of {len(results)} cases passed "
        f"in {len(tested)} rulesets; {len(failed)} failed"
    )
    return 1 if failed else 0


def register(commands: Any) -> None:
    """Add the `rules` subcommands to the `qingeban` parser."""
    rules = commands.add_parser("rules", help="the 秒批 rules engine")
    rules_commands = rules.add_subparsers(dest="rules_command", required=True)
    test = rules_commands.add_parser("test", help="run every ruleset's YAML cases")
    test.add_argument("--service", metavar="CODE", help="only this service's rulesets")
    test.set_defaults(func=cmd_rules_test)
