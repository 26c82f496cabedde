"""Response shapes of the statistics (DESIGN §1: volumes, online share, automation rate, time
to decision)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class Volume(BaseModel):
    """A count since the platform started and since midnight in Asia/Shanghai."""

    total: int = Field(ge=0)
    today: int = Field(ge=0, description="Since 00:00 Asia/Shanghai of `day`")


class ServiceAutomation(BaseModel):
    """How often the rules approved a 秒批 (`auto`) service's applications."""

    service_code: str = Field(examples=["gjj.withdraw.rent"])
    decided: int = Field(
        ge=0, description="Applications of the service that had their first decision"
    )
    approved_by_rules: int = Field(ge=0)
    rate: float = Field(ge=0, le=1, description="`approved_by_rules` ÷ `decided`")


class Automation(BaseModel):
    """The auto-approval (秒批) rate: applications to `auto` services approved by the rules,
    divided by those that had their first decision (approved by the rules, or handed to a clerk
    because a criterion failed, data was unavailable or no ruleset was in force)."""

    decided: int = Field(ge=0)
    approved_by_rules: int = Field(ge=0)
    rate: float | None = Field(ge=0, le=1, description="None until an auto application is decided")
    by_service: list[ServiceAutomation] = Field(description="Per `auto` service, by code")


class TimeToDecision(BaseModel):
    """Median seconds from submission to the decision, by who decided: the rules (秒批
    approvals) or a clerk (approvals and rejections, referred 秒批 cases included)."""

    auto_seconds: float | None = Field(description="None until the rules approve a case")
    auto_decided: int = Field(ge=0)
    manual_seconds: float | None = Field(description="None until a clerk decides a case")
    manual_decided: int = Field(ge=0)


class DepartmentBacklog(BaseModel):
    """A department's open cases, by where they wait."""

    department_code: str = Field(examples=["gjj"])
    pending_review: int = Field(ge=0)
    in_review: int = Field(ge=0)
    resubmitted: int = Field(ge=0)
    supplement_requested: int = Field(ge=0, description="Waiting for the applicant")
    total: int = Field(ge=0)
    overdue: int = Field(ge=0, description="Open cases past their statutory deadline")
    due_soon: int = Field(
        ge=0, description="Open cases whose deadline is `day` or one of the next 3 calendar days"
    )


class PensionQualification(BaseModel):
    """静默认证: every pension-qualification campaign's people, by what the data said and by
    where their cases stand (app.proactive.campaigns)."""

    campaigns: int
    classified: int = Field(description="People classified by the campaigns' batches")
    silent: int = Field(description="Qualified by activity, without lifting a finger")
    silent_share: float | None = Field(ge=0, le=1, description="silent / classified")
    invited: int = Field(description="Asked for a selfie (no activity signal)")
    referred: int = Field(description="Sent to a clerk by a negative signal (death, …)")
    pending: int = Field(description="Cases waiting for the person or a clerk now")
    suspended: int = Field(description="Pensions stopped by a clerk's confirmation, not restored")


class OverviewRead(BaseModel):
    """The city-brain screen's figures, computed when asked."""

    as_of: datetime
    day: date = Field(description="Today in Asia/Shanghai, the day of the `today` figures")
    applications: Volume
    applications_this_year: int = Field(
        ge=0, description="Submitted since 1 January (Asia/Shanghai) of `day`'s year"
    )
    online_share: float | None = Field(
        ge=0,
        le=1,
        description="Share of applications made online. Every application reaches the platform "
        "through its API (the app, the mini-program, partners) and no counter channel is "
        "recorded yet, so this is 1.0 whenever there are applications (None when there are none)",
    )
    automation: Automation
    median_time_to_decision: TimeToDecision
    pending_by_department: list[DepartmentBacklog] = Field(
        description="Departments with open cases (pending_review, in_review, resubmitted, "
        "supplement_requested), by code"
    )
    pension_qualification: PensionQualification
    licenses_issued: Volume = Field(
        description="E-license records in the registry (every version, imported ones included)"
    )
