"""The facts rulesets may name: what each means, its type, and where it comes from.

Pure data, shared by the two sides of an evaluation: the rulesets (app/rules/rulesets/) name
only facts listed here, and the applications domain derives exactly these from the department
datasets, the applicant, the form and the e-license registry
(app/services/applications/facts*.py). A fact's `source` is a department dataset
("<department>/<dataset>", as the data exchange names it), "applicant" (the real-name verified
account), "form" (what the applicant submitted) or "registry" (the e-license registry).

Form facts are open-ended: `form.<field>` is the submitted value of that form field, typed by
the service's form schema; they are not listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FactType = Literal["bool", "int", "number", "string", "date"]


@dataclass(frozen=True, slots=True)
class FactSpec:
    """One fact a rule may test."""

    name: str
    type: FactType
    source: str
    title: str
    title_en: str


def _f(name: str, type_: FactType, source: str, title: str, title_en: str) -> FactSpec:
    return FactSpec(name, type_, source, title, title_en)


FACTS: tuple[FactSpec, ...] = (
    # The applicant (from the verified account; no department call)
    _f(
        "applicant.age",
        "int",
        "applicant",
        "申请人年龄（按申请日）",
        "Applicant's age on the application date",
    ),
    _f("applicant.realname_level", "int", "applicant", "实名认证等级", "Real-name level (1-3)"),
    # Public security
    _f(
        "household.registered_in_qingdao",
        "bool",
        "gaj/household-registration",
        "户籍在青岛",
        "Household registered in Qingdao",
    ),
    _f(
        "household.active",
        "bool",
        "gaj/household-registration",
        "户籍状态正常（未注销）",
        "Household registration not cancelled",
    ),
    _f(
        "criminal.has_record",
        "bool",
        "gaj/no-criminal-record",
        "有犯罪记录",
        "Has a criminal record",
    ),
    # Civil affairs
    _f(
        "marriage.status",
        "string",
        "mzj/marriage-status",
        "婚姻状况（single/married/divorced/widowed）",
        "Marital status",
    ),
    _f(
        "subsistence.receiving",
        "bool",
        "mzj/subsistence-allowance",
        "正在享受城镇最低生活保障",
        "Receiving the urban subsistence allowance (低保)",
    ),
    # HR and social security
    _f(
        "social_insurance.enrolled",
        "bool",
        "rsj/social-insurance-contributions",
        "参加养老保险",
        "Enrolled in pension insurance",
    ),
    _f(
        "social_insurance.consecutive_months",
        "int",
        "rsj/social-insurance-contributions",
        "养老保险连续缴费月数",
        "Consecutive months of pension contributions",
    ),
    _f(
        "social_insurance.total_months",
        "int",
        "rsj/social-insurance-contributions",
        "养老保险累计缴费月数",
        "Total months of pension contributions",
    ),
    _f(
        "talent.certified",
        "bool",
        "rsj/talent-certification",
        "已认定为人才",
        "Certified as a talent",
    ),
    _f(
        "pension.receiving",
        "bool",
        "rsj/pension-entitlement",
        "正在领取养老金",
        "Receiving a pension",
    ),
    # Education
    _f(
        "education.degree_rank",
        "int",
        "jyj/degrees",
        "最高学历等级（0无 1高中 2专科 3本科 4硕士 5博士）",
        "Highest degree rank (0 none … 5 doctorate)",
    ),
    # Real estate
    _f(
        "property.count_in_qingdao",
        "int",
        "bdc/property-ownership",
        "在青岛登记的房产套数",
        "Properties registered in Qingdao",
    ),
    _f(
        "property.owns_in_qingdao",
        "bool",
        "bdc/property-ownership",
        "在青岛有房产",
        "Owns a property in Qingdao",
    ),
    # Housing provident fund
    _f(
        "hpf.account_exists",
        "bool",
        "gjj/fund-account",
        "有住房公积金个人账户",
        "Has a housing-fund account",
    ),
    _f(
        "hpf.account_normal",
        "bool",
        "gjj/fund-account",
        "公积金账户状态正常（缴存）",
        "Housing-fund account is active",
    ),
    _f(
        "hpf.account_sealed",
        "bool",
        "gjj/fund-account",
        "公积金账户已封存",
        "Housing-fund account is sealed",
    ),
    _f(
        "hpf.balance",
        "int",
        "gjj/fund-account",
        "公积金账户余额（元）",
        "Housing-fund balance (CNY)",
    ),
    _f(
        "hpf.consecutive_months",
        "int",
        "gjj/fund-contributions",
        "公积金连续缴存月数",
        "Consecutive months of housing-fund deposits",
    ),
    _f(
        "hpf.monthly_deposit",
        "int",
        "gjj/fund-contributions",
        "公积金月缴存额（元）",
        "Monthly housing-fund deposit (CNY)",
    ),
    _f(
        "hpf.months_since_last_withdrawal",
        "int",
        "gjj/fund-withdrawals",
        "距上次提取月数（从未提取为 999）",
        "Months since the last withdrawal (999: never)",
    ),
    _f(
        "hpf.has_loan",
        "bool",
        "gjj/fund-loans",
        "有未结清的公积金贷款",
        "Has an outstanding housing-fund loan",
    ),
    # Courts
    _f(
        "credit.court_defaulter",
        "bool",
        "court/judgment-defaulters",
        "列入失信被执行人名单",
        "On the judgment-defaulter list",
    ),
    # Enterprises (the subject is the enterprise's USCC)
    _f(
        "enterprise.registered",
        "bool",
        "scjg/enterprise-registration",
        "企业已登记",
        "The enterprise is registered",
    ),
    _f(
        "enterprise.active",
        "bool",
        "scjg/enterprise-registration",
        "企业存续",
        "The enterprise is active (存续)",
    ),
    _f(
        "enterprise.abnormal_operation",
        "bool",
        "scjg/abnormal-operations",
        "列入经营异常名录",
        "On the abnormal-operations list",
    ),
    _f(
        "enterprise.applicant_is_representative",
        "bool",
        "scjg/enterprise-registration",
        "申请人为法定代表人或授权经办人",
        "The applicant represents the enterprise",
    ),
    # The e-license registry (the license the service renews or continues)
    _f("license.held", "bool", "registry", "持有该证照", "Holds the license the service renews"),
    _f(
        "license.valid",
        "bool",
        "registry",
        "该证照有效（未过期、未暂扣或吊销）",
        "That license is valid",
    ),
    _f(
        "license.days_to_expiry",
        "int",
        "registry",
        "距证照到期天数",
        "Days until that license expires",
    ),
)

FACTS_BY_NAME: dict[str, FactSpec] = {fact.name: fact for fact in FACTS}
FORM_PREFIX = "form."


def is_known(name: str) -> bool:
    """Whether a ruleset may name this fact."""
    return name in FACTS_BY_NAME or (name.startswith(FORM_PREFIX) and len(name) > len(FORM_PREFIX))
