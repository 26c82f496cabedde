"""Typed records of homes and the housing fund: real estate, online contract filing, public
rental leases, deed tax, mortgages, and the fund's accounts, deposits, withdrawals and loans."""

from __future__ import annotations

from datetime import date
from typing import Literal

from app.adapters.record_base import DatasetRecord


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
    months_deposited: int | None = None


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
