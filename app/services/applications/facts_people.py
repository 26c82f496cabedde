"""Facts about a person, from the datasets of public security, civil affairs, HR and social
security, education, real estate, the housing fund and the courts.

Each table entry says how a record becomes facts and what "no record" means for each fact.
A "no record" answer gives a fact its natural value only where the dataset's silence is itself
the answer (no property registered is 0 properties; not on the defaulter list is not a
defaulter); where silence says nothing about the person (public security does not know them),
the fact stays Unknown and a clerk looks.
"""

from __future__ import annotations

from app.adapters.records import (
    CriminalRecordCheck,
    Degrees,
    EmploymentRegistration,
    FundAccount,
    FundContributions,
    FundLoans,
    FundWithdrawals,
    HouseholdRegistration,
    JudgmentDefaulters,
    MarriageStatus,
    PensionEntitlement,
    PropertyOwnership,
    SocialInsuranceContributions,
    SubsistenceAllowance,
    TalentCertification,
)
from app.services.applications.facts_calendar import whole_months
from app.services.applications.facts_dataset import (
    NO_RECORD,
    AnyDatasetFacts,
    Context,
    DatasetFacts,
    Missing,
    Value,
    Values,
)

# The vocabulary's ranks (0 none … 5 doctorate), from the degree's name rather than the
# department's own `degree_rank`, whose numbering is the department's to change.
DEGREE_RANK = {
    "none": 0,
    "high_school": 1,
    "associate": 2,
    "bachelor": 3,
    "master": 4,
    "doctorate": 5,
}
# What the vocabulary promises for "never withdrawn" (hpf.months_since_last_withdrawal).
NEVER_WITHDRAWN = 999
# Household and housing-fund statuses as the departments write them.
HOUSEHOLD_NORMAL = "正常"
FUND_NORMAL = "正常"
FUND_SEALED = "封存"

_UNKNOWN = Missing(NO_RECORD)


def _household(r: HouseholdRegistration, _: Context) -> Values:
    return {
        "household.registered_in_qingdao": r.registered_in_qingdao,
        # Only "正常" is a live registration: 注销 (cancelled, e.g. on death), 迁出 (moved
        # out) and any status we do not know are not.
        "household.active": r.status == HOUSEHOLD_NORMAL and r.cancelled_on is None,
    }


def _criminal(r: CriminalRecordCheck, _: Context) -> Values:
    return {"criminal.has_record": r.has_record}


def _marriage(r: MarriageStatus, _: Context) -> Values:
    return {"marriage.status": r.marital_status}


def _subsistence(r: SubsistenceAllowance, _: Context) -> Values:
    return {"subsistence.receiving": r.receiving}


def _insurance(r: SocialInsuranceContributions, _: Context) -> Values:
    return {
        "social_insurance.enrolled": r.enrolled,
        "social_insurance.consecutive_months": r.consecutive_months,
        "social_insurance.total_months": r.contribution_months,
        "social_insurance.monthly_base": r.monthly_base,
    }


def _employment(r: EmploymentRegistration, _: Context) -> Values:
    return {
        "employment.employed": r.employed,
        "employment.flexible": r.employment_type == "flexible",
    }


def _talent(r: TalentCertification, _: Context) -> Values:
    return {"talent.certified": r.certified}


def _pension(r: PensionEntitlement, _: Context) -> Values:
    return {"pension.receiving": r.receiving}


def _degrees(r: Degrees, _: Context) -> Values:
    return {"education.degree_rank": DEGREE_RANK[r.highest_degree]}


def _property(r: PropertyOwnership, _: Context) -> Values:
    return {"property.count_in_qingdao": r.count, "property.owns_in_qingdao": r.count > 0}


def _fund_account(r: FundAccount, _: Context) -> Values:
    return {
        "hpf.account_exists": True,
        "hpf.account_normal": r.status == FUND_NORMAL,
        "hpf.account_sealed": r.status == FUND_SEALED,
        "hpf.balance": r.balance,
    }


def _fund_contributions(r: FundContributions, _: Context) -> Values:
    return {
        "hpf.consecutive_months": r.consecutive_months,
        "hpf.monthly_deposit": r.monthly_deposit,
    }


def _fund_withdrawals(r: FundWithdrawals, context: Context) -> Values:
    name = "hpf.months_since_last_withdrawal"
    last = r.last_withdrawal_date
    if last is None:
        return {name: NEVER_WITHDRAWN}
    if last > context.on:
        # A withdrawal after the application date is a data error a clerk should see.
        return {name: Missing("last withdrawal after the application date")}
    return {name: whole_months(last, context.on)}


def _fund_loans(r: FundLoans, _: Context) -> Values:
    # "未结清": a loan still owing money; listed loans decide, the flag only when none is listed.
    owing = any(loan.outstanding > 0 for loan in r.loans) if r.loans else r.has_loan
    outstanding: Value = (
        sum(loan.outstanding for loan in r.loans)
        if r.loans or not r.has_loan
        else Missing("loan listed without its amounts")
    )
    return {
        "hpf.has_loan": owing,
        "hpf.loan_outstanding": outstanding,
        "hpf.loan_settled": bool(r.loans) and not owing,
        "hpf.repayment_agreement": r.repayment_agreement,
    }


def _defaulter(r: JudgmentDefaulters, _: Context) -> Values:
    return {"credit.court_defaulter": r.listed}


PEOPLE: tuple[AnyDatasetFacts, ...] = (
    DatasetFacts(
        ("gaj", "household-registration"), HouseholdRegistration,
        ("household.registered_in_qingdao", "household.active"), _household,
        # Public security not knowing the person says nothing about where they are registered.
        absent={"household.registered_in_qingdao": _UNKNOWN, "household.active": _UNKNOWN},
    ),
    DatasetFacts(
        ("gaj", "no-criminal-record"), CriminalRecordCheck, ("criminal.has_record",), _criminal,
        # Stays unknown: a person public security does not know is not thereby cleared.
        absent={"criminal.has_record": _UNKNOWN},
    ),
    DatasetFacts(
        ("mzj", "marriage-status"), MarriageStatus, ("marriage.status",), _marriage,
        # No marriage registration is not proof of being single (one may have married
        # elsewhere); the status stays for a clerk.
        absent={"marriage.status": _UNKNOWN},
    ),
    DatasetFacts(
        ("mzj", "subsistence-allowance"), SubsistenceAllowance, ("subsistence.receiving",),
        _subsistence,
        # The allowance is paid from this register: not in it is not receiving it.
        absent={"subsistence.receiving": False},
    ),
    DatasetFacts(
        ("rsj", "social-insurance-contributions"), SocialInsuranceContributions,
        ("social_insurance.enrolled", "social_insurance.consecutive_months",
         "social_insurance.total_months", "social_insurance.monthly_base"), _insurance,
        # The pension-insurance register is complete: no record is never enrolled, 0 months.
        absent={"social_insurance.enrolled": False, "social_insurance.consecutive_months": 0,
                "social_insurance.total_months": 0, "social_insurance.monthly_base": 0},
    ),
    DatasetFacts(
        ("rsj", "employment-registration"), EmploymentRegistration,
        ("employment.employed", "employment.flexible"), _employment,
        # Every working person is registered one way or the other; no record says nothing.
        absent={"employment.employed": _UNKNOWN, "employment.flexible": _UNKNOWN},
    ),
    DatasetFacts(
        ("rsj", "talent-certification"), TalentCertification, ("talent.certified",), _talent,
        # Certification is a register: not in it is not certified.
        absent={"talent.certified": False},
    ),
    DatasetFacts(
        ("rsj", "pension-entitlement"), PensionEntitlement, ("pension.receiving",), _pension,
        # Pensions are paid from this register: not in it is not receiving one.
        absent={"pension.receiving": False},
    ),
    DatasetFacts(
        ("jyj", "degrees"), Degrees, ("education.degree_rank",), _degrees,
        # Education answers "no record" for a person without a degree on file: rank 0 (none).
        absent={"education.degree_rank": 0},
    ),
    DatasetFacts(
        ("bdc", "property-ownership"), PropertyOwnership,
        ("property.count_in_qingdao", "property.owns_in_qingdao"), _property,
        # The register of every property in Qingdao: no record is no property.
        absent={"property.count_in_qingdao": 0, "property.owns_in_qingdao": False},
    ),
    DatasetFacts(
        ("gjj", "fund-account"), FundAccount,
        ("hpf.account_exists", "hpf.account_normal", "hpf.account_sealed", "hpf.balance"),
        _fund_account,
        # No account: that is the one thing known; its status and balance have no value.
        absent={"hpf.account_exists": False, "hpf.account_normal": _UNKNOWN,
                "hpf.account_sealed": _UNKNOWN, "hpf.balance": _UNKNOWN},
    ),
    DatasetFacts(
        ("gjj", "fund-contributions"), FundContributions,
        ("hpf.consecutive_months", "hpf.monthly_deposit"), _fund_contributions,
        # The fund answers "no record" only when there is no account (hpf.account_exists
        # says so); deposits of an account that does not exist stay unknown.
        absent={"hpf.consecutive_months": _UNKNOWN, "hpf.monthly_deposit": _UNKNOWN},
    ),
    DatasetFacts(
        ("gjj", "fund-withdrawals"), FundWithdrawals, ("hpf.months_since_last_withdrawal",),
        _fund_withdrawals,
        # As above: no account. "Never withdrawn" (999) is a record without a last date.
        absent={"hpf.months_since_last_withdrawal": _UNKNOWN},
    ),
    DatasetFacts(
        ("gjj", "fund-loans"), FundLoans,
        ("hpf.has_loan", "hpf.loan_outstanding", "hpf.loan_settled", "hpf.repayment_agreement"),
        _fund_loans,
        # As above: no account; loans of an account that does not exist stay unknown.
        absent={"hpf.has_loan": _UNKNOWN, "hpf.loan_outstanding": _UNKNOWN,
                "hpf.loan_settled": _UNKNOWN, "hpf.repayment_agreement": _UNKNOWN},
    ),
    DatasetFacts(
        ("court", "judgment-defaulters"), JudgmentDefaulters, ("credit.court_defaulter",),
        _defaulter,
        # The list is the record: not on it is not a defaulter.
        absent={"credit.court_defaulter": False},
    ),
)  # fmt: skip
