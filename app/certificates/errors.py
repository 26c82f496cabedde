"""Failures of the e-license domain."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited


class LicenseTypeNotFound(NotFound):
    code = "certificates.license_type_not_found"
    title_zh = "证照类型不存在"
    title_en = "License type not found"


class LicenseNotFound(NotFound):
    code = "licenses.not_found"
    title_zh = "证照不存在"
    title_en = "License not found"


class NotAnIssuer(Forbidden):
    code = "licenses.not_an_issuer"
    title_zh = "无权签发或变更证照"
    title_en = "Not allowed to issue or change licenses"


class TransitionNotAllowed(Conflict):
    code = "licenses.transition_not_allowed"
    title_zh = "证照当前状态不允许此操作"
    title_en = "The license's status does not allow this"


class InvalidLicense(InvalidInput):
    code = "licenses.invalid"
    title_zh = "证照信息不符合要求"
    title_en = "The license data is invalid"


class IssuerNotReady(Conflict):
    code = "licenses.issuer_not_ready"
    title_zh = "发证部门尚未登记统一社会信用代码"
    title_en = "The issuing department has no unified social credit code"


class DuplicateSourceRecord(Conflict):
    code = "licenses.duplicate_source_record"
    title_zh = "该业务记录已签发过证照"
    title_en = "A license was already issued for this source record"


class StatusListNotFound(NotFound):
    code = "licenses.status_list_not_found"
    title_zh = "状态列表不存在"
    title_en = "Status list not found"


class ShareNotAllowed(Conflict):
    code = "licenses.share_not_allowed"
    title_zh = "该证照当前不能授权他人查看"
    title_en = "This license cannot be shared now"


class InvalidShare(InvalidInput):
    code = "licenses.invalid_share"
    title_zh = "用证授权信息不符合要求"
    title_en = "The share is invalid"


class ShareNotFound(NotFound):
    code = "licenses.share_not_found"
    title_zh = "用证授权不存在"
    title_en = "Share not found"


class TooManyVerifications(RateLimited):
    code = "licenses.rate_limited"
    title_zh = "核验过于频繁，请稍后再试"
    title_en = "Too many verifications; try again later"
