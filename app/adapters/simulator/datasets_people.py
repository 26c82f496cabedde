"""Person datasets of public security, civil affairs, HR, tax, medical insurance and others."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from app.adapters.simulator.dataset_types import (
    Context,
    Dataset,
    Department,
    Record,
    Refresh,
    iso,
)
from app.adapters.simulator.draw import Draw
from app.adapters.simulator.records import DEGREE_RANK, Person
from app.kit.regions import QINGDAO_DISTRICTS

Fields = Mapping[str, Any]
_TALENT_LEVEL = {"master": "硕士研究生", "doctorate": "博士研究生"}


def _identity(ctx: Context, p: Person, fields: Fields) -> Record:
    # Answers match or not; never echoes the name on record.
    return {"match": p.name == str(fields.get("name", "")).strip()}


def _household(ctx: Context, p: Person, fields: Fields) -> Record:
    h = p.household
    return {
        "registered_in_qingdao": h.registered_in_qingdao,
        "region_code": h.region_code,
        "registered_place": h.place,
        "residence_address": p.address,
        "status": "注销" if h.cancelled_on else "正常",
        "cancelled_on": iso(h.cancelled_on),
        "cancellation_reason": "死亡" if h.cancelled_on and p.death else None,
    }


def _face(ctx: Context, p: Person, fields: Fields) -> Record:
    token = str(fields.get("selfie_token", ""))
    # Deterministic: the dead cannot pass liveness; a token marked "spoof" fails it too.
    liveness = p.alive and not token.startswith("spoof")
    digest = hashlib.sha256(f"{p.id_number}:{token}".encode()).digest()
    similarity = round(0.90 + digest[0] / 255 * 0.09, 3) if liveness else 0.0
    if token.startswith("mismatch"):
        similarity = 0.31
    return {"liveness": liveness, "similarity": similarity, "match": similarity >= 0.85}


def _criminal(ctx: Context, p: Person, fields: Fields) -> Record:
    return {"has_record": p.criminal_record}


def _marriage(ctx: Context, p: Person, fields: Fields) -> Record:
    return {"marital_status": p.marital_status, "has_spouse_on_record": p.spouse_index is not None}


def _cremation(ctx: Context, p: Person, fields: Fields) -> Record | None:
    if p.death is None:
        return None
    d = p.death
    return {
        "date_of_death": iso(d.date_of_death),
        "cremated_on": iso(d.cremated_on),
        "funeral_home": d.funeral_home,
    }


def _subsistence(ctx: Context, p: Person, fields: Fields) -> Record:
    poor = p.employer_index is None and not p.pension.receiving and p.alive
    receiving = p.subsistence_allowance
    if receiving is None:
        receiving = poor and Draw(ctx.population.seed, "subsistence", p.index).chance(0.08)
    return {"receiving": receiving, "monthly_amount": 1046 if receiving else 0}


def _employer(ctx: Context, index: int | None) -> dict[str, Any]:
    if index is None:
        return {"employer_uscc": None, "employer_name": None}
    e = ctx.population.enterprise(index)
    return {"employer_uscc": e.uscc, "employer_name": e.name}


def _insurance(ctx: Context, p: Person, fields: Fields) -> Record:
    s = p.social_insurance
    return {
        "enrolled": s.enrolled,
        **_employer(ctx, s.employer_index),
        "contribution_months": s.contribution_months,
        "consecutive_months": s.consecutive_months,
        "monthly_base": s.monthly_base,
    }


def _pension(ctx: Context, p: Person, fields: Fields) -> Record:
    s = p.pension
    return {
        "receiving": s.receiving,
        "start_date": iso(s.start_date),
        "monthly_amount": s.monthly_amount,
    }


def _employment(ctx: Context, p: Person, fields: Fields) -> Record:
    employed = p.employer_index is not None
    kind = "employee" if employed else "flexible" if p.flexibly_employed else "none"
    return {"employed": employed, "employment_type": kind, **_employer(ctx, p.employer_index)}


def _talent(ctx: Context, p: Person, fields: Fields) -> Record:
    level = _TALENT_LEVEL.get(p.education.degree)
    return {"certified": level is not None, "level": level}


def _income_tax(ctx: Context, p: Person, fields: Fields) -> Record:
    monthly = p.social_insurance.monthly_base if p.employer_index is not None else 0
    annual = monthly * 12
    taxable = max(0, annual - 60_000)
    return {
        "tax_year": ctx.population.as_of.year - 1,
        "annual_income": annual,
        "tax_paid": round(taxable * 0.03) if taxable <= 36_000 else round(taxable * 0.1 - 2520),
    }


def _medical(ctx: Context, p: Person, fields: Fields) -> Record:
    return {"enrolled": p.medical_insurance.enrolled}


def _claims(ctx: Context, p: Person, fields: Fields) -> Record:
    return {"last_claim_date": iso(p.medical_insurance.last_claim)}


def _degrees(ctx: Context, p: Person, fields: Fields) -> Record | None:
    e = p.education
    if e.degree == "none":
        return None
    return {
        "highest_degree": e.degree,
        "degree_rank": DEGREE_RANK[e.degree],
        "school": e.school,
        "major": e.major,
        "graduation_year": e.graduation_year,
        "diploma_number": e.diploma_number,
    }


def _birth(ctx: Context, p: Person, fields: Fields) -> Record:
    district = p.id_number[:6]
    return {
        "birth_date": iso(p.birth_date),
        "sex": p.sex,
        "birth_place": "山东省青岛市" + QINGDAO_DISTRICTS.get(district, ""),
        "certificate_number": f"{chr(65 + p.index % 26)}{370000000 + p.index:09d}",
    }


def _visits(ctx: Context, p: Person, fields: Fields) -> Record:
    return {"last_visit_date": iso(p.medical_insurance.last_claim)}


def _death_certificate(ctx: Context, p: Person, fields: Fields) -> Record | None:
    if p.death is None:
        return None
    return {
        "date_of_death": iso(p.death.date_of_death),
        "certificate_number": f"SW{p.death.date_of_death.year}{p.index:09d}",
    }


def _defaulter(ctx: Context, p: Person, fields: Fields) -> Record:
    return {"listed": p.court_defaulter}


def _prison(ctx: Context, p: Person, fields: Fields) -> Record:
    return {"has_record": p.criminal_record, "in_custody": False}


def _bus(ctx: Context, p: Person, fields: Fields) -> Record:
    return {"last_use_date": iso(p.bus_card_last_use)}


def _person(code: str, name: str, view: Any, *required: str, refresh: Refresh = "event") -> Dataset:
    return Dataset(code, name, "person", view, required, refresh)


PEOPLE_DEPARTMENTS: tuple[Department, ...] = (
    Department("mzj", "民政局", (
        _person("marriage-status", "婚姻登记", _marriage),
        _person("cremation-records", "火化记录", _cremation),
        _person("subsistence-allowance", "最低生活保障", _subsistence),
    )),
    Department("ybj", "医保局", (
        _person("medical-enrolment", "医保参保", _medical),
        _person("medical-claims", "医保结算", _claims, refresh="nightly"),
    )),
    Department("jtj", "交通运输局", (
        _person("bus-card-usage", "公交卡使用", _bus, refresh="nightly"),
    )),
    Department("court", "法院", (
        _person("judgment-defaulters", "失信被执行人", _defaulter, refresh="nightly"),
    )),
    Department("sfj", "司法局", (_person("prison-records", "服刑记录", _prison),)),
)  # fmt: skip

GAJ = Department("gaj", "公安局", (
    _person("identity-verification", "身份核验", _identity, "name", refresh="live"),
    _person("household-registration", "户籍登记", _household),
    _person("face-verification", "人脸核验", _face, "selfie_token", refresh="live"),
    _person("no-criminal-record", "无犯罪记录", _criminal),
))  # fmt: skip

RSJ_PEOPLE = (
    _person("social-insurance-contributions", "社会保险缴费", _insurance, refresh="monthly"),
    _person("pension-entitlement", "养老金待遇", _pension, refresh="monthly"),
    _person("employment-registration", "就业登记", _employment),
    _person("talent-certification", "人才认定", _talent),
)
TAX_PEOPLE = (_person("individual-income-tax", "个人所得税", _income_tax),)
JYJ_PEOPLE = (_person("degrees", "学历学位", _degrees),)
WJW_PEOPLE = (
    _person("birth-certificates", "出生医学证明", _birth),
    _person("hospital-visits", "就诊记录", _visits, refresh="nightly"),
    _person("death-certificates", "死亡医学证明", _death_certificate),
)
