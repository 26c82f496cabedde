"""Home purchases and rentals as the housing bureau and the tax bureau record them.

The housing bureau (住建局, "zjj") files every new-home purchase contract online (网签备案) and
leases the city's public rental homes (公租房); the tax bureau collects the deed tax (契税) on
every purchase. The housing fund decides purchase and rent withdrawals on these records, not on
the prices and rents an applicant would type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.adapters.simulator.dataset_types import Context, Dataset, Department, Record, iso
from app.adapters.simulator.records import Person

Fields = Mapping[str, Any]


def _contracts(ctx: Context, p: Person, fields: Fields) -> Record:
    return {
        "contracts": [
            {"contract_number": c.contract_number, "filed_on": iso(c.filed_on),
             "total_price": c.total_price, "address": c.address, "buyer_role": "买受人"}
            for c in p.purchase_contracts
        ]
    }  # fmt: skip


def _public_rental(ctx: Context, p: Person, fields: Fields) -> Record | None:
    lease = p.public_rental_lease
    if lease is None:
        return None
    return {
        "lease_number": lease.lease_number,
        "start": iso(lease.start),
        "end": iso(lease.end),
        "annual_rent": lease.annual_rent,
        "address": lease.address,
    }


def _lease_filings(ctx: Context, p: Person, fields: Fields) -> Record:
    return {
        "filings": [
            {"filing_number": f.filing_number, "address": f.address, "start": iso(f.start),
             "end": iso(f.end), "monthly_rent": f.monthly_rent}
            for f in p.lease_filings
        ]
    }  # fmt: skip


def _deed_tax(ctx: Context, p: Person, fields: Fields) -> Record:
    return {
        "payments": [
            {"voucher_number": t.voucher_number, "paid_on": iso(t.paid_on),
             "taxable_price": t.taxable_price, "address": t.address}
            for t in p.deed_taxes
        ]
    }  # fmt: skip


ZJJ = Department("zjj", "住房和城乡建设局", (
    Dataset("purchase-contracts", "商品房买卖合同网签备案", "person", _contracts),
    Dataset("public-rental-leases", "公共租赁住房租赁", "person", _public_rental),
    Dataset("lease-filings", "房屋租赁登记备案", "person", _lease_filings),
))  # fmt: skip
TAX_HOUSING = (Dataset("deed-tax", "契税完税", "person", _deed_tax),)
