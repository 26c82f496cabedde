"""Facts about a person's home purchases, rentals and mortgages: from the housing bureau's
online contract filing and public rental leases, the tax bureau's deed tax, and the real-estate
centre's mortgage registrations.

These replace what withdrawal forms used to ask the applicant to type (a price, a rent, a loan):
a "no record" answer is the registers' own answer (no filed contract, no lease, no deed tax, no
commercial mortgage), and the amounts such a record would carry stay unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TypeVar

from app.adapters.records import DeedTax, PropertyTransactions, PublicRentalLease, PurchaseContracts
from app.services.applications.facts_calendar import whole_months
from app.services.applications.facts_dataset import (
    AnyDatasetFacts,
    Context,
    DatasetFacts,
    Missing,
    Values,
)

T = TypeVar("T")
_NO_CONTRACT = Missing("no filed purchase contract")
_NO_LEASE = Missing("no public rental lease")
_NO_DEED_TAX = Missing("no deed tax paid")
_NO_LOAN = Missing("no commercial mortgage registered")


def _latest(items: Iterable[T], dated: Callable[[T], date], on: date) -> T | None:
    """The latest record dated on or before `on` (a record dated later is not yet true)."""
    past = [item for item in items if dated(item) <= on]
    return max(past, key=dated) if past else None


def _contracts(r: PurchaseContracts, context: Context) -> Values:
    latest = _latest(r.contracts, lambda c: c.filed_on, context.on)
    if latest is None:
        return {"purchase.contract_filed": False, "purchase.total_price": _NO_CONTRACT,
                "purchase.months_since_filing": _NO_CONTRACT}  # fmt: skip
    return {
        "purchase.contract_filed": True,
        "purchase.total_price": latest.total_price,
        "purchase.months_since_filing": whole_months(latest.filed_on, context.on),
    }


def _lease(r: PublicRentalLease, context: Context) -> Values:
    if not r.start <= context.on <= r.end:
        return {"public_rental.leasing": False, "public_rental.annual_rent": _NO_LEASE}
    return {"public_rental.leasing": True, "public_rental.annual_rent": r.annual_rent}


def _deed_tax(r: DeedTax, context: Context) -> Values:
    latest = _latest(r.payments, lambda p: p.paid_on, context.on)
    if latest is None:
        return {"deed_tax.paid": False, "deed_tax.taxable_price": _NO_DEED_TAX,
                "deed_tax.months_since_payment": _NO_DEED_TAX}  # fmt: skip
    return {
        "deed_tax.paid": True,
        "deed_tax.taxable_price": latest.taxable_price,
        "deed_tax.months_since_payment": whole_months(latest.paid_on, context.on),
    }


def _mortgages(r: PropertyTransactions, _: Context) -> Values:
    loans = [m.loan_amount for m in r.mortgages if m.loan_kind == "commercial"]
    if not loans:
        return {"commercial_loan.exists": False, "commercial_loan.amount": _NO_LOAN}
    if any(amount is None for amount in loans):
        return {"commercial_loan.exists": True,
                "commercial_loan.amount": Missing("a registration names no amount")}  # fmt: skip
    return {"commercial_loan.exists": True, "commercial_loan.amount": sum(a or 0 for a in loans)}


HOUSING: tuple[AnyDatasetFacts, ...] = (
    DatasetFacts(
        ("zjj", "purchase-contracts"), PurchaseContracts,
        ("purchase.contract_filed", "purchase.total_price", "purchase.months_since_filing"),
        _contracts,
        # Every new-home sale is filed online: no record is no filed contract.
        absent={"purchase.contract_filed": False, "purchase.total_price": _NO_CONTRACT,
                "purchase.months_since_filing": _NO_CONTRACT},
    ),
    DatasetFacts(
        ("zjj", "public-rental-leases"), PublicRentalLease,
        ("public_rental.leasing", "public_rental.annual_rent"), _lease,
        # The bureau leases every public rental home: no record is no lease.
        absent={"public_rental.leasing": False, "public_rental.annual_rent": _NO_LEASE},
    ),
    DatasetFacts(
        ("tax", "deed-tax"), DeedTax,
        ("deed_tax.paid", "deed_tax.taxable_price", "deed_tax.months_since_payment"), _deed_tax,
        # Deed tax is paid before a transfer is registered: no record is none paid.
        absent={"deed_tax.paid": False, "deed_tax.taxable_price": _NO_DEED_TAX,
                "deed_tax.months_since_payment": _NO_DEED_TAX},
    ),
    DatasetFacts(
        ("bdc", "property-transactions"), PropertyTransactions,
        ("commercial_loan.exists", "commercial_loan.amount"), _mortgages,
        # Mortgages are registered with the real-estate centre: no record is none registered.
        absent={"commercial_loan.exists": False, "commercial_loan.amount": _NO_LOAN},
    ),
)  # fmt: skip
