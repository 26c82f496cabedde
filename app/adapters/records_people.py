"""Typed records of the person datasets: identity, household, civil affairs, HR and social
security, education, courts, health and transport."""

from __future__ import annotations

from datetime import date
from typing import Literal

from app.adapters.record_base import DatasetRecord


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


class EmploymentRegistration(DatasetRecord):
    """rsj/employment-registration: employed by an employer, flexibly employed, or neither."""

    employed: bool
    employment_type: Literal["employee", "flexible", "none"]
    employer_uscc: str | None = None


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


class MedicalClaims(DatasetRecord):
    """ybj/medical-claims: the last claim, an activity signal."""

    last_claim_date: date | None = None


class BusCardUsage(DatasetRecord):
    """jtj/bus-card-usage: the last use, an activity signal."""

    last_use_date: date | None = None


class CremationRecords(DatasetRecord):
    """mzj/cremation-records: a death as the funeral home recorded it."""

    date_of_death: date
    cremated_on: date
    funeral_home: str


class MedicalEnrolment(DatasetRecord):
    """ybj/medical-enrolment: enrolled in basic medical insurance."""

    enrolled: bool


class PrisonRecords(DatasetRecord):
    """sfj/prison-records: a sentence served, and whether the person is in custody."""

    has_record: bool
    in_custody: bool


class IndividualIncomeTax(DatasetRecord):
    """tax/individual-income-tax: last year's income and tax."""

    tax_year: int
    annual_income: int
    tax_paid: int


class BirthCertificate(DatasetRecord):
    """wjw/birth-certificates: the medical certificate of birth (出生医学证明)."""

    birth_date: date
    sex: Literal["male", "female"]
    birth_place: str
    certificate_number: str


class HospitalVisits(DatasetRecord):
    """wjw/hospital-visits: the last visit, an activity signal."""

    last_visit_date: date | None = None


class DeathCertificate(DatasetRecord):
    """wjw/death-certificates: the medical certificate of death."""

    date_of_death: date
    certificate_number: str


class LeaseFiling(DatasetRecord):
    """One private rental filed with the housing bureau (房屋租赁登记备案)."""

    filing_number: str
    address: str
    start: date
    end: date
    monthly_rent: int


class LeaseFilings(DatasetRecord):
    """zjj/lease-filings: the rentals filed with the person as tenant."""

    filings: tuple[LeaseFiling, ...] = ()
