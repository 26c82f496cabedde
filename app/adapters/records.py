"""Typed records of the department datasets the platform reads.

Each model mirrors one dataset's `record` in the exchange contract. Unknown fields are ignored
(a department adding a field must not break the platform); a missing or mistyped field is a
contract break and surfaces as an unavailable fact. Every dataset the simulated departments
serve has a model (records_people, records_housing, records_business); this module names them.
"""

from __future__ import annotations

from typing import Any

from app.adapters.record_base import DatasetRecord as DatasetRecord
from app.adapters.records_business import *  # noqa: F403 - the one place the types are named
from app.adapters.records_business import (
    AbnormalOperations,
    EnterpriseRegistration,
    EnterpriseTaxCredit,
    HealthCertificates,
    HygieneInspection,
    OperatingLicence,
    RepresentedEnterprises,
    UnitAccount,
    UnitStaff,
    UtilityAccount,
)
from app.adapters.records_housing import *  # noqa: F403
from app.adapters.records_housing import (
    DeedTax,
    FundAccount,
    FundContributions,
    FundLoans,
    FundWithdrawals,
    PropertyOwnership,
    PropertyTransactions,
    PublicRentalLease,
    PurchaseContracts,
)
from app.adapters.records_people import *  # noqa: F403
from app.adapters.records_people import (
    BirthCertificate,
    BusCardUsage,
    CremationRecords,
    CriminalRecordCheck,
    DeathCertificate,
    Degrees,
    EmploymentRegistration,
    FaceVerification,
    HospitalVisits,
    HouseholdRegistration,
    IdentityVerification,
    IndividualIncomeTax,
    JudgmentDefaulters,
    LeaseFilings,
    MarriageStatus,
    MedicalClaims,
    MedicalEnrolment,
    PensionEntitlement,
    PrisonRecords,
    SocialInsuranceContributions,
    SubsistenceAllowance,
    TalentCertification,
)

UTILITIES = ("water", "power", "gas", "heat", "catv", "broadband", "citycard")

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
    ("mzj", "cremation-records"): CremationRecords,
    ("ybj", "medical-enrolment"): MedicalEnrolment,
    ("sfj", "prison-records"): PrisonRecords,
    ("tax", "individual-income-tax"): IndividualIncomeTax,
    ("tax", "enterprise-tax-credit"): EnterpriseTaxCredit,
    ("jyj", "school-licences"): OperatingLicence,
    ("wjw", "birth-certificates"): BirthCertificate,
    ("wjw", "hospital-visits"): HospitalVisits,
    ("wjw", "death-certificates"): DeathCertificate,
    ("wjw", "hygiene-permits"): OperatingLicence,
    ("wjw", "health-certificates"): HealthCertificates,
    ("scjg", "represented-enterprises"): RepresentedEnterprises,
    ("rsj", "unit-staff"): UnitStaff,
    ("zjj", "lease-filings"): LeaseFilings,
    **{(utility, "account-by-address"): UtilityAccount for utility in UTILITIES},
}

Record = DatasetRecord | dict[str, Any]


def parse_record(department: str, dataset: str, raw: dict[str, Any]) -> Record:
    """Validate a dataset's raw record into its typed model (a dict if it has none)."""
    model = RECORD_TYPES.get((department, dataset))
    return raw if model is None else model.model_validate(raw)
