"""Failures of the applications domain."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, InvalidInput, NotFound


class ApplicationNotFound(NotFound):
    code = "applications.not_found"
    title_zh = "办件不存在"
    title_en = "Application not found"


class InvalidApplication(InvalidInput):
    code = "applications.invalid"
    title_zh = "申请信息不符合要求"
    title_en = "The application is invalid"


class MaterialsMissing(InvalidApplication):
    """A required material is satisfied by nothing the applicant gave or holds."""

    code = "applications.materials_missing"
    title_zh = "缺少必需的申请材料"
    title_en = "Required materials are missing"


class NotAnApplicant(Forbidden):
    code = "applications.not_an_applicant"
    title_zh = "须由群众本人或代表企业的经办人申请"
    title_en = "Applications are made by citizens or people acting for an enterprise"


class StatusConflict(Conflict):
    code = "applications.status_conflict"
    title_zh = "办件当前状态不允许此操作"
    title_en = "The application's status does not allow this"
