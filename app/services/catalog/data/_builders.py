"""Helpers of the generated catalog (generated.py): JSON Schema fragments and common materials.

Every helper returns a fresh dict, so no two services share (and could mutate) one schema.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.services.catalog.data.seeds import MaterialSeed

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

ID_NUMBER_PATTERN = r"^[1-9]\d{5}(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dXx]$"
MOBILE_PATTERN = r"^1[3-9]\d{9}$"
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"
BANK_ACCOUNT_PATTERN = r"^\d{12,19}$"

Schema = dict[str, Any]


# JSON Schema fragments ------------------------------------------------------------------------


def text(
    title: str,
    *,
    max_length: int | None = 200,
    pattern: str | None = None,
    min_length: int | None = None,
    description: str | None = None,
) -> Schema:
    prop: Schema = {"type": "string", "title": title}
    if min_length is not None:
        prop["minLength"] = min_length
    if max_length is not None:
        prop["maxLength"] = max_length
    if pattern is not None:
        prop["pattern"] = pattern
    if description is not None:
        prop["description"] = description
    return prop


def long_text(title: str, max_length: int = 2000) -> Schema:
    return {"type": "string", "title": title, "maxLength": max_length}


def choice(title: str, options: Sequence[str]) -> Schema:
    return {"type": "string", "title": title, "enum": list(options)}


def date(title: str) -> Schema:
    return {"type": "string", "format": "date", "title": title}


def id_number(title: str = "公民身份号码") -> Schema:
    return text(title, max_length=18, pattern=ID_NUMBER_PATTERN)


def mobile(title: str = "联系电话") -> Schema:
    return text(title, max_length=11, pattern=MOBILE_PATTERN)


def uscc(title: str = "统一社会信用代码") -> Schema:
    return text(title, max_length=18, pattern=USCC_PATTERN)


def bank_account(title: str = "银行账号") -> Schema:
    return text(title, max_length=19, pattern=BANK_ACCOUNT_PATTERN)


def schema(title: str, properties: Mapping[str, Schema], required: Sequence[str]) -> Schema:
    """An object schema; ``required`` must name properties (checked here, and again in tests)."""
    missing = [name for name in required if name not in properties]
    if missing:
        raise ValueError(f"{title}: required fields without a property: {missing}")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "type": "object",
        "title": title,
        "properties": dict(properties),
        "required": list(required),
        "additionalProperties": False,
    }


def person_fields() -> dict[str, Schema]:
    """Applicant fields of a form filed by a natural person (pre-filled from real-name data)."""
    return {
        "applicant_name": text("申请人姓名", max_length=50),
        "id_number": id_number(),
        "phone": mobile(),
    }


def enterprise_fields() -> dict[str, Schema]:
    """Applicant fields of a form filed by an organisation (pre-filled from its licence)."""
    return {
        "unit_name": text("单位名称", max_length=100),
        "uscc": uscc(),
        "contact_name": text("经办人姓名", max_length=50),
        "phone": mobile("经办人联系电话"),
    }


PERSON_REQUIRED: tuple[str, ...] = ("applicant_name", "id_number", "phone")
ENTERPRISE_REQUIRED: tuple[str, ...] = ("unit_name", "uscc", "contact_name", "phone")


# Materials ------------------------------------------------------------------------------------


def material(
    code: str,
    name: str,
    name_en: str,
    *,
    required: bool = True,
    license_type: str | None = None,
) -> MaterialSeed:
    return MaterialSeed(code, name, name_en, required, license_type)


ID_CARD = material(
    "id-card", "居民身份证", "Resident identity card", license_type="resident-id-card"
)
BUSINESS_LICENSE = material(
    "business-license", "营业执照", "Business licence", license_type="business-license"
)
APPLICATION_FORM = material("application-form", "申请表", "Application form")
BANK_CARD = material(
    "bank-card", "本人一类银行结算账户（借记卡）", "Applicant's Class I debit card"
)
