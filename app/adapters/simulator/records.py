"""Typed facts about synthetic people and enterprises, one source of truth per fact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

Sex = Literal["male", "female"]
MaritalStatus = Literal["single", "married", "divorced", "widowed"]
Degree = Literal["none", "high_school", "associate", "bachelor", "master", "doctorate"]
EnterpriseStatus = Literal["存续", "注销", "吊销"]
TaxCreditRating = Literal["A", "B", "M", "C", "D"]
LicenceKind = Literal["public_place_hygiene", "private_school"]

DEGREE_RANK: dict[Degree, int] = {
    "none": 0,
    "high_school": 1,
    "associate": 2,
    "bachelor": 3,
    "master": 4,
    "doctorate": 5,
}


@dataclass(frozen=True, slots=True)
class Household:
    """Household registration (户籍) as public security keeps it."""

    registered_in_qingdao: bool
    region_code: str
    place: str
    cancelled_on: date | None


@dataclass(frozen=True, slots=True)
class Education:
    """Highest degree on record at the education bureau."""

    degree: Degree
    school: str | None
    major: str | None
    graduation_year: int | None
    diploma_number: str | None


@dataclass(frozen=True, slots=True)
class SocialInsurance:
    """Pension-insurance contributions as HR & social security records them."""

    enrolled: bool
    employer_index: int | None
    contribution_months: int
    consecutive_months: int
    monthly_base: int


@dataclass(frozen=True, slots=True)
class HousingLoan:
    """A housing provident fund loan."""

    contract_number: str
    amount: int
    start_date: date
    outstanding: int
    settled_on: date | None = None


@dataclass(frozen=True, slots=True)
class BankCard:
    """A bank card as the fund centre binds it to an account: withdrawals are paid only here."""

    bank_name: str
    card_number: str


@dataclass(frozen=True, slots=True)
class HousingFund:
    """Housing provident fund account; employer_index is the contributing employer."""

    account_number: str | None
    employer_index: int | None
    consecutive_months: int
    monthly_deposit: int
    balance: int
    last_withdrawal: date | None
    loan: HousingLoan | None
    bound_card: BankCard | None = None
    # 按月委托提取还贷协议: the centre withdraws each month to repay the holder's mortgage.
    repayment_agreement: bool = False
    # Months deposited in all (None: as many as the balance is monthly deposits).
    months_deposited: int | None = None


@dataclass(frozen=True, slots=True)
class CommercialLoan:
    """A commercial home loan, as its mortgage registration at the real-estate centre shows it."""

    contract_number: str
    lender: str
    amount: int
    registered_on: date
    certificate_number: str


@dataclass(frozen=True, slots=True)
class PurchaseContract:
    """A new-home purchase contract filed online with the housing bureau (网签备案)."""

    contract_number: str
    filed_on: date
    total_price: int
    address: str


@dataclass(frozen=True, slots=True)
class DeedTax:
    """Deed tax paid on a home purchase (契税完税), as the tax bureau records it."""

    voucher_number: str
    paid_on: date
    taxable_price: int
    address: str


@dataclass(frozen=True, slots=True)
class LeaseFiling:
    """A private rental filed with the housing bureau (房屋租赁登记备案)."""

    filing_number: str
    address: str
    start: date
    end: date
    monthly_rent: int


@dataclass(frozen=True, slots=True)
class PublicRentalLease:
    """A public rental housing lease (公租房) the housing bureau holds."""

    lease_number: str
    start: date
    end: date
    annual_rent: int
    address: str


@dataclass(frozen=True, slots=True)
class UtilityAccounts:
    """Utility accounts of one address (water, power, gas, heat, cable TV, broadband, city card)."""

    water: str
    power: str
    gas: str
    heat: str
    catv: str
    broadband: str
    citycard: str


@dataclass(frozen=True, slots=True)
class Property:
    """A registered property in Qingdao; the utilities belong to its address."""

    certificate_number: str
    address: str
    district_code: str
    area_m2: float
    acquired_on: date
    mortgaged: bool
    utilities: UtilityAccounts


@dataclass(frozen=True, slots=True)
class Pension:
    """Basic pension entitlement; a deceased pensioner stays `receiving` until HR learns of it."""

    receiving: bool
    start_date: date | None
    monthly_amount: int


@dataclass(frozen=True, slots=True)
class MedicalInsurance:
    """Medical insurance enrolment and the last claim (an activity signal)."""

    enrolled: bool
    last_claim: date | None


@dataclass(frozen=True, slots=True)
class Death:
    """A death as the health commission and civil affairs record it."""

    date_of_death: date
    cremated_on: date
    funeral_home: str


@dataclass(frozen=True, slots=True)
class Person:
    """One synthetic resident; every department's dataset is a view of these fields."""

    index: int
    id_number: str
    name: str
    sex: Sex
    birth_date: date
    phone: str
    district_code: str
    address: str
    household: Household
    death: Death | None
    marital_status: MaritalStatus
    spouse_index: int | None
    employer_index: int | None
    education: Education
    social_insurance: SocialInsurance
    housing_fund: HousingFund
    properties: tuple[Property, ...]
    pension: Pension
    medical_insurance: MedicalInsurance
    bus_card_last_use: date | None
    court_defaulter: bool
    criminal_record: bool
    # Registered with HR as flexibly employed (灵活就业), rather than by an employer.
    flexibly_employed: bool = False
    # On civil affairs' subsistence register; None: as the population's draw decides.
    subsistence_allowance: bool | None = None
    commercial_loans: tuple[CommercialLoan, ...] = ()
    purchase_contracts: tuple[PurchaseContract, ...] = ()
    deed_taxes: tuple[DeedTax, ...] = ()
    public_rental_lease: PublicRentalLease | None = None
    lease_filings: tuple[LeaseFiling, ...] = ()

    @property
    def alive(self) -> bool:
        """Whether the person is alive."""
        return self.death is None

    @property
    def date_of_death(self) -> date | None:
        """The date of death, if any."""
        return None if self.death is None else self.death.date_of_death

    def age_on(self, day: date) -> int:
        """Age in whole years on a given day."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday


@dataclass(frozen=True, slots=True)
class Licence:
    """An administrative licence held by an enterprise."""

    kind: LicenceKind
    number: str
    issued_on: date
    expires_on: date


@dataclass(frozen=True, slots=True)
class Enterprise:
    """One synthetic enterprise as market regulation and tax see it."""

    index: int
    uscc: str
    name: str
    industry: str
    legal_representative: int
    registered_capital: int
    established_on: date
    status: EnterpriseStatus
    business_scope: str
    district_code: str
    address: str
    abnormal_operation: bool
    tax_credit_rating: TaxCreditRating
    licences: tuple[Licence, ...]
    # What the health supervisors' last inspection found of licensed premises.
    premises_changed: bool = False
