"""Typed records of the department datasets the platform decides on.

Each model mirrors one dataset's `record` in the exchange contract. Unknown fields are ignored
(a department adding a field must not break the platform); a missing or mistyped field is a
contract break and surfaces as an unavailable fact. Datasets without a model stay plain dicts.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class DatasetRecord(BaseModel):
    """Base of every typed record: immutable, tolerant of extra fields."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class IdentityVerification(DatasetRecord):
    """gaj/identity-verification: whether name and ID number match."""

    match: bool


class FaceVerification(DatasetRecord):
    """gaj/face-verification: liveness of a selfie and its similarity to the ID photo."""

    liveness: bool
    similarity: float
    match: bool


class HouseholdRegistration(DatasetRecord):
    """gaj/household-registration (户籍), including cancellation on death."""

    registered_in_qingdao: bool
    region_code: str
    registered_place: str
    residence_address: str | None = None
    status: str
    cancelled_on: date | None = None
    cancellation_reason: str | None = None


class CriminalRecordCheck(DatasetRecord):
    """gaj/no-criminal-record: whether public security holds a criminal record."""

    has_record: bool


class MarriageStatus(DatasetRecord):
    """mzj/marriage-status."""

    marital_status: Literal["single", "married", "divorced", "widowed"]
    has_spouse_on_record: bool


class SubsistenceAllowance(DatasetRecord):
    """mzj/subsistence-allowance (最低生活保障)."""

    receiving: bool
    monthly_amount: int


class SocialInsuranceContributions(DatasetRecord):
    """rsj/social-insurance-contributions (pension insurance)."""

    enrolled: bool
    employer_uscc: str | None = None
    employer_name: str | None = None
    contribution_months: int
    consecutive_months: int
    monthly_base: int


class TalentCertification(DatasetRecord):
    """rsj/talent-certification."""

    certified: bool
    level: str | None = None


class PensionEntitlement(DatasetRecord):
    """rsj/pension-entitlement."""

    receiving: bool
    start_date: date | None = None
    monthly_amount: int


class OwnedProperty(DatasetRecord):
    """One registered property."""

    certificate_number: str
    address: str
    district_code: str
    area_m2: float
    acquired_on: date


class PropertyOwnership(DatasetRecord):
    """bdc/property-ownership: the properties registered in Qingdao."""

    count: int
    properties: tuple[OwnedProperty, ...]


class BoundCard(DatasetRecord):
    """The bank card the fund centre pays an account's withdrawals to."""

    bank_name: str
    card_number: str


class FundAccount(DatasetRecord):
    """gjj/fund-account."""

    account_number: str | None = None
    status: str
    employer_uscc: str | None = None
    employer_name: str | None = None
    balance: int
    bound_card: BoundCard | None = None


class FundContributions(DatasetRecord):
    """gjj/fund-contributions."""

    consecutive_months: int
    monthly_deposit: int


class FundWithdrawals(DatasetRecord):
    """gjj/fund-withdrawals."""

    last_withdrawal_date: date | None = None


class FundLoan(DatasetRecord):
    """One housing-fund loan; `outstanding` is what is left to repay (CNY)."""

    contract_number: str
    amount: int
    start_date: date
    outstanding: int
    settled_on: date | None = None


class FundLoans(DatasetRecord):
    """gjj/fund-loans."""

    has_loan: bool
    loans: tuple[FundLoan, ...] = ()
    repayment_agreement: bool = False


class UnitAccount(DatasetRecord):
    """gjj/unit-account: an employer's deposit account."""

    unit_account: str
    employee_count: int
    paid_until: str


class Mortgage(DatasetRecord):
    """A registered mortgage; a commercial loan's registration names the loan."""

    certificate_number: str
    registered_on: date
    loan_kind: Literal["commercial"] | None = None
    lender: str | None = None
    loan_contract_number: str | None = None
    loan_amount: int | None = None


class PropertyTransactions(DatasetRecord):
    """bdc/property-transactions: purchases and mortgages registered."""

    mortgages: tuple[Mortgage, ...] = ()


class PurchaseContract(DatasetRecord):
    """A new-home purchase contract filed online (网签备案)."""

    contract_number: str
    filed_on: date
    total_price: int
    address: str


class PurchaseContracts(DatasetRecord):
    """zjj/purchase-contracts: the filed contracts naming the person as buyer."""

    contracts: tuple[PurchaseContract, ...] = ()


class PublicRentalLease(DatasetRecord):
    """zjj/public-rental-leases: the person's public rental lease."""

    lease_number: str
    start: date
    end: date
    annual_rent: int


class DeedTaxPayment(DatasetRecord):
    """One deed-tax payment on a home purchase."""

    voucher_number: str
    paid_on: date
    taxable_price: int


class DeedTax(DatasetRecord):
    """tax/deed-tax: the person's deed-tax payments."""

    payments: tuple[DeedTaxPayment, ...] = ()


class EmploymentRegistration(DatasetRecord):
    """rsj/employment-registration: employed by an employer, flexibly employed, or neither."""

    employed: bool
    employment_type: Literal["employee", "flexible", "none"]
    employer_uscc: str | None = None


class HygieneInspection(DatasetRecord):
    """wjw/hygiene-inspections: the health supervisors' last inspection of the premises."""

    inspected_on: date
    conditions_unchanged: bool


class Degrees(DatasetRecord):
    """jyj/degrees: the highest degree on record."""

    highest_degree: Literal["none", "high_school", "associate", "bachelor", "master", "doctorate"]
    degree_rank: int
    school: str | None = None
    major: str | None = None
    graduation_year: int | None = None
    diploma_number: str | None = None


class JudgmentDefaulters(DatasetRecord):
    """court/judgment-defaulters (失信被执行人)."""

    listed: bool


class AuthorisedAgent(DatasetRecord):
    """A person market regulation records as authorised to act for an enterprise."""

    name: str
    id_number: str


class EnterpriseRegistration(DatasetRecord):
    """scjg/enterprise-registration."""

    uscc: str
    name: str
    status: str
    legal_representative_name: str
    legal_representative_id_number: str
    authorised_agents: list[AuthorisedAgent] = []
    registered_capital: int
    established_on: date
    business_scope: str
    address: str


class AbnormalOperations(DatasetRecord):
    """scjg/abnormal-operations (经营异常名录)."""

    listed: bool


class MedicalClaims(DatasetRecord):
    """ybj/medical-claims: the last claim, an activity signal."""

    last_claim_date: date | None = None


class BusCardUsage(DatasetRecord):
    """jtj/bus-card-usage: the last use, an activity signal."""

    last_use_date: date | None = None


RECORD_TYPES: dict[tuple[str, str], type[DatasetRecord]] = {
    ("gaj", "identity-verification"): IdentityVerification,
    ("gaj", "face-verification"): FaceVerification,
    ("gaj", "household-registration"): HouseholdRegistration,
    ("gaj", "no-criminal-record"): CriminalRecordCheck,
    ("mzj", "marriage-status"): MarriageStatus,
    ("mzj", "subsistence-allowance"): SubsistenceAllowance,
    ("rsj", "social-insurance-contributions"): SocialInsuranceContributions,
    ("rsj", "talent-certification"): TalentCertification,
    ("rsj", "pension-entitlement"): PensionEntitlement,
    ("bdc", "property-ownership"): PropertyOwnership,
    ("bdc", "property-transactions"): PropertyTransactions,
    ("zjj", "purchase-contracts"): PurchaseContracts,
    ("zjj", "public-rental-leases"): PublicRentalLease,
    ("tax", "deed-tax"): DeedTax,
    ("rsj", "employment-registration"): EmploymentRegistration,
    ("wjw", "hygiene-inspections"): HygieneInspection,
    ("gjj", "fund-account"): FundAccount,
    ("gjj", "fund-contributions"): FundContributions,
    ("gjj", "fund-withdrawals"): FundWithdrawals,
    ("gjj", "fund-loans"): FundLoans,
    ("gjj", "unit-account"): UnitAccount,
    ("jyj", "degrees"): Degrees,
    ("court", "judgment-defaulters"): JudgmentDefaulters,
    ("scjg", "enterprise-registration"): EnterpriseRegistration,
    ("scjg", "abnormal-operations"): AbnormalOperations,
    ("ybj", "medical-claims"): MedicalClaims,
    ("jtj", "bus-card-usage"): BusCardUsage,
}

Record = DatasetRecord | dict[str, Any]


def parse_record(department: str, dataset: str, raw: dict[str, Any]) -> Record:
    """Validate a dataset's raw record into its typed model (a dict if it has none)."""
    model = RECORD_TYPES.get((department, dataset))
    return raw if model is None else model.model_validate(raw)
