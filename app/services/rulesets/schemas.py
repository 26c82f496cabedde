"""Shapes of stored rulesets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class RulesetDraft(BaseModel):
    """A new version: the ruleset as its YAML file would hold it (templates may be extended);
    its `service` must be the path's, and its `version` is assigned (the next number)."""

    model_config = ConfigDict(extra="forbid")

    ruleset: dict[str, Any] = Field(
        description="The ruleset: effective_from, title, legal_reference, datasets, "
        "parameters, gates, criteria and cases, as in app/rules/rulesets/"
    )


class RulesetRead(BaseModel):
    """A stored version."""

    service_code: str
    version: int
    state: Literal["draft", "published"]
    effective_from: date
    effective_to: date | None
    ruleset: dict[str, Any]
    created_by: str
    created_at: datetime
    published_by: str | None
    published_at: datetime | None


class CaseOutcome(BaseModel):
    name: str
    passed: bool
    diff: dict[str, dict[str, Any]]


class RulesetTestRun(BaseModel):
    """The version's cases, run."""

    service_code: str
    version: int
    passed: int
    failed: int
    cases: list[CaseOutcome]
