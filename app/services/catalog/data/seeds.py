"""Seed records for the service catalog: plain data, no database, no framework.

The catalog's seeding code turns these into rows; keeping them as frozen dataclasses lets the
hand-written key services and the generated remainder share one shape and be checked by tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ApprovalMode = Literal["auto", "instant", "manual"]
Audience = Literal["person", "enterprise", "both"]


@dataclass(frozen=True)
class DepartmentSeed:
    code: str  # short ASCII slug, stable: "gjj", "scjg", …
    name: str  # official Chinese name, e.g. "青岛市住房公积金管理中心"
    name_en: str
    kind: Literal["municipal", "vertical", "utility", "judicial"] = "municipal"


@dataclass(frozen=True)
class DistrictSeed:
    code: str  # GB/T 2260, e.g. "370202"
    name: str
    name_en: str


@dataclass(frozen=True)
class MaterialSeed:
    code: str  # stable within the service, e.g. "id-card"
    name: str
    name_en: str
    required: bool = True
    license_type: str | None = None  # an e-license of this type satisfies it without upload


@dataclass(frozen=True)
class ServiceSeed:
    code: str  # lowercase ASCII [a-z0-9.-], stable: "gjj.withdraw.rent"
    name: str
    name_en: str
    department: str  # DepartmentSeed.code
    mode: ApprovalMode
    time_limit_days: int  # statutory limit in working days (0: decided on the spot)
    realname_level: int  # 1 phone, 2 name+ID matched, 3 face verified
    category: str  # 行政许可, 行政确认, 公共服务, 行政给付, 其他行政权力
    audience: Audience
    district: str | None = None  # None: city-wide; else a DistrictSeed.code
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    materials: tuple[MaterialSeed, ...] = ()
    form_schema: dict[str, Any] = field(default_factory=dict)  # JSON Schema of the form
    produces_license: str | None = None  # a license type code (app/reference/)
    description: str = ""


@dataclass(frozen=True)
class BundleStepSeed:
    service: str  # ServiceSeed.code
    unit: str  # the unit that carries the step out, e.g. "海润自来水集团"


@dataclass(frozen=True)
class BundleSeed:
    code: str
    name: str
    name_en: str
    steps: tuple[BundleStepSeed, ...]
    description: str = ""
