"""Notation of the per-department item templates (templates/*.yaml) the generated catalog is
built from.

A template row names a *subject* (a licence, a registration, a benefit, …) and the *actions* a
department performs on it. ``"iss chg ren can!a"`` means: issue, change, renew, cancel, the last
one approved automatically. A suffix ``!a`` (auto), ``!i`` (instant) or ``!mN`` (manual, N
working days) overrides the action's default mode. Every (subject, action) pair is one item
template; a ``local`` subject is handled both by the city and by each of the ten districts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.services.catalog.data.seeds import ApprovalMode, Audience

ActionCode = Literal[
    "iss",  # 核发
    "per",  # 许可
    "apv",  # 审批
    "chg",  # 变更
    "ren",  # 延续
    "can",  # 注销
    "rei",  # 补办
    "fil",  # 备案
    "reg",  # 登记
    "new",  # 成立（设立）登记
    "rch",  # 变更登记
    "rca",  # 注销登记
    "cfm",  # 确认
    "rcg",  # 认定
    "cer",  # 证明开具
    "prt",  # 打印
    "qry",  # 查询
    "app",  # 申请
    "clm",  # 申领
    "pay",  # 发放
    "exm",  # 考试报名
    "acc",  # 验收
    "trn",  # 转移接续
    "apt",  # 预约
    "raw",  # the subject is the full item name
]


@dataclass(frozen=True)
class Action:
    zh: str  # name pattern, "{s}" is the subject
    en: str  # English name pattern, "{e}" is the English subject
    category: str
    mode: ApprovalMode
    days: int
    aliases: tuple[str, ...] = ()
    keyword: str = ""


ACTIONS: dict[str, Action] = {
    "iss": Action(
        "{s}核发", "Issuance of the {e}", "行政许可", "manual", 20, ("办理{s}", "申请{s}"), "核发"
    ),
    "per": Action(
        "{s}许可", "Permit for {e}", "行政许可", "manual", 20, ("{s}申请", "{s}审批"), "许可"
    ),
    "apv": Action("{s}审批", "Approval of {e}", "行政许可", "manual", 20, ("{s}申请",), "审批"),
    "chg": Action(
        "{s}变更", "Amendment of the {e}", "行政许可", "manual", 10, ("{s}信息变更",), "变更"
    ),
    "ren": Action(
        "{s}延续",
        "Renewal of the {e}",
        "行政许可",
        "manual",
        20,
        ("{s}换证", "{s}到期续期"),
        "延续",
    ),
    "can": Action(
        "{s}注销", "Cancellation of the {e}", "行政许可", "instant", 0, ("注销{s}",), "注销"
    ),
    "rei": Action(
        "{s}补办",
        "Replacement of the {e}",
        "公共服务",
        "instant",
        0,
        ("{s}遗失补办", "{s}补领"),
        "补办",
    ),
    "fil": Action(
        "{s}备案", "Filing of {e}", "其他行政权力", "instant", 0, ("{s}备案申请",), "备案"
    ),
    "reg": Action(
        "{s}登记", "Registration of {e}", "行政确认", "manual", 10, ("办理{s}登记",), "登记"
    ),
    "new": Action(
        "{s}成立登记",
        "Establishment registration of {e}",
        "行政许可",
        "manual",
        20,
        ("成立{s}", "{s}设立登记"),
        "成立",
    ),
    "rch": Action(
        "{s}变更登记",
        "Change registration of {e}",
        "行政许可",
        "manual",
        10,
        ("{s}信息变更",),
        "变更",
    ),
    "rca": Action(
        "{s}注销登记", "Deregistration of {e}", "行政许可", "manual", 10, ("注销{s}",), "注销"
    ),
    "cfm": Action("{s}确认", "Confirmation of {e}", "行政确认", "manual", 10, ("{s}审核",), "确认"),
    "rcg": Action(
        "{s}认定",
        "Recognition of {e}",
        "行政确认",
        "manual",
        20,
        ("{s}认定申请", "{s}评定"),
        "认定",
    ),
    "cer": Action(
        "{s}证明开具", "Certificate of {e}", "公共服务", "auto", 0, ("开{s}证明", "{s}证明"), "证明"
    ),
    "prt": Action(
        "{s}打印", "Printing of {e}", "公共服务", "auto", 0, ("打印{s}", "{s}下载"), "打印"
    ),
    "qry": Action(
        "{s}查询", "Enquiry about {e}", "公共服务", "instant", 0, ("查{s}", "{s}在线查询"), "查询"
    ),
    "app": Action("{s}申请", "Application for {e}", "公共服务", "manual", 10, ("办理{s}",), "申请"),
    "clm": Action(
        "{s}申领", "Claiming {e}", "行政给付", "manual", 15, ("领取{s}", "{s}申请"), "补贴"
    ),
    "pay": Action("{s}发放", "Payment of {e}", "行政给付", "manual", 15, ("{s}领取",), "发放"),
    "exm": Action(
        "{s}考试报名", "Exam registration for {e}", "公共服务", "instant", 0, ("{s}报名",), "考试"
    ),
    "acc": Action(
        "{s}验收",
        "Acceptance inspection of {e}",
        "其他行政权力",
        "manual",
        15,
        ("{s}竣工验收",),
        "验收",
    ),
    "trn": Action(
        "{s}转移接续",
        "Transfer of {e}",
        "公共服务",
        "manual",
        15,
        ("{s}转移", "{s}转入转出"),
        "转移",
    ),
    "apt": Action("{s}预约", "Booking {e}", "公共服务", "instant", 0, ("预约{s}",), "预约"),
    "raw": Action("{s}", "{e}", "公共服务", "manual", 10),
}

# Actions whose result is the subject's e-license (when the subject names one)
PRODUCING: frozenset[str] = frozenset({"iss", "ren", "chg", "rei", "new", "cer", "prt", "raw"})
# Actions that act on an existing license, so the current one is a material
ON_EXISTING: frozenset[str] = frozenset({"chg", "ren", "can", "rei", "rch", "rca"})


@dataclass(frozen=True)
class Item:
    zh: str  # subject, e.g. "食品经营许可证"
    en: str  # English subject, e.g. "food business licence"
    actions: str  # space-separated action codes with optional mode suffixes
    audience: Audience
    local: bool = False  # also handled by each district
    license: str | None = None  # the e-license the subject is
    keywords: tuple[str, ...] = ()
    material: tuple[str, str, str] | None = None  # extra supporting document: code, zh, en
    category: str | None = None  # overrides the action's category


def parse_action(token: str) -> tuple[str, ApprovalMode | None, int | None]:
    """``"can!a"`` → ("can", "auto", 0); ``"iss!m15"`` → ("iss", "manual", 15)."""
    code, _, suffix = token.partition("!")
    if code not in ACTIONS:
        raise ValueError(f"unknown action {code!r}")
    if not suffix:
        return code, None, None
    letter, digits = suffix[0], suffix[1:]
    if letter == "a":
        return code, "auto", 0
    if letter == "i":
        return code, "instant", 0
    if letter == "m":
        return code, "manual", int(digits) if digits else None
    raise ValueError(f"bad mode suffix in {token!r}")
