"""Second-hand house transfer and the seven utility transfers of the house-transfer bundle."""

from __future__ import annotations

from collections.abc import Sequence

from app.services.catalog.data._builders import (
    ID_CARD,
    MARRIAGE_CERTIFICATE,
    PERSON_REQUIRED,
    PROPERTY_CERTIFICATE,
    Schema,
    boolean,
    choice,
    id_number,
    material,
    number,
    person_fields,
    schema,
    text,
)
from app.services.catalog.data.seeds import MaterialSeed, ServiceSeed

_TRANSFER_KW = ("过户", "更名", "二手房", "联动过户", "一件事")
_NEW_PROPERTY_CERT = material(
    "property-certificate",
    "买受人不动产权证书",
    "Buyer's real estate title certificate",
    license_type="property-certificate",
)

HOUSE_TRANSFER = ServiceSeed(
    code="bdc.transfer.second-hand",
    name="二手房转移登记",
    name_en="Transfer registration of a second-hand home",
    department="bdc",
    mode="instant",
    time_limit_days=0,
    realname_level=3,
    category="行政确认",
    audience="person",
    aliases=("二手房过户", "房产过户", "存量房转移登记", "买卖过户", "房屋过户"),
    keywords=("不动产", "不动产权证书", "房产证", "过户", "二手房", "转移登记", "契税"),
    materials=(
        ID_CARD,
        PROPERTY_CERTIFICATE,
        material(
            "sales-contract",
            "存量房买卖合同（网签）",
            "Filed second-hand housing sales contract",
        ),
        material(
            "tax-receipt",
            "契税、增值税等完税凭证（线上缴税后自动获取）",
            "Tax payment certificates (fetched after paying online)",
            license_type="tax-payment-certificate",
        ),
        MARRIAGE_CERTIFICATE,
        material(
            "mortgage-release",
            "抵押权注销证明（原有抵押的提供）",
            "Mortgage release (if the home was mortgaged)",
            required=False,
            license_type="real-estate-registration-proof",
        ),
    ),
    form_schema=schema(
        "不动产登记申请书（转移登记）",
        {
            "seller_name": text("转让方（出卖人）姓名", max_length=50),
            "seller_id_number": id_number("转让方身份证号"),
            "buyer_name": text("受让方（买受人）姓名", max_length=50),
            "buyer_id_number": id_number("受让方身份证号"),
            "phone": text("受让方联系电话", max_length=11, pattern=r"^1[3-9]\d{9}$"),
            "certificate_number": text("原不动产权证号", max_length=60),
            "unit_number": text("不动产单元号", max_length=28),
            "location": text("坐落", max_length=200),
            "area": number("建筑面积（平方米）"),
            "price": number("成交价格（元）"),
            "ownership": choice("共有方式", ["单独所有", "共同共有", "按份共有"]),
            "with_utilities": boolean("同步办理水电气暖等联动过户"),
        },
        [
            "seller_name",
            "seller_id_number",
            "buyer_name",
            "buyer_id_number",
            "phone",
            "certificate_number",
            "location",
            "price",
            "ownership",
        ],
    ),
    produces_license="property-certificate",
    description="交易、缴税、登记一窗受理、并联办理，登记完成即时核发电子不动产权证书；"
    "可一并申请水、电、气、暖、有线电视、宽带和琴岛通联动过户。",
)


def _utility(
    code: str,
    name: str,
    name_en: str,
    account_label: str,
    aliases: Sequence[str],
    keywords: Sequence[str],
    extra: dict[str, Schema] | None = None,
    extra_materials: Sequence[MaterialSeed] = (),
) -> ServiceSeed:
    department = code.split(".", 1)[0]
    form = schema(
        f"{name}申请",
        {
            **person_fields(),
            "account_number": text(account_label, max_length=30),
            "address": text("用户地址（房屋坐落）", max_length=200),
            "certificate_number": text("不动产权证号", max_length=60),
            "former_owner": text("原户主姓名", max_length=50),
            **(extra or {}),
        },
        [*PERSON_REQUIRED, "account_number", "address", "certificate_number"],
    )
    return ServiceSeed(
        code=code,
        name=name,
        name_en=name_en,
        department=department,
        mode="instant",
        time_limit_days=0,
        realname_level=2,
        category="公共服务",
        audience="person",
        aliases=tuple(aliases),
        keywords=tuple(dict.fromkeys((*keywords, *_TRANSFER_KW))),
        materials=(ID_CARD, _NEW_PROPERTY_CERT, *extra_materials),
        form_schema=form,
        description=f"凭新的不动产权证书办理{name}，原户主结清费用后即时完成。",
    )


UTILITY_TRANSFERS: tuple[ServiceSeed, ...] = (
    _utility(
        "water.transfer",
        "用水户名过户",
        "Transfer of a water supply account",
        "用水户号",
        ("水表过户", "自来水过户", "水费户名变更"),
        ("自来水", "水费", "水表", "海润"),
    ),
    _utility(
        "power.transfer",
        "用电更名过户",
        "Transfer of an electricity account",
        "用电户号",
        ("电表过户", "电费户名变更", "用电过户"),
        ("电费", "电表", "供电", "国家电网", "网上国网"),
        extra_materials=(
            material(
                "settlement-card",
                "电费结算银行卡（办理代扣时提供）",
                "Bank card for direct debit",
                required=False,
            ),
        ),
    ),
    _utility(
        "citycard.transfer",
        "公用事业便民卡（琴岛通）过户",
        "Transfer of the Qindaotong public utility card",
        "琴岛通卡号",
        ("琴岛通过户", "公用事业卡过户"),
        ("琴岛通", "公交卡", "市民卡", "公用事业"),
    ),
    _utility(
        "heat.transfer",
        "供热用户过户",
        "Transfer of a district heating account",
        "供热户号",
        ("暖气过户", "供暖过户", "热费户名变更"),
        ("暖气", "供暖", "供热", "取暖费", "热力"),
        extra={"heating_area": number("供热面积（平方米）")},
    ),
    _utility(
        "gas.transfer",
        "管道燃气用户过户",
        "Transfer of a piped gas account",
        "燃气户号",
        ("燃气过户", "天然气过户", "煤气过户"),
        ("燃气", "天然气", "煤气", "华润燃气"),
        extra={"safety_check": boolean("预约入户安全检查")},
    ),
    _utility(
        "catv.transfer",
        "有线电视用户过户",
        "Transfer of a cable TV account",
        "有线电视用户号",
        ("有线电视过户", "数字电视过户", "广电过户"),
        ("有线电视", "广电", "数字电视", "机顶盒"),
    ),
    _utility(
        "broadband.transfer",
        "宽带及固定电话过户",
        "Transfer of broadband and landline accounts",
        "宽带账号或固话号码",
        ("宽带过户", "固话过户", "联通宽带过户"),
        ("宽带", "固话", "联通", "网络"),
        extra={"keep_number": boolean("保留原固定电话号码")},
    ),
)

PROPERTY_KEY_SERVICES: tuple[ServiceSeed, ...] = (HOUSE_TRANSFER, *UTILITY_TRANSFERS)
