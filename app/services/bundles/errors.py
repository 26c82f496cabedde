"""Failures of the bundles domain."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, InvalidInput, NotFound


class BundleNotFound(NotFound):
    code = "bundles.not_found"
    title_zh = "联办事项不存在"
    title_en = "Bundle not found"


class CaseNotFound(NotFound):
    """The case does not exist, or the caller is none of its parties (the same answer)."""

    code = "bundles.case_not_found"
    title_zh = "联办件不存在"
    title_en = "Bundle case not found"


class InvalidBundleForm(InvalidInput):
    code = "bundles.invalid"
    title_zh = "联办申请信息不符合要求"
    title_en = "The bundle application is invalid"


class NotAParty(Forbidden):
    code = "bundles.not_a_party"
    title_zh = "须由群众本人办理"
    title_en = "Bundles are filed and confirmed by citizens in their own name"


class ConfirmationClosed(Conflict):
    """The case no longer waits for confirmations (expired, or already running)."""

    code = "bundles.confirmation_closed"
    title_zh = "该联办件已不在待确认状态"
    title_en = "The case no longer waits for confirmation"


class StepNotFound(NotFound):
    code = "bundles.step_not_found"
    title_zh = "环节不存在"
    title_en = "Step not found"


class StepStatusConflict(Conflict):
    code = "bundles.step_status_conflict"
    title_zh = "该环节当前状态不允许此操作"
    title_en = "The step's status does not allow this"


class ConfirmationExpired(Conflict):
    """Past the time to confirm: the case lapses (and stays lapsed: the change is kept)."""

    code = "bundles.confirmation_expired"
    title_zh = "确认期限已过"
    title_en = "The time to confirm has passed"
    keeps_changes = True
