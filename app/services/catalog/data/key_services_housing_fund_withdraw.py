"""Housing provident fund withdrawals (住房公积金提取), 21 services.

Withdrawals backed by shared data (online contract filing, real estate, civil affairs, social
security) are approved in seconds (秒批, mode "auto"); those that need documents checked by staff
are manual, decided within 3 working days as the Regulations on Housing Provident Fund require.
Every withdrawal is paid to the card the fund centre has bound to the account: no form names an
account to pay, and no bank card is uploaded (the heirs of a deceased depositor, whose own card
the centre does not hold, are the one exception, paid by the centre after a clerk's review).
"""

from __future__ import annotations

from app.services.catalog.data._builders import (
    BANK_CARD,
    HOUSEHOLD_REGISTER,
    ID_CARD,
    MARRIAGE_CERTIFICATE,
    PROPERTY_CERTIFICATE,
    choice,
    date,
    id_number,
    integer,
    material,
    number,
    text,
)
from app.services.catalog.data._housing_fund import (
    DEATH_PROOF,
    DEED_TAX_RECEIPT,
    INHERITANCE_PROOF,
    LOAN_CONTRACT,
    PURCHASE_CONTRACT,
    gjj,
    withdraw_form,
)
from app.services.catalog.data.seeds import ServiceSeed

_WITHDRAW_KW = ("公积金提取", "提取公积金", "取公积金")

HOUSING_FUND_WITHDRAW_SERVICES: tuple[ServiceSeed, ...] = (
    gjj(
        "gjj.withdraw.rent",
        "住房公积金提取（租赁住房）",
        "Housing fund withdrawal for renting a home",
        "auto",
        0,
        aliases=("租房提取公积金", "租房提取", "公积金付房租"),
        keywords=(*_WITHDRAW_KW, "租房", "房租", "租赁"),
        materials=(
            ID_CARD,
            material(
                "lease-filing",
                "房屋租赁登记备案证明（租住商品住房按实际租金提取时提供）",
                "House lease registration certificate (to withdraw the actual rent)",
                required=False,
                license_type="house-lease-filing-proof",
            ),
        ),
        form=withdraw_form(
            "住房公积金提取（租赁住房）申请表",
            {
                "rent_basis": choice("提取标准", ["按本市租房提取限额", "按实际租金（已备案）"]),
                "rental_address": text("租赁住房坐落", max_length=200),
                "lease_start": date("租赁起始日期"),
                "lease_end": date("租赁终止日期"),
                "monthly_rent": number("月租金（元）", maximum=100000),
            },
            ["rent_basis", "rental_address", "lease_start", "lease_end"],
        ),
        description="职工及配偶在本市无自有住房且租赁住房的，可按年提取住房公积金支付房租。"
        "系统比对不动产登记、租赁备案数据后即时办结。",
    ),
    gjj(
        "gjj.withdraw.purchase",
        "住房公积金提取（购买自住住房）",
        "Housing fund withdrawal for buying a new home",
        "auto",
        0,
        aliases=("买房提取公积金", "购房提取", "新房提取"),
        keywords=(*_WITHDRAW_KW, "购房", "买房", "商品房", "首付"),
        materials=(
            ID_CARD,
            PURCHASE_CONTRACT,
            material("purchase-invoice", "购房发票", "Invoice for the purchase"),
            MARRIAGE_CERTIFICATE,
        ),
        form=withdraw_form(
            "住房公积金提取（购买自住住房）申请表",
            {
                "contract_number": text("商品房买卖合同备案号", max_length=40),
                "house_address": text("房屋坐落", max_length=200),
                "total_price": number("房屋总价（元）"),
                "spouse_withdraws": choice("配偶是否同时提取", ["是", "否"]),
            },
            ["contract_number", "house_address", "total_price"],
        ),
        description="购买本市新建商品住房的职工及配偶，自合同备案之日起可提取住房公积金，"
        "提取总额不超过购房总价款。",
    ),
    gjj(
        "gjj.withdraw.purchase-second-hand",
        "住房公积金提取（购买二手住房）",
        "Housing fund withdrawal for buying a second-hand home",
        "auto",
        0,
        aliases=("二手房提取公积金", "存量房提取"),
        keywords=(*_WITHDRAW_KW, "二手房", "购房", "存量房"),
        materials=(
            ID_CARD,
            PROPERTY_CERTIFICATE,
            DEED_TAX_RECEIPT,
            MARRIAGE_CERTIFICATE,
        ),
        form=withdraw_form(
            "住房公积金提取（购买二手住房）申请表",
            {
                "property_certificate_number": text("不动产权证号", max_length=60),
                "house_address": text("房屋坐落", max_length=200),
                "total_price": number("成交价格（元）"),
            },
            ["property_certificate_number", "house_address", "total_price"],
        ),
        description="购买本市二手住房并已办理转移登记的，凭不动产权证书和契税完税凭证提取。",
    ),
    gjj(
        "gjj.withdraw.offsite-purchase",
        "住房公积金提取（在外地购买自住住房）",
        "Housing fund withdrawal for buying a home outside Qingdao",
        "manual",
        3,
        aliases=("外地购房提取公积金", "异地购房提取"),
        keywords=(*_WITHDRAW_KW, "异地购房", "外地买房", "户籍地购房"),
        materials=(
            ID_CARD,
            HOUSEHOLD_REGISTER,
            material("purchase-proof", "购房合同及购房发票（或不动产权证书）", "Sales contract"),
            MARRIAGE_CERTIFICATE,
        ),
        form=withdraw_form(
            "住房公积金提取（在外地购买自住住房）申请表",
            {
                "house_city": text("购房所在城市", max_length=50),
                "house_address": text("房屋坐落", max_length=200),
                "total_price": number("房屋总价（元）"),
            },
            ["house_city", "house_address", "total_price"],
        ),
        description="在户籍所在地或工作地以外购买自住住房的，经审核后提取。",
    ),
    gjj(
        "gjj.withdraw.build",
        "住房公积金提取（建造、翻建、大修自住住房）",
        "Housing fund withdrawal for building or rebuilding a home",
        "manual",
        3,
        aliases=("建房提取公积金", "翻建提取", "大修提取"),
        keywords=(*_WITHDRAW_KW, "建房", "翻建", "大修", "自建房"),
        materials=(
            ID_CARD,
            material(
                "planning-permit",
                "乡村建设规划许可证或建设工程规划许可证",
                "Rural construction or project planning permit",
                license_type="rural-construction-planning-permit",
            ),
            material("budget", "工程预算书及施工合同", "Budget and construction contract"),
        ),
        form=withdraw_form(
            "住房公积金提取（建造、翻建、大修自住住房）申请表",
            {
                "work_type": choice("工程类型", ["建造", "翻建", "大修"]),
                "house_address": text("房屋坐落", max_length=200),
                "budget_amount": number("工程预算（元）"),
            },
            ["work_type", "house_address", "budget_amount"],
        ),
    ),
    gjj(
        "gjj.withdraw.retirement",
        "住房公积金提取（离休、退休）",
        "Housing fund withdrawal on retirement",
        "auto",
        0,
        aliases=("退休提取公积金", "退休销户提取", "退休取公积金"),
        keywords=(*_WITHDRAW_KW, "退休", "离休", "销户"),
        materials=(
            ID_CARD,
            material(
                "retirement-certificate",
                "退休证（系统可核验养老保险待遇的免提交）",
                "Retirement certificate (not needed when pension data is shared)",
                required=False,
                license_type="retirement-certificate",
            ),
        ),
        form=withdraw_form(
            "住房公积金提取（离休、退休）申请表",
            {"retired_on": date("离退休日期")},
            ["retired_on"],
        ),
        description="职工离休、退休的，可一次性提取住房公积金账户余额并销户。"
        "系统比对社保养老待遇数据后秒批。",
    ),
    gjj(
        "gjj.withdraw.loan-repayment",
        "住房公积金提取（偿还住房公积金贷款）",
        "Housing fund withdrawal to repay a housing fund loan",
        "auto",
        0,
        aliases=("还贷提取", "公积金还公积金贷款", "冲还贷"),
        keywords=(*_WITHDRAW_KW, "还贷", "公积金贷款", "提前还款"),
        materials=(ID_CARD,),
        form=withdraw_form(
            "住房公积金提取（偿还住房公积金贷款）申请表",
            {
                "loan_contract_number": text("公积金借款合同编号", max_length=40),
                "repay_use": choice("提取用途", ["冲还贷款本金", "划入还款账户"]),
            },
            ["loan_contract_number", "repay_use"],
        ),
    ),
    gjj(
        "gjj.withdraw.commercial-loan",
        "住房公积金提取（偿还商业性住房贷款）",
        "Housing fund withdrawal to repay a commercial mortgage",
        "auto",
        0,
        aliases=("商贷提取公积金", "还商贷提取", "公积金还房贷"),
        keywords=(*_WITHDRAW_KW, "商贷", "房贷", "按揭", "还贷"),
        materials=(
            ID_CARD,
            LOAN_CONTRACT,
            material("repayment-statement", "银行出具的还款明细", "Bank repayment statement"),
        ),
        form=withdraw_form(
            "住房公积金提取（偿还商业性住房贷款）申请表",
            {
                "lending_bank": text("贷款银行", max_length=60),
                "loan_contract_number": text("借款合同编号", max_length=40),
                "loan_amount": number("贷款金额（元）"),
                "house_address": text("房屋坐落", max_length=200),
            },
            ["lending_bank", "loan_contract_number", "loan_amount", "house_address"],
        ),
    ),
    gjj(
        "gjj.withdraw.offsite-loan",
        "住房公积金提取（偿还异地住房公积金贷款）",
        "Housing fund withdrawal to repay a housing fund loan taken elsewhere",
        "manual",
        3,
        aliases=("异地贷款提取", "偿还外地公积金贷款"),
        keywords=(*_WITHDRAW_KW, "异地贷款", "还贷"),
        materials=(
            ID_CARD,
            LOAN_CONTRACT,
            material(
                "offsite-repayment-proof",
                "贷款地公积金中心出具的还款明细",
                "Repayment statement from the lending fund centre",
            ),
        ),
        form=withdraw_form(
            "住房公积金提取（偿还异地住房公积金贷款）申请表",
            {
                "lending_center": text("贷款地公积金管理中心", max_length=60),
                "loan_contract_number": text("借款合同编号", max_length=40),
            },
            ["lending_center", "loan_contract_number"],
        ),
    ),
    gjj(
        "gjj.withdraw.leave-city",
        "住房公积金提取（离开本市）",
        "Housing fund withdrawal on leaving Qingdao",
        "manual",
        3,
        aliases=("离职提取公积金", "离青提取", "外地户口离职提取"),
        keywords=(*_WITHDRAW_KW, "离职", "离开青岛", "销户", "非本市户籍"),
        materials=(
            ID_CARD,
            material(
                "termination-proof",
                "解除或终止劳动关系证明",
                "Proof of termination of the labour contract",
            ),
        ),
        form=withdraw_form(
            "住房公积金提取（离开本市）申请表",
            {
                "hukou_place": text("户籍所在地", max_length=100),
                "left_on": date("与单位终止劳动关系日期"),
                "new_city": text("离开后工作或居住城市", max_length=50),
            },
            ["hukou_place", "left_on"],
        ),
        description="非本市户籍职工与单位终止劳动关系、离开本市且未在异地继续缴存的，"
        "可申请销户提取；已在异地就业缴存的，应办理异地转移接续。",
    ),
    gjj(
        "gjj.withdraw.serious-illness",
        "住房公积金提取（本人及家庭成员患重大疾病）",
        "Housing fund withdrawal for serious illness in the family",
        "manual",
        3,
        aliases=("大病提取公积金", "重大疾病提取", "医疗提取"),
        keywords=(*_WITHDRAW_KW, "大病", "重病", "医疗费"),
        materials=(
            ID_CARD,
            material(
                "diagnosis",
                "二级及以上医院出具的诊断证明",
                "Diagnosis from a grade II hospital or above",
            ),
            material("medical-invoices", "医疗费用票据及结算单", "Medical invoices and settlement"),
            material(
                "relationship-proof",
                "家庭成员关系证明（为家庭成员提取时提供）",
                "Proof of family relationship",
                required=False,
                license_type="household-register",
            ),
        ),
        form=withdraw_form(
            "住房公积金提取（重大疾病）申请表",
            {
                "patient_name": text("患者姓名", max_length=50),
                "patient_id_number": id_number("患者身份证号"),
                "relationship": choice("与申请人关系", ["本人", "配偶", "父母", "子女"]),
                "self_paid_amount": number("个人负担医疗费用（元）"),
            },
            ["patient_name", "patient_id_number", "relationship", "self_paid_amount"],
        ),
    ),
    gjj(
        "gjj.withdraw.renovation",
        "住房公积金提取（自住住房装修）",
        "Housing fund withdrawal for renovating one's home",
        "manual",
        3,
        aliases=("装修提取公积金", "装修取公积金"),
        keywords=(*_WITHDRAW_KW, "装修", "翻新"),
        materials=(
            ID_CARD,
            PROPERTY_CERTIFICATE,
            material(
                "renovation-contract", "装修合同及装修发票", "Renovation contract and invoices"
            ),
        ),
        form=withdraw_form(
            "住房公积金提取（自住住房装修）申请表",
            {
                "house_address": text("房屋坐落", max_length=200),
                "renovation_cost": number("装修费用（元）"),
            },
            ["house_address", "renovation_cost"],
        ),
    ),
    gjj(
        "gjj.withdraw.elevator",
        "住房公积金提取（既有住宅加装电梯）",
        "Housing fund withdrawal for retrofitting a lift",
        "manual",
        3,
        aliases=("加装电梯提取公积金", "老楼加电梯提取"),
        keywords=(*_WITHDRAW_KW, "加装电梯", "电梯", "老旧小区"),
        materials=(
            ID_CARD,
            PROPERTY_CERTIFICATE,
            material(
                "elevator-agreement",
                "加装电梯费用分摊协议及出资凭证",
                "Cost-sharing agreement and payment receipt",
            ),
        ),
        form=withdraw_form(
            "住房公积金提取（既有住宅加装电梯）申请表",
            {
                "house_address": text("房屋坐落", max_length=200),
                "share_amount": number("个人分摊费用（元）"),
            },
            ["house_address", "share_amount"],
        ),
    ),
    gjj(
        "gjj.withdraw.subsistence",
        "住房公积金提取（享受城镇最低生活保障）",
        "Housing fund withdrawal for minimum-living-allowance recipients",
        "auto",
        0,
        aliases=("低保提取公积金", "低保户提取"),
        keywords=(*_WITHDRAW_KW, "低保", "最低生活保障"),
        materials=(
            ID_CARD,
            material(
                "subsistence-certificate",
                "最低生活保障证",
                "Minimum living allowance certificate",
                license_type="subsistence-allowance-certificate",
            ),
        ),
        form=withdraw_form("住房公积金提取（最低生活保障）申请表"),
        description="系统核验民政低保数据后即时办结。",
    ),
    gjj(
        "gjj.withdraw.death",
        "住房公积金提取（职工死亡或被宣告死亡）",
        "Housing fund withdrawal by heirs on the depositor's death",
        "manual",
        3,
        aliases=("继承提取公积金", "去世提取公积金"),
        keywords=(*_WITHDRAW_KW, "继承", "死亡", "遗产"),
        # The heirs' card: the centre pays them, not the deceased's bound card.
        materials=(DEATH_PROOF, INHERITANCE_PROOF, ID_CARD, BANK_CARD),
        form=withdraw_form(
            "住房公积金提取（职工死亡）申请表",
            {
                "deceased_name": text("死亡职工姓名", max_length=50),
                "deceased_id_number": id_number("死亡职工身份证号"),
                "relationship": choice("与死亡职工关系", ["配偶", "子女", "父母", "其他继承人"]),
            },
            ["deceased_name", "deceased_id_number", "relationship"],
        ),
        description="由继承人或受遗赠人申请提取死亡职工的住房公积金账户余额。",
    ),
    gjj(
        "gjj.withdraw.settle-abroad",
        "住房公积金提取（出境定居）",
        "Housing fund withdrawal on settling abroad",
        "manual",
        3,
        aliases=("出国定居提取公积金", "移民提取公积金"),
        keywords=(*_WITHDRAW_KW, "出境定居", "移民", "注销户口"),
        materials=(
            ID_CARD,
            material(
                "hukou-cancellation",
                "户口注销证明",
                "Certificate of household registration cancellation",
                license_type="household-proof",
            ),
        ),
        form=withdraw_form(
            "住房公积金提取（出境定居）申请表",
            {"destination": text("定居国家或地区", max_length=50)},
            ["destination"],
        ),
    ),
    gjj(
        "gjj.withdraw.disability",
        "住房公积金提取（完全丧失劳动能力并与单位终止劳动关系）",
        "Housing fund withdrawal on total incapacity for work",
        "manual",
        3,
        aliases=("丧失劳动能力提取公积金",),
        keywords=(*_WITHDRAW_KW, "丧失劳动能力", "工伤", "残疾"),
        materials=(
            ID_CARD,
            material(
                "incapacity-proof",
                "劳动能力鉴定结论书",
                "Labour capacity appraisal conclusion",
            ),
            material("termination-proof", "解除或终止劳动关系证明", "Proof of termination"),
        ),
        form=withdraw_form("住房公积金提取（完全丧失劳动能力）申请表"),
    ),
    gjj(
        "gjj.withdraw.flexible",
        "灵活就业人员住房公积金销户提取",
        "Account closure withdrawal for flexibly employed depositors",
        "auto",
        0,
        aliases=("灵活就业公积金销户", "个体缴存销户提取"),
        keywords=(*_WITHDRAW_KW, "灵活就业", "自由职业", "销户"),
        materials=(ID_CARD,),
        form=withdraw_form(
            "灵活就业人员住房公积金销户提取申请表",
            {"deposit_months": integer("已缴存月数")},
            ["deposit_months"],
        ),
    ),
    gjj(
        "gjj.withdraw.public-rental",
        "住房公积金提取（支付公共租赁住房租金）",
        "Housing fund withdrawal to pay public rental housing rent",
        "auto",
        0,
        aliases=("公租房提取公积金", "公租房租金提取"),
        keywords=(*_WITHDRAW_KW, "公租房", "保障房", "租金"),
        materials=(
            ID_CARD,
            material(
                "public-rental-contract",
                "公共租赁住房租赁合同",
                "Public rental housing lease",
            ),
        ),
        form=withdraw_form(
            "住房公积金提取（公共租赁住房）申请表",
            {
                "contract_number": text("公租房合同编号", max_length=40),
                "annual_rent": number("年租金（元）"),
            },
            ["contract_number", "annual_rent"],
        ),
        description="与住房保障部门租赁合同数据比对后即时提取，可直接划转至租金账户。",
    ),
    gjj(
        "gjj.withdraw.monthly-repayment",
        "住房公积金按月委托提取还贷签约",
        "Sign up for monthly housing fund withdrawal to repay a loan",
        "auto",
        0,
        aliases=("按月还贷签约", "公积金自动还房贷", "委托扣划签约"),
        keywords=(*_WITHDRAW_KW, "按月提取", "委托提取", "自动还款", "还贷"),
        materials=(ID_CARD, LOAN_CONTRACT),
        form=withdraw_form(
            "住房公积金按月委托提取还贷签约申请表",
            {
                "loan_type": choice("贷款类型", ["住房公积金贷款", "商业性住房贷款"]),
                "loan_contract_number": text("借款合同编号", max_length=40),
                "withdraw_scope": choice("扣划范围", ["本人账户", "本人及配偶账户"]),
            },
            ["loan_type", "loan_contract_number", "withdraw_scope"],
        ),
    ),
    gjj(
        "gjj.withdraw.monthly-repayment-cancel",
        "住房公积金按月委托提取还贷解约",
        "Cancel monthly housing fund withdrawal for loan repayment",
        "auto",
        0,
        aliases=("按月还贷解约", "取消公积金自动还贷"),
        keywords=(*_WITHDRAW_KW, "按月提取", "解约", "还贷"),
        materials=(ID_CARD,),
        form=withdraw_form(
            "住房公积金按月委托提取还贷解约申请表",
            {"cancel_reason": text("解约原因", max_length=200)},
            ["cancel_reason"],
        ),
    ),
)
