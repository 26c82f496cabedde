"""Property, housing-fund, enterprise and utility datasets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from app.adapters.simulator.dataset_types import (
    Context,
    Dataset,
    Department,
    Dwelling,
    Record,
    iso,
)
from app.adapters.simulator.draw import Draw
from app.adapters.simulator.population import PEOPLE_PER_ENTERPRISE
from app.adapters.simulator.records import CommercialLoan, Enterprise, LicenceKind, Person
from app.kit.masking import mask_id_number, mask_name

Fields = Mapping[str, Any]
UTILITIES: dict[str, str] = {
    "water": "水务集团",
    "power": "供电公司",
    "gas": "燃气公司",
    "heat": "热力公司",
    "catv": "广电网络",
    "broadband": "宽带运营商",
    "citycard": "公用事业便民卡中心",
}


def _ownership(ctx: Context, p: Person, fields: Fields) -> Record:
    return {
        "count": len(p.properties),
        "properties": [
            {
                "certificate_number": prop.certificate_number,
                "address": prop.address,
                "district_code": prop.district_code,
                "area_m2": prop.area_m2,
                "acquired_on": iso(prop.acquired_on),
            }
            for prop in p.properties
        ],
    }


def _transactions(ctx: Context, p: Person, fields: Fields) -> Record:
    # Mortgages of commercial loans carry the loan (the registration names lender and amount);
    # others are listed as registered, without a loan the centre can name.
    loans = {loan.certificate_number: loan for loan in p.commercial_loans}
    mortgages: list[Record] = []
    for prop in p.properties:
        loan = loans.pop(prop.certificate_number, None)
        if prop.mortgaged or loan is not None:
            mortgages.append(_mortgage(prop.certificate_number, prop.acquired_on, loan))
    mortgages += [
        _mortgage(loan.certificate_number, loan.registered_on, loan) for loan in loans.values()
    ]
    return {
        "transactions": [
            {"type": "purchase", "certificate_number": prop.certificate_number,
             "date": iso(prop.acquired_on), "address": prop.address}
            for prop in p.properties
        ],
        "mortgages": mortgages,
    }  # fmt: skip


def _mortgage(certificate: str, registered: date, loan: CommercialLoan | None) -> Record:
    record: Record = {"certificate_number": certificate, "registered_on": iso(registered)}
    if loan is not None:
        record |= {"loan_kind": "commercial", "lender": loan.lender,
                   "loan_contract_number": loan.contract_number, "loan_amount": loan.amount,
                   "registered_on": iso(loan.registered_on)}  # fmt: skip
    return record


def _fund(p: Person) -> bool:
    return p.housing_fund.account_number is not None


def _fund_account(ctx: Context, p: Person, fields: Fields) -> Record | None:
    f = p.housing_fund
    if not _fund(p):
        return None
    employer = None if f.employer_index is None else ctx.population.enterprise(f.employer_index)
    card = f.bound_card
    return {
        "account_number": f.account_number,
        "status": "正常" if p.alive and employer is not None else "封存",
        "employer_uscc": None if employer is None else employer.uscc,
        "employer_name": None if employer is None else employer.name,
        "balance": f.balance,
        # Withdrawals are paid to this card only; the platform names it, the centre checks it.
        "bound_card": None if card is None else
        {"bank_name": card.bank_name, "card_number": card.card_number},
    }  # fmt: skip


def _fund_contributions(ctx: Context, p: Person, fields: Fields) -> Record | None:
    f = p.housing_fund
    if not _fund(p):
        return None
    months = f.months_deposited
    if months is None:
        months = f.balance // f.monthly_deposit if f.monthly_deposit else f.consecutive_months
    return {"consecutive_months": f.consecutive_months, "monthly_deposit": f.monthly_deposit,
            "months_deposited": months}  # fmt: skip


def _fund_withdrawals(ctx: Context, p: Person, fields: Fields) -> Record | None:
    fund = p.housing_fund
    if fund.account_number is None:
        return None
    paid = [day for day in (fund.last_withdrawal, ctx.withdrawals.get(fund.account_number)) if day]
    return {"last_withdrawal_date": iso(max(paid)) if paid else None}


def _fund_loans(ctx: Context, p: Person, fields: Fields) -> Record | None:
    if not _fund(p):
        return None
    fund = p.housing_fund
    loan = fund.loan
    agreement = fund.repayment_agreement
    if loan is None:
        return {"has_loan": False, "loans": [], "repayment_agreement": agreement}
    item = {"contract_number": loan.contract_number, "amount": loan.amount,
            "start_date": iso(loan.start_date), "outstanding": loan.outstanding,
            "settled_on": iso(loan.settled_on)}  # fmt: skip
    # A repaid loan stays on record (the settlement certificate proves it); "has_loan" is owing.
    return {"has_loan": loan.outstanding > 0, "loans": [item], "repayment_agreement": agreement}


def _unit_account(ctx: Context, e: Enterprise, fields: Fields) -> Record | None:
    # Active employers deposit for their staff; the account number follows the credit code.
    if e.status != "存续":
        return None
    as_of = ctx.population.as_of
    return {"unit_account": f"DW{e.uscc[8:17]}", "employee_count": _staff(ctx, e),
            "paid_until": f"{as_of.year:04d}-{as_of.month:02d}"}  # fmt: skip


def _registration(ctx: Context, e: Enterprise, fields: Fields) -> Record:
    rep = ctx.population.person(e.legal_representative)
    agent = ctx.population.person(ctx.population.authorised_agent(e.index))
    return {
        "uscc": e.uscc,
        "name": e.name,
        "status": e.status,
        # The full ID lets the platform match the representative; the name is public anyway.
        "legal_representative_name": rep.name,
        "legal_representative_id_number": rep.id_number,
        # Who else may act for the enterprise online (经办人授权), as market regulation records it.
        "authorised_agents": [{"name": agent.name, "id_number": agent.id_number}],
        "registered_capital": e.registered_capital,
        "established_on": iso(e.established_on),
        "business_scope": e.business_scope,
        "address": e.address,
    }


def _represented(ctx: Context, p: Person, fields: Fields) -> Record:
    index = ctx.population.represented_enterprise(p.index)
    if index is None:
        return {"enterprises": []}
    e = ctx.population.enterprise(index)
    return {"enterprises": [{"uscc": e.uscc, "name": e.name, "status": e.status}]}


def _abnormal(ctx: Context, e: Enterprise, fields: Fields) -> Record:
    return {"listed": e.abnormal_operation}


def _tax_credit(ctx: Context, e: Enterprise, fields: Fields) -> Record:
    return {"rating": e.tax_credit_rating, "rating_year": ctx.population.as_of.year - 1}


def _licences(kind: LicenceKind) -> Any:
    def view(ctx: Context, e: Enterprise, fields: Fields) -> Record | None:
        found = [lic for lic in e.licences if lic.kind == kind]
        if not found:
            return None
        lic = found[0]
        return {"number": lic.number, "issued_on": iso(lic.issued_on),
                "expires_on": iso(lic.expires_on)}  # fmt: skip

    return view


def _staff(ctx: Context, e: Enterprise) -> int:
    # One headcount per employer, as social insurance and the fund both see it.
    return 3 + Draw(ctx.population.seed, "unit-staff", e.index).below(120)


def _unit_staff(ctx: Context, e: Enterprise, fields: Fields) -> Record | None:
    if e.status != "存续":
        return None
    as_of = ctx.population.as_of
    # The roll's first names: the people of the enterprise's block who work there.
    population = ctx.population
    block = range(e.index * PEOPLE_PER_ENTERPRISE, (e.index + 1) * PEOPLE_PER_ENTERPRISE)
    roll = [population.person(i) for i in block if i < population.size]
    staff = [
        {"name": p.name, "id_number": p.id_number, "monthly_base": p.social_insurance.monthly_base}
        for p in roll
        if p.employer_index == e.index
    ]
    return {"insured": _staff(ctx, e), "as_of_month": f"{as_of.year:04d}-{as_of.month:02d}",
            "staff": staff[:10]}  # fmt: skip


def _health_certificates(ctx: Context, e: Enterprise, fields: Fields) -> Record | None:
    # Staff serving the public at licensed premises hold health certificates (健康证明).
    if not any(lic.kind == "public_place_hygiene" for lic in e.licences):
        return None
    staff = min(_staff(ctx, e), 12)
    until = ctx.population.as_of + timedelta(days=200)
    return {"staff": staff, "certified": staff, "valid_until": iso(until)}


def _inspection(ctx: Context, e: Enterprise, fields: Fields) -> Record | None:
    # Health supervisors inspect licensed premises; the last visit is ten days back.
    if not any(lic.kind == "public_place_hygiene" for lic in e.licences):
        return None
    inspected = ctx.population.as_of - timedelta(days=10)
    unchanged = ctx.inspections.get(e.uscc, not e.premises_changed)
    return {"inspected_on": iso(inspected), "conditions_unchanged": unchanged}


def _account(utility: str) -> Any:
    def view(ctx: Context, d: Dwelling, fields: Fields) -> Record:
        account_no = getattr(d.accounts, utility)
        holder = ctx.population.person(ctx.holders.get((utility, account_no), d.holder_index))
        record: Record = {
            "account_no": account_no,
            "address": d.address,
            "holder_name_masked": mask_name(holder.name),
            "holder_id_number_masked": mask_id_number(holder.id_number),
            "status": "正常",
        }
        asked = fields.get("holder_id_number")
        if asked is not None:
            record["holder_matches"] = str(asked).strip().upper() == holder.id_number
        return record

    return view


BUSINESS_DEPARTMENTS: tuple[Department, ...] = (
    Department("bdc", "不动产登记中心", (
        Dataset("property-ownership", "不动产权属", "person", _ownership),
        Dataset("property-transactions", "不动产交易与抵押", "person", _transactions),
    )),
    Department("gjj", "住房公积金管理中心", (
        Dataset("fund-account", "公积金账户", "person", _fund_account),
        Dataset("fund-contributions", "公积金缴存", "person", _fund_contributions,
                refresh="monthly"),
        Dataset("fund-withdrawals", "公积金提取", "person", _fund_withdrawals),
        Dataset("fund-loans", "公积金贷款", "person", _fund_loans),
        Dataset("unit-account", "单位公积金账户", "enterprise", _unit_account),
    )),
    Department("scjg", "市场监管局", (
        Dataset("enterprise-registration", "企业登记", "enterprise", _registration),
        Dataset("abnormal-operations", "经营异常名录", "enterprise", _abnormal, refresh="nightly"),
        Dataset("represented-enterprises", "担任法定代表人的企业", "person", _represented),
    )),
)  # fmt: skip

TAX_BUSINESS = (Dataset("enterprise-tax-credit", "纳税信用等级", "enterprise", _tax_credit),)
JYJ_BUSINESS = (
    Dataset("school-licences", "民办学校办学许可", "enterprise", _licences("private_school")),
)
WJW_BUSINESS = (
    Dataset("hygiene-permits", "公共场所卫生许可", "enterprise", _licences("public_place_hygiene")),
    Dataset("hygiene-inspections", "卫生监督检查", "enterprise", _inspection),
    Dataset("health-certificates", "从业人员健康证明", "enterprise", _health_certificates),
)
RSJ_BUSINESS = (
    Dataset("unit-staff", "单位参保职工", "enterprise", _unit_staff, refresh="monthly"),
)
UTILITY_DEPARTMENTS = tuple(
    Department(
        code, name, (Dataset("account-by-address", "按地址查询户号", "address", _account(code)),)
    )
    for code, name in UTILITIES.items()
)
