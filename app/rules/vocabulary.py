"""The facts rulesets may name: what each means, its type, where it comes from, and its trust.

Pure data (vocabulary.yaml), shared by the two sides of an evaluation: the rulesets
(app/rules/rulesets/) name only facts listed there, and the applications domain derives exactly
these from the department datasets, the applicant, the e-license registry and the platform's own
records (app/services/applications/facts*.py).

Every listed fact is `verified`: a department, the registry, the platform or the real-name check
vouches for it. Form facts are open-ended — `form.<field>` is the submitted value of that field,
typed by the service's form schema — and `declared`: the applicant says so, nobody has checked.
A declared fact can carry an approval only as a commitment the law allows (告知承诺制; see
model.Commitment), which is why every fact says which kind it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import yaml

# libyaml's safe loader when PyYAML has it, as app.kit.data_files (which the rules engine may
# not import): the same plain data, five times faster.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FactType = Literal["bool", "int", "number", "string", "date"]
Trust = Literal["verified", "declared"]

FORM_PREFIX = "form."
FORM_SOURCE = "form"
PLATFORM_SOURCE = "platform"
VOCABULARY_FILE = Path(__file__).resolve().parent / "vocabulary.yaml"


@dataclass(frozen=True, slots=True)
class FactSpec:
    """One fact a rule may test."""

    name: str
    type: FactType
    source: str
    title: str
    title_en: str

    @property
    def dataset(self) -> str | None:
        """The department dataset it is derived from ("gjj/fund-account"), if any."""
        return self.source if "/" in self.source else None


def _load(path: Path) -> tuple[FactSpec, ...]:
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506
    facts = tuple(FactSpec(**item) for item in raw["facts"])
    types = set(get_args(FactType))
    for fact in facts:
        if fact.type not in types or fact.name.startswith(FORM_PREFIX):
            raise ValueError(f"{path.name}: fact {fact.name!r} is malformed")
    if len({fact.name for fact in facts}) != len(facts):
        raise ValueError(f"{path.name}: a fact is listed twice")
    return facts


FACTS: tuple[FactSpec, ...] = _load(VOCABULARY_FILE)
FACTS_BY_NAME: dict[str, FactSpec] = {fact.name: fact for fact in FACTS}


def is_form_fact(name: str) -> bool:
    """Whether `name` is a submitted form field (`form.<field>`)."""
    return name.startswith(FORM_PREFIX) and len(name) > len(FORM_PREFIX)


def is_known(name: str) -> bool:
    """Whether a ruleset may name this fact."""
    return name in FACTS_BY_NAME or is_form_fact(name)


def trust_of(name: str) -> Trust:
    """`declared` for what the applicant typed, `verified` for every listed fact."""
    return "declared" if is_form_fact(name) else "verified"
