"""Compact notation for the license-type tables.

Each table row gives its fields as one string, ``"name 标签 [d|n]; …"``: an ASCII snake_case
field name, its zh-CN label and an optional type letter (``d`` date, ``n`` number). Shorthands:
``@P`` holder name and ID number, ``@E`` holder unit and USCC, ``@V`` issue date and expiry.
"""

from __future__ import annotations

from typing import Literal

from app.services.catalog.data.seeds import LicenseFieldSeed, LicenseTypeSeed

REGION = "370200"  # Qingdao: the license identifiers carry the issuing region

_TYPES: dict[str, Literal["string", "date", "number"]] = {
    "": "string",
    "d": "date",
    "n": "number",
}
_SHORTHANDS: dict[str, str] = {
    "@P": "holder_name 姓名; id_number 公民身份号码",
    "@E": "holder_name 持证单位名称; uscc 统一社会信用代码",
    "@V": "issued_on 发证日期 d; valid_until 有效期至 d",
}


def parse_fields(spec: str) -> tuple[LicenseFieldSeed, ...]:
    """Turn ``"uscc 统一社会信用代码; established_on 成立日期 d"`` into field seeds."""
    for short, long in _SHORTHANDS.items():
        spec = spec.replace(short, long)
    fields: list[LicenseFieldSeed] = []
    for item in spec.split(";"):
        parts = item.split()
        if len(parts) not in (2, 3):
            raise ValueError(f"bad license field spec: {item!r}")
        kind = _TYPES[parts[2] if len(parts) == 3 else ""]
        fields.append(LicenseFieldSeed(parts[0], parts[1], kind))
    return tuple(fields)


def lic(
    code: str,
    serial: str,
    name: str,
    name_en: str,
    issuer: str,
    holder: Literal["p", "e"],
    validity_years: int | None,
    fields: str,
) -> LicenseTypeSeed:
    """One license type; ``serial`` is the kind letters and number, e.g. ``"XK0001"``."""
    return LicenseTypeSeed(
        code=code,
        type_code=REGION + serial,
        name=name,
        name_en=name_en,
        issuer=issuer,
        holder_kind="person" if holder == "p" else "enterprise",
        validity_years=validity_years,
        fields=parse_fields(fields),
    )
