"""Failures of stored rulesets."""

from __future__ import annotations

from app.errors import Conflict, InvalidInput, NotFound


class RulesetNotFound(NotFound):
    code = "rulesets.not_found"
    title_zh = "规则版本不存在"
    title_en = "Ruleset version not found"


class InvalidRuleset(InvalidInput):
    code = "rulesets.invalid"
    title_zh = "规则不符合要求"
    title_en = "The ruleset is invalid"


class CasesFailed(Conflict):
    code = "rulesets.cases_failed"
    title_zh = "规则的测试用例未全部通过，不能发布"
    title_en = "The ruleset's cases do not all pass: it cannot be published"


class AlreadyPublished(Conflict):
    code = "rulesets.already_published"
    title_zh = "该版本已发布"
    title_en = "This version is published already"
