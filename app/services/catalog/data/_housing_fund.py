"""Shared pieces of the housing provident fund (住房公积金) key services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.services.catalog.data._builders import (
    PERSON_REQUIRED,
    Schema,
    material,
    person_fields,
    schema,
    text,
)
from app.services.catalog.data.seeds import ApprovalMode, Audience, MaterialSeed, ServiceSeed

HPF_KEYWORDS: tuple[str, ...] = ("公积金", "住房公积金")

HPF_DEPOSIT_PROOF = material(
    "hpf-deposit-proof",
    "住房公积金缴存证明",
    "Housing provident fund deposit certificate",
    required=False,
    license_type="hpf-deposit-proof",
)
LOAN_CONTRACT = material("loan-contract", "借款合同", "Loan contract")
PURCHASE_CONTRACT = material(
    "purchase-contract", "商品房买卖合同（网签备案）", "Filed commodity housing sales contract"
)
DEED_TAX_RECEIPT = material(
    "deed-tax-receipt",
    "契税完税凭证",
    "Deed tax payment certificate",
    license_type="tax-payment-certificate",
)
DEATH_PROOF = material(
    "death-proof",
    "死亡证明或宣告死亡的法律文书",
    "Death certificate or court declaration of death",
    license_type="death-medical-certificate",
)
INHERITANCE_PROOF = material(
    "inheritance-proof",
    "继承权公证书或人民法院生效法律文书",
    "Notarised inheritance certificate or effective court judgment",
    license_type="notarial-certificate",
)


def hpf_account(title: str = "个人住房公积金账号") -> Schema:
    return text(title, max_length=20, pattern=r"^\d{9,20}$")


def withdraw_form(
    title: str,
    extra: Mapping[str, Schema] | None = None,
    extra_required: Sequence[str] = (),
) -> Schema:
    """The form shared by withdrawals: the applicant and the ground's extras. No account: the
    fund centre knows the applicant's account and pays the card bound to it."""
    properties: dict[str, Schema] = {**person_fields(), **(extra or {})}
    return schema(title, properties, [*PERSON_REQUIRED, *extra_required])


def gjj(
    code: str,
    name: str,
    name_en: str,
    mode: ApprovalMode,
    time_limit_days: int,
    *,
    materials: Sequence[MaterialSeed],
    form: Schema,
    aliases: Sequence[str] = (),
    keywords: Sequence[str] = (),
    realname_level: int = 3,
    category: str = "公共服务",
    audience: Audience = "person",
    produces_license: str | None = None,
    description: str = "",
) -> ServiceSeed:
    """A housing-fund service: department "gjj", city-wide, the fund's keywords added."""
    if not code.startswith("gjj."):
        raise ValueError(f"housing-fund service code must start with 'gjj.': {code}")
    if mode != "manual" and time_limit_days != 0:
        raise ValueError(f"{code}: auto and instant services are decided on the spot")
    return ServiceSeed(
        code=code,
        name=name,
        name_en=name_en,
        department="gjj",
        mode=mode,
        time_limit_days=time_limit_days,
        realname_level=realname_level,
        category=category,
        audience=audience,
        aliases=tuple(aliases),
        keywords=tuple(dict.fromkeys((*keywords, *HPF_KEYWORDS))),
        materials=tuple(materials),
        form_schema=form,
        produces_license=produces_license,
        description=description,
    )
