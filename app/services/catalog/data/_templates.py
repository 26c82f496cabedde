"""Notation of the per-department item templates (templates/*.yaml) the generated catalog is
built from; the actions themselves are data (templates/actions.yaml, checked when loaded).

A template row names a *subject* (a licence, a registration, a benefit, …) and the *actions* a
department performs on it. ``"iss chg ren can!a"`` means: issue, change, renew, cancel, the last
one approved automatically. A suffix ``!a`` (auto), ``!i`` (instant) or ``!mN`` (manual, N
working days) overrides the action's default mode. Every (subject, action) pair is one item
template; a ``local`` subject is handled both by the city and by each of the ten districts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from app.kit.data_files import read_yaml
from app.services.catalog.data.seeds import ApprovalMode, Audience

ACTIONS_FILE = Path(__file__).resolve().parent / "templates" / "actions.yaml"


@dataclass(frozen=True)
class Action:
    zh: str  # name pattern, "{s}" is the subject
    en: str  # English name pattern, "{e}" is the English subject
    category: str
    mode: ApprovalMode
    days: int
    aliases: tuple[str, ...] = ()
    keyword: str = ""


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: Annotated[str, StringConstraints(pattern=r"\{s\}")]
    en: Annotated[str, StringConstraints(pattern=r"\{e\}")]
    category: Literal["行政许可", "行政确认", "公共服务", "行政给付", "其他行政权力"]
    mode: ApprovalMode
    days: Annotated[int, Field(ge=0, le=365)]
    aliases: list[Annotated[str, StringConstraints(pattern=r"\{s\}")]] = []
    keyword: str = ""
    produces: bool = False
    on_existing: bool = False


class _ActionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    actions: dict[Annotated[str, StringConstraints(pattern=r"^[a-z]{3}$")], _Action]


def _load(path: Path) -> _ActionsFile:
    try:
        raw = read_yaml(path)
        return _ActionsFile.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: {exc}") from exc


_FILE = _load(ACTIONS_FILE)
ACTIONS: dict[str, Action] = {
    code: Action(a.zh, a.en, a.category, a.mode, a.days, tuple(a.aliases), a.keyword)
    for code, a in _FILE.actions.items()
}
# Actions whose result is the subject's e-license (when the subject names one)
PRODUCING: frozenset[str] = frozenset(code for code, a in _FILE.actions.items() if a.produces)
# Actions that act on an existing license, so the current one is a material
ON_EXISTING: frozenset[str] = frozenset(code for code, a in _FILE.actions.items() if a.on_existing)


@dataclass(frozen=True)
class Item:
    zh: str  # subject, e.g. "食品经营许可证"
    en: str  # English subject, e.g. "food business licence"
    actions: str  # space-separated action codes with optional mode suffixes
    audience: Audience
    local: bool = False  # also handled by each district
    license: str | None = None  # the e-license the subject is
    keywords: tuple[str, ...] = ()
    material: tuple[str, str, str] | None = None  # extra supporting document: code, zh, en
    category: str | None = None  # overrides the action's category


def parse_action(token: str) -> tuple[str, ApprovalMode | None, int | None]:
    """``"can!a"`` → ("can", "auto", 0); ``"iss!m15"`` → ("iss", "manual", 15)."""
    code, _, suffix = token.partition("!")
    if code not in ACTIONS:
        raise ValueError(f"unknown action {code!r}")
    if not suffix:
        return code, None, None
    letter, digits = suffix[0], suffix[1:]
    if letter == "a":
        return code, "auto", 0
    if letter == "i":
        return code, "instant", 0
    if letter == "m":
        return code, "manual", int(digits) if digits else None
    raise ValueError(f"bad mode suffix in {token!r}")
