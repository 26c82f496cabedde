"""The e-licenses an approval issues, built from verified records, never from what was typed.

Each builder turns an approved case into the license to issue: a certificate of the housing
fund states the fund centre's own figures (the records its decision was made on), and the
business license registers what the founder asked for (the request is its content). `RECORDS`
says which department records a builder needs; the decision gathers them with the facts, and a
clerk's approval fetches them at that moment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from app.adapters.records import (
    DatasetRecord,
    EnterpriseRegistration,
    FundAccount,
    FundContributions,
    FundLoans,
    UnitAccount,
)
from app.auth.schemas import VerifiedPerson
from app.certificates.schemas import FieldValue, HolderCreate, LicenseCreate
from app.kit.uscc import make_uscc
from app.services.applications.errors import OutcomeUnavailable
from app.services.applications.models import Application

BUSINESS_LICENSE = "business-license"
R = TypeVar("R", bound=DatasetRecord)
_USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True, slots=True)
class Source:
    """What a builder reads: the case, the verified applicant, the records, the day."""

    application: Application
    person: VerifiedPerson
    record: Callable[[str], DatasetRecord | None]
    on: date

    def need(self, dataset: str, kind: type[R]) -> R:
        """The record of `dataset`, of the type expected; OutcomeUnavailable (503) without it."""
        found = self.record(dataset)
        if not isinstance(found, kind):
            raise OutcomeUnavailable(
                f"出具证照所需的部门数据（{dataset}）暂不可用", f"{dataset} is unavailable"
            )
        return found

    def person_holder(self) -> HolderCreate:
        """The applicant as a license's holder."""
        return HolderCreate(
            kind="person", name=self.person.name or "", id_number=self.person.id_number
        )


Builder = Callable[[Source], LicenseCreate]


def new_enterprise_uscc(application: Application) -> str:
    """The credit code of an enterprise the platform registers: derived from the case, so a
    repeated outcome of one case names the same enterprise."""
    number, body = application.id.int, []
    for _ in range(9):
        number, digit = divmod(number, len(_USCC_BODY))
        body.append(_USCC_BODY[digit])
    return make_uscc("9", "1", "370200", "".join(body))


def _business_license(source: Source) -> LicenseCreate:
    application = source.application
    form = application.form
    uscc = new_enterprise_uscc(application)
    return LicenseCreate(
        type=BUSINESS_LICENSE,
        holder=HolderCreate(kind="enterprise", name=str(form["company_name"]), uscc=uscc),
        fields={
            "uscc": uscc,
            "name": str(form["company_name"]),
            "entity_type": str(form["entity_type"]),
            "legal_representative": str(form["legal_representative"]),
            "registered_capital": form["registered_capital"],
            # The case's number starts with its day in Qingdao: the day it was approved.
            "established_on": f"{application.number[:4]}-{application.number[4:6]}-"
            f"{application.number[6:8]}",
            "business_scope": str(form["business_scope"]),
            "address": str(form["address"]),
        },
        source_record_id=f"application:{application.number}",
    )


def _certificate(source: Source, type_code: str, fields: dict[str, FieldValue]) -> LicenseCreate:
    return LicenseCreate(
        type=type_code,
        holder=source.person_holder(),
        fields=fields,
        valid_from=source.on,
        source_record_id=f"application:{source.application.number}",
    )


def _deposit_proof(source: Source) -> LicenseCreate:
    account = source.need("gjj/fund-account", FundAccount)
    paid = source.need("gjj/fund-contributions", FundContributions)
    return _certificate(source, "hpf-deposit-proof", {
        "account_number": account.account_number or "",
        "employer": account.employer_name or "",
        "monthly_amount": paid.monthly_deposit,
        "balance": account.balance,
        "status": account.status,
    })  # fmt: skip


def _settlement_proof(source: Source) -> LicenseCreate:
    loans = source.need("gjj/fund-loans", FundLoans)
    settled = [loan for loan in loans.loans if loan.outstanding == 0 and loan.settled_on]
    if not settled:
        raise OutcomeUnavailable("公积金中心未记载贷款结清日期", "no settled loan on record")
    loan = max(settled, key=lambda item: item.settled_on or item.start_date)
    return _certificate(source, "hpf-loan-settlement-proof", {
        "loan_contract_number": loan.contract_number,
        "loan_amount": loan.amount,
        "settled_on": (loan.settled_on or source.on).isoformat(),
    })  # fmt: skip


def _offsite_loan_proof(source: Source) -> LicenseCreate:
    account = source.need("gjj/fund-account", FundAccount)
    return _certificate(source, "hpf-offsite-loan-proof", {
        "account_number": account.account_number or "",
        "balance": account.balance,
        "loan_status": "在本市无未结清的住房公积金贷款",
        "issued_on": source.on.isoformat(),
    })  # fmt: skip


def _unit_deposit_proof(source: Source) -> LicenseCreate:
    unit = source.need("gjj/unit-account", UnitAccount)
    registration = source.need("scjg/enterprise-registration", EnterpriseRegistration)
    return LicenseCreate(
        type="unit-hpf-deposit-proof",
        holder=HolderCreate(kind="enterprise", name=registration.name, uscc=registration.uscc),
        fields={
            "uscc": registration.uscc,
            "unit_account": unit.unit_account,
            "employee_count": unit.employee_count,
            "paid_until": unit.paid_until,
        },
        valid_from=source.on,
        source_record_id=f"application:{source.application.number}",
    )


LICENSE_BUILDERS: dict[str, Builder] = {
    BUSINESS_LICENSE: _business_license,
    "hpf-deposit-proof": _deposit_proof,
    "hpf-loan-settlement-proof": _settlement_proof,
    "hpf-offsite-loan-proof": _offsite_loan_proof,
    "unit-hpf-deposit-proof": _unit_deposit_proof,
}
RECORDS: dict[str, tuple[str, ...]] = {
    "hpf-deposit-proof": ("gjj/fund-account", "gjj/fund-contributions"),
    "hpf-loan-settlement-proof": ("gjj/fund-loans",),
    "hpf-offsite-loan-proof": ("gjj/fund-account",),
    "unit-hpf-deposit-proof": ("gjj/unit-account", "scjg/enterprise-registration"),
}


def records_of(type_code: str) -> tuple[str, ...]:
    """The department records the builder of a license type reads."""
    return RECORDS.get(type_code, ())
