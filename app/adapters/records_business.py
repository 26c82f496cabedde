"""Typed records of enterprises: registration, abnormal operations, employers' fund accounts and
health inspections."""

from __future__ import annotations

from datetime import date
from typing import Literal

from app.adapters.record_base import DatasetRecord


class UnitAccount(DatasetRecord):
    """gjj/unit-account: an employer's deposit account."""

    unit_account: str
    employee_count: int
    paid_until: str


class HygieneInspection(DatasetRecord):
    """wjw/hygiene-inspections: the health supervisors' last inspection of the premises."""

    inspected_on: date
    conditions_unchanged: bool


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
    authorised_agents: tuple[AuthorisedAgent, ...] = ()
    registered_capital: int
    established_on: date
    business_scope: str
    address: str


class AbnormalOperations(DatasetRecord):
    """scjg/abnormal-operations (经营异常名录)."""

    listed: bool


class RepresentedEnterprise(DatasetRecord):
    """An enterprise a person is the legal representative of."""

    uscc: str
    name: str
    status: str


class RepresentedEnterprises(DatasetRecord):
    """scjg/represented-enterprises: the enterprises a person represents."""

    enterprises: tuple[RepresentedEnterprise, ...] = ()


class EnterpriseTaxCredit(DatasetRecord):
    """tax/enterprise-tax-credit: the enterprise's tax credit rating (纳税信用等级)."""

    rating: Literal["A", "B", "M", "C", "D"]
    rating_year: int


class OperatingLicence(DatasetRecord):
    """jyj/school-licences, wjw/hygiene-permits: a licence the department issued."""

    number: str
    issued_on: date
    expires_on: date


class HealthCertificates(DatasetRecord):
    """wjw/health-certificates: the staff's health certificates (健康证明) of the premises."""

    staff: int
    certified: int
    valid_until: date | None = None


class StaffMember(DatasetRecord):
    """An employee on the employer's social-insurance roll."""

    name: str
    id_number: str
    monthly_base: int | None = None  # the contribution base, the last year's average wage


class UnitStaff(DatasetRecord):
    """rsj/unit-staff: the employees social insurance records for the employer (参保职工)."""

    insured: int
    as_of_month: str
    staff: tuple[StaffMember, ...] = ()


class UtilityAccount(DatasetRecord):
    """<utility>/account-by-address: the account of a dwelling and whose it is (masked)."""

    account_no: str
    address: str
    holder_name_masked: str
    holder_id_number_masked: str
    status: str
    holder_matches: bool | None = None
