"""The generated bulk of the catalog: per-department item templates expanded across districts.

Each (subject, action) pair of a department's templates (templates/*.yaml, in the notation of
``_templates``) is one item template, numbered in declaration order: ``scjg.t017`` is the
city-wide item, and for a local subject ``scjg.t017.370211`` is the same item handled by Huangdao
District. Numbers are stable as long as new templates are appended at the end of a department's
list.
"""

from __future__ import annotations

from app.services.catalog.data import DEPARTMENTS, DISTRICTS, TEMPLATES
from app.services.catalog.data._builders import (
    APPLICATION_FORM,
    BANK_CARD,
    BUSINESS_LICENSE,
    ENTERPRISE_REQUIRED,
    ID_CARD,
    PERSON_REQUIRED,
    Schema,
    bank_account,
    choice,
    date,
    enterprise_fields,
    long_text,
    material,
    mobile,
    person_fields,
    schema,
    text,
)
from app.services.catalog.data._templates import ACTIONS, ON_EXISTING, PRODUCING, Item, parse_action
from app.services.catalog.data.seeds import (
    ApprovalMode,
    DepartmentSeed,
    DistrictSeed,
    MaterialSeed,
    ServiceSeed,
)

MAX_MATERIALS = 4

# Actions after which staff need a written application (the others are look-ups or bookings)
_NO_FORM_MATERIAL = frozenset({"cer", "prt", "qry", "apt", "exm"})
# Actions for which a subject's own supporting document is asked for
_WITH_SUBJECT_MATERIAL = frozenset(
    {"iss", "per", "apv", "new", "reg", "app", "rcg", "cfm", "clm", "raw", "acc", "fil", "ren"}
)
_CANCEL_REASONS = ("主动申请注销", "有效期届满未延续", "主体资格依法终止", "其他")


# Forms ------------------------------------------------------------------------------------------


def _applicant(item: Item) -> tuple[dict[str, Schema], list[str]]:
    if item.audience == "person":
        return person_fields(), list(PERSON_REQUIRED)
    if item.audience == "enterprise":
        return enterprise_fields(), list(ENTERPRISE_REQUIRED)
    return (
        {
            "applicant_type": choice("申请人类型", ["个人", "单位"]),
            "applicant_name": text("申请人姓名或单位名称", max_length=100),
            "certificate_number": text("身份证号或统一社会信用代码", max_length=18, min_length=15),
            "phone": mobile(),
        },
        ["applicant_type", "applicant_name", "certificate_number", "phone"],
    )


def _extra(action: str, item: Item) -> tuple[dict[str, Schema], list[str]]:
    number_label = "证照编号" if item.license else "登记（许可）编号"
    if action in ("chg", "rch"):
        return (
            {
                "licence_number": text(number_label, max_length=60),
                "change_items": text("变更事项", max_length=200),
                "change_reason": long_text("变更原因", max_length=500),
            },
            ["licence_number", "change_items"],
        )
    if action == "ren":
        return (
            {
                "licence_number": text(number_label, max_length=60),
                "expires_on": date("原证有效期至"),
                "conditions_unchanged": choice("许可条件是否变化", ["未发生变化", "已发生变化"]),
            },
            ["licence_number", "expires_on", "conditions_unchanged"],
        )
    if action in ("can", "rca"):
        return (
            {
                "licence_number": text(number_label, max_length=60),
                "cancel_reason": choice("注销原因", _CANCEL_REASONS),
            },
            ["licence_number", "cancel_reason"],
        )
    if action == "rei":
        return (
            {
                "licence_number": text(number_label, max_length=60),
                "reason": choice("补办原因", ["遗失", "损毁", "其他"]),
            },
            ["reason"],
        )
    if action == "fil":
        return (
            {
                "filing_items": long_text("备案事项", max_length=1000),
                "effective_on": date("生效日期"),
            },
            ["filing_items"],
        )
    if action in ("cer", "prt"):
        return ({"purpose": text("用途", max_length=100)}, ["purpose"])
    if action == "qry":
        return ({"query_scope": text("查询内容", max_length=200)}, [])
    if action in ("clm", "pay"):
        return (
            {"bank_name": text("开户银行", max_length=60), "bank_account": bank_account()},
            ["bank_name", "bank_account"],
        )
    if action == "exm":
        return ({"exam_item": text("报考项目（级别）", max_length=100)}, ["exam_item"])
    if action == "acc":
        return (
            {"project_name": text("项目名称", max_length=100), "completed_on": date("竣工日期")},
            ["project_name", "completed_on"],
        )
    if action == "trn":
        return (
            {
                "from_region": text("转出地", max_length=100),
                "to_region": text("转入地", max_length=100),
            },
            ["from_region", "to_region"],
        )
    if action == "apt":
        return (
            {
                "appointment_date": date("预约日期"),
                "time_slot": choice("预约时段", ["上午", "下午"]),
            },
            ["appointment_date", "time_slot"],
        )
    properties: dict[str, Schema] = {
        "matter_description": long_text("申请事项说明", max_length=1000)
    }
    if item.audience != "person":
        properties["address"] = text("经营（实施）地址", max_length=200)
        return properties, ["matter_description", "address"]
    return properties, ["matter_description"]


def _form(title: str, action: str, item: Item) -> Schema:
    applicant, required = _applicant(item)
    extra, extra_required = _extra(action, item)
    return schema(f"{title}申请表", {**applicant, **extra}, [*required, *extra_required])


# Materials --------------------------------------------------------------------------------------


def _materials(action: str, mode: ApprovalMode, item: Item) -> tuple[MaterialSeed, ...]:
    found: list[MaterialSeed] = [BUSINESS_LICENSE if item.audience == "enterprise" else ID_CARD]
    if action in ON_EXISTING and item.license:
        found.append(
            material(
                "current-licence",
                f"原{item.zh}（遗失的除外）" if action == "rei" else f"原{item.zh}",
                f"Current {item.en}",
                required=action != "rei",
                license_type=item.license,
            )
        )
    if item.material and action in _WITH_SUBJECT_MATERIAL:
        code, zh, en = item.material
        found.append(material(code, zh, en))
    if action in ("clm", "pay"):
        found.append(BANK_CARD)
    if mode == "manual" and action not in _NO_FORM_MATERIAL:
        found.append(APPLICATION_FORM)
    return tuple(found[:MAX_MATERIALS])


# Names, bodies, keywords --------------------------------------------------------------------------


def local_body(department: DepartmentSeed, district: DistrictSeed | None) -> str:
    """The body that actually handles an item: the department, or its district counterpart."""
    if district is None:
        return department.name
    is_district = district.name.endswith("区")
    prefix = f"青岛市{district.name}" if is_district else district.name
    short = district.name.removesuffix("区").removesuffix("市")
    match department.code:
        case "gaj":
            return f"青岛市公安局{short}分局" if is_district else f"{district.name}公安局"
        case "jj":
            return f"青岛市公安局交通警察支队{short}大队"
        case "xf":
            return f"{prefix}消防救援大队"
        case "tax":
            return f"国家税务总局青岛市{district.name}税务局"
        case "court":
            return f"{prefix}人民法院"
        case "jcy":
            return f"{prefix}人民检察院"
    if department.kind == "utility":
        return f"{department.name}{district.name}营业厅"
    if department.name.startswith("青岛市"):
        return prefix + department.name.removeprefix("青岛市")
    return f"{department.name}（{district.name}）"


def _description(body: str, mode: ApprovalMode, days: int) -> str:
    if mode == "auto":
        return f"由{body}办理。系统自动比对共享数据，符合条件的即时办结（秒批）。"
    if mode == "instant":
        return f"由{body}办理。材料齐全、符合法定形式的，当场办结。"
    return f"由{body}办理。承诺办结时限{days}个工作日。"


def _capitalise(text_en: str) -> str:
    return text_en[:1].upper() + text_en[1:]


def _dedupe(values: list[str], exclude: str) -> tuple[str, ...]:
    return tuple(v for v in dict.fromkeys(values) if v and v != exclude)


# Expansion --------------------------------------------------------------------------------------


def _expand(department: DepartmentSeed, item: Item, token: str, serial: int) -> list[ServiceSeed]:
    code, mode_override, days_override = parse_action(token)
    action = ACTIONS[code]
    mode: ApprovalMode = mode_override or action.mode
    days = 0
    if mode == "manual":
        days = action.days if days_override is None else days_override
    name = action.zh.format(s=item.zh)
    name_en = _capitalise(action.en.format(e=item.en))
    aliases = _dedupe([a.format(s=item.zh) for a in action.aliases], name)
    subject_kw = [] if code == "raw" else [item.zh]
    keywords = _dedupe([*item.keywords, *subject_kw, action.keyword], name)
    materials = _materials(code, mode, item)
    produces = item.license if code in PRODUCING else None
    category = item.category or action.category
    realname_level = 3 if item.audience == "person" and mode == "auto" else 2
    base = f"{department.code}.t{serial:03d}"
    districts: tuple[DistrictSeed | None, ...] = (None, *DISTRICTS) if item.local else (None,)
    return [
        ServiceSeed(
            code=base if district is None else f"{base}.{district.code}",
            name=name,
            name_en=name_en,
            department=department.code,
            mode=mode,
            time_limit_days=days,
            realname_level=realname_level,
            category=category,
            audience=item.audience,
            district=None if district is None else district.code,
            aliases=aliases,
            keywords=keywords,
            materials=materials,
            form_schema=_form(name, code, item),
            produces_license=produces,
            description=_description(local_body(department, district), mode, days),
        )
        for district in districts
    ]


def generate_services() -> list[ServiceSeed]:
    """Every generated service, department by department in DEPARTMENTS order."""
    services: list[ServiceSeed] = []
    for department in DEPARTMENTS:
        serial = 0
        for item in TEMPLATES.get(department.code, ()):
            for token in item.actions.split():
                serial += 1
                services.extend(_expand(department, item, token, serial))
    return services
