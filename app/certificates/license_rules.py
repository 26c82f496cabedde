"""The rules a license's content must meet: the type's fields, the validity period.

Apart from `issuance` (which re-exports them) so that the bulk import's checking processes,
which need these and not the rest of issuance, start without importing the catalog, the
notifications and what they bring (a second per process).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.certificates import lifecycle
from app.certificates.errors import InvalidLicense
from app.certificates.models import LicenseType
from app.certificates.schemas import FieldValue, HolderCreate


def _invalid(param: str, zh: str, en: str) -> InvalidLicense:
    return InvalidLicense(zh, en, extra={"invalid_params": [{"name": param, "reason": en}]})


def check_fields(
    license_type: LicenseType, values: dict[str, FieldValue], holder: HolderCreate
) -> dict[str, Any]:
    """The values to store, if they name exactly the type's fields with values of the right kind.

    The fields that repeat the holder (`holder_name`, `id_number`) come from `holder`: they may
    be left out, must agree with it when given, and are not stored in `fields`, so that an ID
    number is never kept in clear nor shown unmasked.
    """
    declared = {field["name"]: field for field in license_type.fields}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        names = ", ".join(unknown)
        raise _invalid("body.fields", f"证照类型没有这些字段：{names}", f"unknown fields: {names}")
    from_holder = {
        name: value
        for name, value in (("holder_name", holder.name), ("id_number", holder.id_number))
        if name in declared and value is not None
    }
    missing = sorted(set(declared) - set(values) - set(from_holder))
    if missing:
        names = ", ".join(missing)
        raise _invalid("body.fields", f"缺少字段：{names}", f"missing fields: {names}")
    for name, value in values.items():
        if name in from_holder:
            if str(value).strip().upper() != from_holder[name].strip().upper():
                raise _invalid(
                    f"body.fields.{name}",
                    f"字段 {name} 与持证者不一致",
                    f"{name} differs from the holder",
                )
            continue
        kind = declared[name]["type"]
        if not value_fits(kind, value):
            raise _invalid(
                f"body.fields.{name}", f"字段 {name} 应为 {kind}", f"{name} must be a {kind}"
            )
    return {name: value for name, value in values.items() if name not in from_holder}


def value_fits(kind: str, value: FieldValue) -> bool:
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if not isinstance(value, str) or not value.strip():
        return False
    if kind == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
    return True


def validity(
    license_type: LicenseType, valid_from: date | None, valid_until: date | None
) -> tuple[date, date | None]:
    """The validity period: from today by default, for the type's term unless given."""
    start = valid_from or lifecycle.today()
    end = (
        valid_until
        if valid_until is not None
        else lifecycle.valid_until_for(start, license_type.validity_years)
    )
    if end is not None and end < start:
        raise _invalid(
            "body.valid_until", "有效期截止日早于起始日", "valid_until is before valid_from"
        )
    return start, end
