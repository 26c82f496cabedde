"""Key services for citizens: talent household registration and pension eligibility checks."""

from __future__ import annotations

from app.services.catalog.data._builders import (
    HOUSEHOLD_REGISTER,
    ID_CARD,
    PERSON_REQUIRED,
    boolean,
    choice,
    date,
    material,
    person_fields,
    schema,
    text,
)
from app.services.catalog.data.seeds import ServiceSeed

CITIZEN_KEY_SERVICES: tuple[ServiceSeed, ...] = (
    ServiceSeed(
        code="rsj.talent-settlement",
        name="人才落户",
        name_en="Household registration for talent",
        department="gaj",
        mode="auto",
        time_limit_days=0,
        realname_level=3,
        category="行政确认",
        audience="person",
        aliases=("大学生落户", "毕业生落户青岛", "人才引进落户", "落户青岛", "迁户口"),
        keywords=("落户", "户口", "户籍", "人才", "毕业生", "学历落户", "准予迁入"),
        materials=(
            ID_CARD,
            material(
                "diploma",
                "毕业证书（中专及以上学历）",
                "Graduation diploma (technical secondary school or above)",
                license_type="diploma",
            ),
            material(
                "degree",
                "学位证书（有学位的提供）",
                "Degree certificate (if any)",
                required=False,
                license_type="degree-certificate",
            ),
            material(
                "talent-certificate",
                "人才认定证明（技能人才、高层次人才落户时提供）",
                "Talent recognition certificate (for skilled or high-level talent)",
                required=False,
                license_type="talent-certificate",
            ),
            HOUSEHOLD_REGISTER,
            material(
                "marriage-certificate",
                "结婚证（配偶、子女随迁时提供）",
                "Marriage certificate (when the spouse or children move too)",
                required=False,
                license_type="marriage-certificate",
            ),
        ),
        form_schema=schema(
            "人才落户申请表",
            {
                **person_fields(),
                "talent_type": choice(
                    "落户类型",
                    [
                        "全日制普通高校毕业生",
                        "中专（技工院校）及以上学历人员",
                        "技能人才",
                        "高层次人才",
                    ],
                ),
                "education": choice(
                    "学历", ["博士研究生", "硕士研究生", "大学本科", "大学专科", "中专（技校）"]
                ),
                "school": text("毕业院校", max_length=100),
                "graduated_on": date("毕业时间"),
                "settle_place": choice(
                    "拟落户地址类型", ["本人或直系亲属合法固定住所", "工作单位集体户", "人才集体户"]
                ),
                "settle_address": text("拟落户详细地址", max_length=200),
                "current_hukou": text("现户籍所在地", max_length=200),
                "with_family": boolean("配偶、未成年子女随迁"),
            },
            [
                *PERSON_REQUIRED,
                "talent_type",
                "education",
                "school",
                "settle_place",
                "settle_address",
                "current_hukou",
            ],
        ),
        produces_license="household-register",
        description="学历、人才认定信息经教育部学籍学历库和人社部门数据自动核验，"
        "全程网办，准予迁入即时办结，户口簿信息同步更新。",
    ),
    ServiceSeed(
        code="rsj.pension.qualification",
        name="社会保险待遇资格认证",
        name_en="Eligibility verification for social insurance benefits",
        department="rsj",
        mode="auto",
        time_limit_days=0,
        realname_level=3,
        category="公共服务",
        audience="person",
        aliases=("养老金认证", "退休人员资格认证", "生存认证", "领取养老金认证", "刷脸认证"),
        keywords=("养老金", "资格认证", "待遇认证", "退休", "社保", "人脸识别"),
        materials=(
            material(
                "social-security-card",
                "社会保障卡",
                "Social security card",
                required=False,
                license_type="social-security-card",
            ),
        ),
        form_schema=schema(
            "社会保险待遇资格认证",
            {
                **person_fields(),
                "benefit_type": choice(
                    "待遇类型",
                    [
                        "企业职工基本养老保险",
                        "机关事业单位养老保险",
                        "城乡居民养老保险",
                        "工伤保险长期待遇",
                        "失业保险金",
                    ],
                ),
                "residence": choice("居住地", ["本市", "外省市", "境外"]),
                "proxy": boolean("由亲属代为认证"),
            },
            [*PERSON_REQUIRED, "benefit_type", "residence"],
        ),
        description="领取社会保险待遇人员每年认证一次，刷脸比对公安人口库后即时完成；"
        "系统通过就医、乘车等大数据已静默认证的无需操作。",
    ),
)
