"""Load the shipped rulesets from YAML, resolve their templates, choose the one in force.

Layout of `app/rules/rulesets/`: `templates/<name>.yaml` hold criteria that several services
share (the 31 housing-fund services have a handful of templates); every other `*.yaml` holds
either one ruleset (a mapping with `service`) or several (`rulesets: [...]`, with an optional
`shared:` mapping that only holds YAML anchors for facts the cases repeat). A ruleset or template
may say `extends: <template>`: it inherits the template's legal reference, datasets, parameters,
gates and criteria; its own datasets are added, its parameters override by name, a criterion
with a template criterion's id replaces it in place, and `omit: [ids]` drops template criteria.
The result is a complete `Ruleset` that no longer mentions its template, which is what is stored
as an immutable version.

YAML is read with a safe loader (`vocabulary.SAFE_LOADER`): plain data, no tags that construct
objects.

The shipped rulesets are version 2 (December 2026): version 1 let what the applicant typed
carry an approval and named no outcome; stored version 1 rows stay as the history decisions
name, and version 2 supersedes them over the same period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.rules.model import Ruleset, RulesetError
from app.rules.vocabulary import SAFE_LOADER

RULESETS_DIR = Path(__file__).resolve().parent / "rulesets"
TEMPLATES = "templates"
_TEMPLATE_KEYS = frozenset(
    {"extends", "omit", "legal_reference", "datasets", "parameters", "gates", "criteria", "outcome"}
)
_FILE_KEYS = frozenset({"rulesets", "shared"})
Raw = dict[str, Any]


def read_yaml(path: Path) -> Any:
    """A YAML file as plain data (RulesetError when it is not valid YAML)."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506
    except yaml.YAMLError as exc:
        raise RulesetError(f"{path.name}: not valid YAML: {exc}") from None


def load_templates(directory: Path = RULESETS_DIR) -> dict[str, Raw]:
    """The templates by name (the file name without `.yaml`), as raw mappings."""
    templates: dict[str, Raw] = {}
    for path in sorted((directory / TEMPLATES).glob("*.yaml")):
        raw = read_yaml(path)
        if not isinstance(raw, dict):
            raise RulesetError(f"{path.name}: a template is a mapping")
        unknown = set(raw) - _TEMPLATE_KEYS
        if unknown:
            raise RulesetError(f"template {path.stem}: unexpected keys {sorted(unknown)}")
        templates[path.stem] = raw
    return templates


def parse_ruleset(raw: Mapping[str, Any], templates: Mapping[str, Raw]) -> Ruleset:
    """One ruleset from its raw mapping, templates resolved and everything checked."""
    resolved = resolve(dict(raw), templates, ())
    where = f"{resolved.get('service', '?')} v{resolved.get('version', '?')}"
    try:
        return Ruleset.model_validate(resolved)
    except ValidationError as exc:
        raise RulesetError(f"{where}: {_explain(exc)}") from None


def resolve(raw: Raw, templates: Mapping[str, Raw], chain: tuple[str, ...]) -> Raw:
    """`raw` with its template (and the template's own templates) merged in."""
    raw = dict(raw)
    name = raw.pop("extends", None)
    omit = raw.pop("omit", None) or []
    if name is None:
        if omit:
            raise RulesetError("'omit' needs 'extends'")
        return raw
    if name in chain:
        raise RulesetError(f"templates extend each other in a cycle: {' → '.join((*chain, name))}")
    if name not in templates:
        raise RulesetError(f"unknown template {name!r}")
    base = resolve(templates[name], templates, (*chain, name))
    merged = {**base, **raw}
    merged["datasets"] = list(dict.fromkeys([*base.get("datasets", []), *raw.get("datasets", [])]))
    merged["parameters"] = {**base.get("parameters", {}), **raw.get("parameters", {})}
    dropped = set(omit)
    for key in ("gates", "criteria"):
        merged[key] = _merge_criteria(base.get(key, []), raw.get(key, []), dropped)
    if dropped:
        raise RulesetError(f"'omit' names criteria template {name!r} does not have: {dropped}")
    return merged


def _merge_criteria(inherited: list[Raw], own: list[Raw], omit: set[str]) -> list[Raw]:
    own_by_id = {item.get("id"): item for item in own}
    merged = []
    for item in inherited:
        if item.get("id") in omit:
            omit.discard(item["id"])
            continue
        merged.append(own_by_id.pop(item.get("id"), item))
    return [*merged, *(item for item in own if item.get("id") in own_by_id)]


def load_file(path: Path, templates: Mapping[str, Raw]) -> list[Ruleset]:
    """The rulesets of one file (RulesetError names the file)."""
    raw = read_yaml(path)
    if isinstance(raw, dict) and "rulesets" in raw:
        unknown = set(raw) - _FILE_KEYS
        if unknown:
            raise RulesetError(f"{path.name}: unexpected keys {sorted(unknown)}")
        items = raw["rulesets"]
    else:
        items = [raw]
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise RulesetError(f"{path.name}: a ruleset is a mapping")
    try:
        return [parse_ruleset(item, templates) for item in items]
    except RulesetError as exc:
        raise RulesetError(f"{path.name}: {exc}") from None


def ruleset_files(directory: Path = RULESETS_DIR) -> list[Path]:
    """Every ruleset file (templates excluded), in a stable order."""
    return sorted(
        path
        for path in directory.rglob("*.yaml")
        if path.relative_to(directory).parts[0] != TEMPLATES
    )


def load_rulesets(directory: Path = RULESETS_DIR) -> tuple[Ruleset, ...]:
    """Every ruleset under `directory`; versions of one service may not overlap in time."""
    templates = load_templates(directory)
    rulesets = [
        ruleset for path in ruleset_files(directory) for ruleset in load_file(path, templates)
    ]
    check_versions(rulesets)
    return tuple(rulesets)


@cache
def shipped_rulesets() -> tuple[Ruleset, ...]:
    """The rulesets shipped in `app/rules/rulesets/`, loaded once."""
    return load_rulesets(RULESETS_DIR)


def check_versions(rulesets: Iterable[Ruleset]) -> None:
    """Refuse two versions of a service in force on the same day, or a version number reused
    or going down over time: the version in force on a date must be unambiguous."""
    by_service: dict[str, list[Ruleset]] = defaultdict(list)
    for ruleset in rulesets:
        by_service[ruleset.service].append(ruleset)
    for service, versions in by_service.items():
        numbers = [ruleset.version for ruleset in versions]
        if len(set(numbers)) != len(numbers):
            raise RulesetError(f"{service}: a version number is used twice")
        ordered = sorted(versions, key=lambda ruleset: ruleset.effective_from)
        for earlier, later in pairwise(ordered):
            if earlier.effective_to is None or earlier.effective_to > later.effective_from:
                raise RulesetError(
                    f"{service}: v{earlier.version} and v{later.version} overlap "
                    f"from {later.effective_from}"
                )
            if later.version < earlier.version:
                raise RulesetError(
                    f"{service}: v{later.version} takes effect after v{earlier.version}"
                )


def in_force(rulesets: Iterable[Ruleset], service_code: str, on: date) -> Ruleset | None:
    """The ruleset of the service in force on `on` (effective_from ≤ on < effective_to)."""
    for ruleset in rulesets:
        if ruleset.service == service_code and ruleset.in_force_on(on):
            return ruleset
    return None


def _explain(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"])
        problems.append(f"{location}: {error['msg']}" if location else error["msg"])
    return "; ".join(problems)
