"""Failures of the applications domain."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceUnavailable


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


class OpenCaseExists(Conflict):
    """The applicant already has an open case of the service (one at a time)."""

    code = "applications.open_case_exists"
    title_zh = "该事项已有办理中的申请"
    title_en = "An application for this service is still open"


class PayeeNotAllowed(InvalidApplication):
    """A form names an account to pay: money goes only to the account on record."""

    code = "applications.payee_not_allowed"
    title_zh = "款项只能支付至公积金中心登记的银行卡，申请表不得填写收款账户"
    title_en = "Payments go only to the card on the fund centre's record; the form names none"


class AmountRequired(InvalidApplication):
    """A clerk approving a payment whose amount the rules could not compute must state it."""

    code = "applications.amount_required"
    title_zh = "请填写核定的支付金额"
    title_en = "State the amount to pay"


class OutcomeUnavailable(ServiceUnavailable):
    """What an approval produces cannot be produced now (a department did not answer)."""

    code = "applications.outcome_unavailable"
    title_zh = "暂时无法办结，请稍后重试"
    title_en = "The approval's outcome cannot be produced now; retry later"


class NothingToRenew(Conflict):
    """A renewal approved for an applicant who holds no license of the type to renew."""

    code = "applications.nothing_to_renew"
    title_zh = "没有可换发的证照"
    title_en = "There is no license to renew"
