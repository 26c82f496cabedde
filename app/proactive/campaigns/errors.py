"""Errors of the campaigns domain."""

from __future__ import annotations

from app.errors import AppError, Conflict, NotFound, ServiceUnavailable


class CampaignNotFound(NotFound):
    code = "campaigns.not_found"
    title_zh = "认证活动不存在"
    title_en = "Campaign not found"


class CampaignKindUnknown(AppError):
    status = 422
    code = "campaigns.kind_unknown"
    title_zh = "未知的活动类型"
    title_en = "Unknown campaign kind"


class CampaignNotRunning(Conflict):
    code = "campaigns.not_running"
    title_zh = "活动不在进行中，不能暂停"
    title_en = "Only a running campaign can be paused"


class CampaignNotPaused(Conflict):
    code = "campaigns.not_paused"
    title_zh = "活动未暂停，不能继续"
    title_en = "Only a paused campaign can be resumed"


class CaseNotFound(NotFound):
    code = "campaigns.case_not_found"
    title_zh = "认证案件不存在"
    title_en = "Campaign case not found"


class CaseNotSuspendable(Conflict):
    code = "campaigns.case_not_suspendable"
    title_zh = "该案件不在待暂停发放的队列中"
    title_en = "The case is not awaiting a clerk's decision on suspension"


class CaseNotRestorable(Conflict):
    code = "campaigns.case_not_restorable"
    title_zh = "该案件无需恢复或认证"
    title_en = "The case has nothing to restore or qualify"


class RosterUnavailable(ServiceUnavailable):
    code = "campaigns.roster_unavailable"
    title_zh = "人社部门的养老金名册暂时无法读取，请稍后重试"
    title_en = "The pension system's roster cannot be read now; try again later"


class PilotOutOfRoster(AppError):
    status = 422
    code = "campaigns.pilot_out_of_roster"
    title_zh = "试点范围超出养老金名册"
    title_en = "The pilot lies outside the pension roster"
