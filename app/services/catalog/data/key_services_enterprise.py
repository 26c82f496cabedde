"""Key services for enterprises: company establishment and licences that land in the wallet."""

from __future__ import annotations

from app.services.catalog.data._builders import (
    AGENT_ID,
    BUSINESS_LICENSE,
    ENTERPRISE_REQUIRED,
    LEGAL_REP_ID,
    POWER_OF_ATTORNEY,
    Schema,
    boolean,
    choice,
    date,
    enterprise_fields,
    id_number,
    integer,
    long_text,
    material,
    mobile,
    multi_choice,
    number,
    schema,
    text,
)
from app.services.catalog.data.seeds import ServiceSeed

_PREMISES_PROOF = material(
    "premises-proof",
    "住所（经营场所）使用证明",
    "Proof of the right to use the registered address",
    required=False,
)


def _shareholders() -> Schema:
    return {
        "type": "array",
        "title": "股东（发起人）",
        "minItems": 1,
        "items": {
            "type": "object",
            "properties": {
                "name": text("股东名称或姓名", max_length=100),
                "id_number": text("证件号码", max_length=18),
                "contribution": number("认缴出资额（万元）"),
                "contribution_due": date("出资期限"),
            },
            "required": ["name", "id_number", "contribution"],
        },
    }


ENTERPRISE_KEY_SERVICES: tuple[ServiceSeed, ...] = (
    ServiceSeed(
        code="scjg.enterprise.establish",
        name="企业设立登记",
        name_en="Enterprise establishment registration",
        department="xzsp",
        mode="auto",
        time_limit_days=0,
        realname_level=3,
        category="行政许可",
        # The founder applies as a person: the enterprise exists once the license is issued.
        audience="person",
        aliases=("开公司", "注册公司", "企业开办", "办营业执照", "公司注册"),
        keywords=("营业执照", "企业开办", "公司设立", "有限责任公司", "工商注册", "一网通办"),
        materials=(
            material("articles", "公司章程", "Articles of association"),
            material(
                "shareholder-qualification",
                "股东（发起人）主体资格证明",
                "Proof of the shareholders' legal status",
                license_type="resident-id-card",
            ),
            material(
                "officer-appointment",
                "法定代表人、董事、监事、经理任职文件",
                "Appointment of the legal representative, directors, supervisors and manager",
            ),
            LEGAL_REP_ID,
            _PREMISES_PROOF,
            AGENT_ID,
            POWER_OF_ATTORNEY,
        ),
        form_schema=schema(
            "企业设立登记申请书",
            {
                "company_name": text("企业名称", max_length=100),
                # The forms with standardised articles (标准化章程) registered online in
                # seconds; a joint-stock company or a partnership registers at the counter.
                "entity_type": choice(
                    "企业类型",
                    [
                        "有限责任公司（自然人投资或控股）",
                        "有限责任公司（自然人独资）",
                        "个人独资企业",
                    ],
                ),
                "registered_capital": number("注册资本（万元）", minimum=0.01),
                "address": text("住所", max_length=200),
                "business_scope": long_text("经营范围", max_length=2000),
                "legal_representative": text("法定代表人姓名", max_length=50),
                "legal_representative_id": id_number("法定代表人身份证号"),
                "phone": mobile(),
                "shareholders": _shareholders(),
                "apply_seal": boolean("同步免费刻制印章"),
                "apply_invoice": boolean("同步申领发票及税控设备"),
                "apply_social_insurance": boolean("同步办理社保、公积金单位登记"),
            },
            [
                "company_name",
                "entity_type",
                "registered_capital",
                "address",
                "business_scope",
                "legal_representative",
                "legal_representative_id",
                "phone",
                "shareholders",
            ],
        ),
        produces_license="business-license",
        description="申请材料齐全、符合法定形式且使用标准化章程的，系统智能审批，"
        "即时核发电子营业执照；可一并办理印章刻制、涉税事项、社保和住房公积金登记。",
    ),
    ServiceSeed(
        code="xzsp.printing.establish",
        name="印刷企业设立审批（包装装潢印刷品和其他印刷品印刷经营）",
        name_en="Approval to establish a printing enterprise (packaging and other printed matter)",
        department="xzsp",
        mode="manual",
        time_limit_days=20,
        realname_level=2,
        category="行政许可",
        audience="enterprise",
        aliases=("印刷经营许可证办理", "开印刷厂", "印刷品企业设立"),
        keywords=("印刷经营许可证", "印刷", "包装装潢", "印刷厂", "出版"),
        materials=(
            BUSINESS_LICENSE,
            material("printing-application", "印刷企业设立申请书", "Application form"),
            material(
                "equipment-list",
                "生产设备清单及购置凭证",
                "List of printing equipment and purchase receipts",
            ),
            material(
                "premises-proof",
                "生产经营场所产权证明或租赁合同",
                "Title or lease of the production premises",
                license_type="property-certificate",
            ),
            material(
                "training-proof",
                "法定代表人或主要负责人印刷法规培训合格证明",
                "Printing regulation training certificate of the person in charge",
            ),
            LEGAL_REP_ID,
        ),
        form_schema=schema(
            "印刷企业设立申请书",
            {
                **enterprise_fields(),
                "printing_scope": multi_choice(
                    "印刷经营范围", ["包装装潢印刷品印刷", "其他印刷品印刷", "排版、制版、装订专项"]
                ),
                "premises_address": text("生产经营场所地址", max_length=200),
                "premises_area": number("生产经营场所面积（平方米）"),
                "equipment_count": integer("主要印刷设备数量（台）", minimum=1),
                "legal_representative": text("法定代表人", max_length=50),
            },
            [
                *ENTERPRISE_REQUIRED,
                "printing_scope",
                "premises_address",
                "premises_area",
                "legal_representative",
            ],
        ),
        produces_license="printing-licence",
        description="由市、区（市）行政审批服务局受理，审核通过后核发印刷经营许可证。",
    ),
    ServiceSeed(
        code="wjw.hygiene-permit.renew",
        name="公共场所卫生许可证延续（换证）",
        name_en="Renewal of the public place hygiene permit",
        department="xzsp",
        mode="auto",
        time_limit_days=0,
        realname_level=2,
        category="行政许可",
        audience="enterprise",
        aliases=("卫生许可证换证", "卫生许可证到期换证", "卫生许可证延续"),
        keywords=("公共场所卫生许可证", "卫生许可证", "换证", "美容美发", "宾馆", "游泳馆"),
        materials=(
            BUSINESS_LICENSE,
            material(
                "hygiene-permit",
                "原公共场所卫生许可证",
                "Current public place hygiene permit",
                license_type="hygiene-permit",
            ),
            material(
                "health-certificates",
                "从业人员健康合格证明",
                "Health certificates of the staff",
                license_type="health-certificate",
            ),
            material(
                "commitment",
                "卫生条件未发生变化的告知承诺书",
                "Commitment that sanitary conditions are unchanged",
            ),
        ),
        form_schema=schema(
            "公共场所卫生许可证延续申请表",
            {
                **enterprise_fields(),
                "permit_number": text("原卫生许可证号", max_length=40),
                "premises_address": text("经营场所地址", max_length=200),
                "business_items": multi_choice(
                    "许可项目",
                    ["住宿场所", "沐浴场所", "美容美发场所", "游泳场所", "候车（机、船）室"],
                ),
                "conditions_unchanged": boolean("卫生条件、设施和布局未发生变化"),
            },
            [
                *ENTERPRISE_REQUIRED,
                "permit_number",
                "premises_address",
                "business_items",
                "conditions_unchanged",
            ],
        ),
        produces_license="hygiene-permit",
        description="许可证有效期届满前30日申请；承诺卫生条件未变的，"
        "比对原证照数据后秒批换发新证。",
    ),
    ServiceSeed(
        code="jyj.kindergarten-licence.continue",
        name="民办幼儿园办学许可证延续",
        name_en="Renewal of the private kindergarten operating licence",
        department="jyj",
        mode="manual",
        time_limit_days=20,
        realname_level=2,
        category="行政许可",
        audience="enterprise",
        aliases=("幼儿园办学许可证延续", "幼儿园许可证换证", "民办幼儿园年检换证"),
        keywords=("办学许可证", "幼儿园", "民办幼儿园", "学前教育", "延续"),
        materials=(
            material(
                "kindergarten-licence",
                "原民办学校办学许可证（幼儿园）",
                "Current kindergarten operating licence",
                license_type="kindergarten-licence",
            ),
            material(
                "org-certificate",
                "民办非企业单位登记证书",
                "Private non-enterprise unit registration certificate",
                license_type="social-service-org-certificate",
            ),
            material(
                "fire-safety",
                "消防安全检查合格证明",
                "Fire safety inspection certificate",
                license_type="fire-safety-inspection",
            ),
            material(
                "food-licence",
                "食品经营许可证（设食堂的）",
                "Food business licence (if there is a canteen)",
                required=False,
                license_type="food-business-licence",
            ),
            material(
                "audit-report",
                "年度财务审计报告及办园情况自查报告",
                "Annual audit report and self-assessment",
            ),
        ),
        form_schema=schema(
            "民办幼儿园办学许可证延续申请表",
            {
                **enterprise_fields(),
                "kindergarten_name": text("幼儿园名称", max_length=100),
                "licence_number": text("原办学许可证编号", max_length=40),
                "school_address": text("办学地址", max_length=200),
                "classes": integer("班级数", minimum=1),
                "capacity": integer("在园幼儿数", minimum=1),
                "inclusive": boolean("是否为普惠性民办幼儿园"),
                "expires_on": date("原许可证有效期至"),
            },
            [
                *ENTERPRISE_REQUIRED,
                "kindergarten_name",
                "licence_number",
                "school_address",
                "classes",
                "capacity",
                "expires_on",
            ],
        ),
        produces_license="kindergarten-licence",
        description="由幼儿园所在区（市）教育和体育局受理，现场核查后延续办学许可。",
    ),
)
