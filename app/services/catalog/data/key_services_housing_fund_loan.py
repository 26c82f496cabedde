"""Housing provident fund loans (住房公积金贷款), 9 services.

Applications for a loan are reviewed by staff within 15 days, as the Regulations on Housing
Provident Fund require; repayment changes and certificates are approved in seconds.
"""

from __future__ import annotations

from app.services.catalog.data._builders import (
    ID_CARD,
    MARRIAGE_CERTIFICATE,
    PERSON_REQUIRED,
    PROPERTY_CERTIFICATE,
    Schema,
    bank_account,
    choice,
    integer,
    material,
    number,
    person_fields,
    schema,
    text,
)
from app.services.catalog.data._housing_fund import (
    HPF_DEPOSIT_PROOF,
    LOAN_CONTRACT,
    PURCHASE_CONTRACT,
    gjj,
    hpf_account,
)
from app.services.catalog.data.seeds import ServiceSeed

_LOAN_KW = ("公积金贷款", "住房贷款", "房贷")
_INCOME_PROOF = material(
    "income-proof",
    "收入证明或银行流水（近6个月）",
    "Proof of income or bank statements for the last 6 months",
)
_DOWN_PAYMENT = material("down-payment", "首付款发票或收据", "Receipt for the down payment")


def _loan_form(title: str, extra: dict[str, Schema] | None = None) -> Schema:
    properties: dict[str, Schema] = {
        **person_fields(),
        "hpf_account": hpf_account(),
        "house_address": text("所购房屋坐落", max_length=200),
        "house_type": choice("房屋类型", ["新建商品住房", "二手住房", "自建住房"]),
        "total_price": number("房屋总价（元）"),
        "loan_amount": number("申请贷款金额（元）", maximum=1_500_000),
        "loan_years": integer("贷款期限（年）", minimum=1, maximum=30),
        "repayment_method": choice("还款方式", ["等额本息", "等额本金"]),
        "repayment_account": bank_account("还款银行账号"),
        **(extra or {}),
    }
    required = [
        *PERSON_REQUIRED,
        "house_address",
        "house_type",
        "total_price",
        "loan_amount",
        "loan_years",
        "repayment_method",
        "repayment_account",
    ]
    return schema(title, properties, required)


def _repay_form(title: str, extra: dict[str, Schema], req: list[str]) -> Schema:
    properties = {
        **person_fields(),
        "loan_contract_number": text("公积金借款合同编号", max_length=40),
        **extra,
    }
    return schema(title, properties, [*PERSON_REQUIRED, "loan_contract_number", *req])


HOUSING_FUND_LOAN_SERVICES: tuple[ServiceSeed, ...] = (
    gjj(
        "gjj.loan.apply",
        "个人住房公积金贷款申请",
        "Applying for a housing provident fund loan",
        "manual",
        15,
        aliases=("公积金贷款", "申请公积金贷款", "公积金买房贷款"),
        keywords=(*_LOAN_KW, "贷款申请", "购房贷款", "首套房"),
        materials=(
            ID_CARD,
            MARRIAGE_CERTIFICATE,
            PURCHASE_CONTRACT,
            _DOWN_PAYMENT,
            _INCOME_PROOF,
        ),
        form=_loan_form("个人住房公积金贷款申请表"),
        description="连续足额缴存住房公积金6个月以上的职工，购买、建造、翻建、大修自住住房时"
        "可申请住房公积金贷款。",
    ),
    gjj(
        "gjj.loan.combined",
        "住房公积金组合贷款申请",
        "Applying for a combined housing fund and commercial loan",
        "manual",
        15,
        aliases=("组合贷", "公积金组合贷款", "商业贷款加公积金贷款"),
        keywords=(*_LOAN_KW, "组合贷", "商贷"),
        materials=(
            ID_CARD,
            MARRIAGE_CERTIFICATE,
            PURCHASE_CONTRACT,
            _DOWN_PAYMENT,
            _INCOME_PROOF,
        ),
        form=_loan_form(
            "住房公积金组合贷款申请表",
            {
                "commercial_bank": text("商业贷款银行", max_length=60),
                "commercial_amount": number("商业贷款金额（元）"),
            },
        ),
    ),
    gjj(
        "gjj.loan.offsite",
        "异地缴存职工住房公积金贷款",
        "Housing fund loan for depositors paying into another city's fund",
        "manual",
        15,
        aliases=("异地公积金贷款", "外地公积金在青岛贷款", "异地贷款"),
        keywords=(*_LOAN_KW, "异地贷款", "外地缴存", "跨城市"),
        materials=(
            ID_CARD,
            MARRIAGE_CERTIFICATE,
            PURCHASE_CONTRACT,
            material(
                "offsite-deposit-proof",
                "缴存地出具的异地贷款职工住房公积金缴存使用证明",
                "Deposit and use certificate from the depositing city",
                license_type="hpf-offsite-loan-proof",
            ),
            _INCOME_PROOF,
        ),
        form=_loan_form(
            "异地缴存职工住房公积金贷款申请表",
            {"deposit_center": text("缴存地公积金管理中心", max_length=60)},
        ),
    ),
    gjj(
        "gjj.loan.commercial-to-gjj",
        "商业性住房贷款转住房公积金贷款",
        "Converting a commercial mortgage into a housing fund loan",
        "manual",
        15,
        aliases=("商转公", "商贷转公积金贷款", "商业贷款转公积金"),
        keywords=(*_LOAN_KW, "商转公", "商贷", "转贷"),
        materials=(
            ID_CARD,
            PROPERTY_CERTIFICATE,
            LOAN_CONTRACT,
            material(
                "commercial-balance-proof",
                "商业贷款银行出具的贷款余额证明",
                "Outstanding balance statement from the commercial lender",
            ),
            MARRIAGE_CERTIFICATE,
        ),
        form=_loan_form(
            "商业性住房贷款转住房公积金贷款申请表",
            {
                "commercial_bank": text("原商业贷款银行", max_length=60),
                "commercial_balance": number("商业贷款余额（元）"),
            },
        ),
    ),
    gjj(
        "gjj.loan.prepay",
        "住房公积金贷款提前部分还款",
        "Partial prepayment of a housing fund loan",
        "auto",
        0,
        aliases=("公积金提前还款", "提前还一部分公积金贷款"),
        keywords=(*_LOAN_KW, "提前还款", "部分还款"),
        materials=(ID_CARD,),
        form=_repay_form(
            "住房公积金贷款提前部分还款申请表",
            {
                "prepay_amount": number("提前还款金额（元）", minimum=1),
                "after_prepay": choice("还款后处理方式", ["缩短贷款期限", "减少月还款额"]),
                "fund_source": choice("资金来源", ["自有资金", "提取住房公积金"]),
            },
            ["prepay_amount", "after_prepay", "fund_source"],
        ),
    ),
    gjj(
        "gjj.loan.settle",
        "住房公积金贷款提前结清",
        "Early settlement of a housing fund loan",
        "auto",
        0,
        aliases=("公积金贷款结清", "提前还清公积金贷款"),
        keywords=(*_LOAN_KW, "结清", "提前还款", "还清"),
        materials=(ID_CARD,),
        form=_repay_form(
            "住房公积金贷款提前结清申请表",
            {"fund_source": choice("资金来源", ["自有资金", "提取住房公积金", "自有资金及提取"])},
            ["fund_source"],
        ),
        description="结清后可同步申请贷款结清证明，并联动办理抵押权注销登记。",
    ),
    gjj(
        "gjj.loan.settlement-certificate",
        "住房公积金贷款结清证明",
        "Housing fund loan settlement certificate",
        "auto",
        0,
        realname_level=2,
        aliases=("公积金贷款结清证明", "还清证明"),
        keywords=(*_LOAN_KW, "结清证明", "解押", "证明"),
        materials=(ID_CARD,),
        form=_repay_form(
            "住房公积金贷款结清证明申请",
            {"purpose": choice("证明用途", ["抵押注销", "再次贷款", "其他"])},
            ["purpose"],
        ),
        produces_license="hpf-loan-settlement-proof",
    ),
    gjj(
        "gjj.loan.repayment-change",
        "住房公积金贷款还款方式及还款账户变更",
        "Changing the repayment method or account of a housing fund loan",
        "auto",
        0,
        aliases=("公积金贷款换还款卡", "变更还款方式", "等额本息改等额本金"),
        keywords=(*_LOAN_KW, "还款方式", "还款卡", "变更"),
        materials=(ID_CARD,),
        form={
            **_repay_form(
                "住房公积金贷款还款变更申请表",
                {
                    "change_type": choice("变更事项", ["还款方式", "还款账户", "还款日"]),
                    "repayment_method": choice("变更后还款方式", ["等额本息", "等额本金"]),
                    "repayment_account": bank_account("变更后还款银行账号"),
                },
                ["change_type"],
            ),
            # What changes must be given: the new method, or the new account (the form, not
            # the rules, holds the applicant's choices together).
            "allOf": [
                {
                    "if": {"properties": {"change_type": {"const": "还款方式"}}},
                    "then": {"required": ["repayment_method"]},
                },
                {
                    "if": {"properties": {"change_type": {"const": "还款账户"}}},
                    "then": {"required": ["repayment_account"]},
                },
            ],
        },
    ),
    gjj(
        "gjj.loan.offsite-certificate",
        "异地贷款职工住房公积金缴存使用证明",
        "Certificate of housing fund deposits for a loan in another city",
        "auto",
        0,
        realname_level=2,
        aliases=("异地贷款证明", "公积金异地贷款缴存使用证明"),
        keywords=(*_LOAN_KW, "异地贷款", "缴存使用证明", "证明"),
        materials=(ID_CARD, HPF_DEPOSIT_PROOF),
        form=schema(
            "异地贷款职工住房公积金缴存使用证明申请",
            {
                **person_fields(),
                "hpf_account": hpf_account(),
                "loan_city": text("贷款城市", max_length=50),
            },
            [*PERSON_REQUIRED, "loan_city"],
        ),
        produces_license="hpf-offsite-loan-proof",
        description="在本市缴存、到外地申请住房公积金贷款的职工，通过全国平台开具并传送至贷款地。",
    ),
)
