"""Helpers of the e-license tests: request bodies, valid ID numbers and credit codes.

Types used: `special-equipment-operator` (a person's certificate, issued by market regulation
`scjg`, four years) and `business-license` (an enterprise's, issued by `xzsp`, no expiry).
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from app.kit.resident_id import make_resident_id
from app.kit.uscc import make_uscc

PERSON_TYPE = "special-equipment-operator"
ENTERPRISE_TYPE = "business-license"
PASSWORD = "Citizen-2026"

_numbers = itertools.count(1)

Headers = dict[str, str]
MakeHeaders = Callable[..., Awaitable[Headers]]


def id_number(sequence: int | None = None) -> str:
    """A valid resident ID number of a Qingdao (Shinan) resident born in 1990."""
    return make_resident_id(
        "370202", date(1990, 5, 17), next(_numbers) if sequence is None else sequence
    )


def enterprise_uscc(n: int = 1) -> str:
    """A valid credit code of a company registered in Qingdao."""
    return make_uscc("9", "1", "370200", f"MA3C{n:05d}")


def person_license(holder_id: str, name: str = "李娜", **overrides: Any) -> dict[str, Any]:
    """A request body issuing a special-equipment operator certificate to a person."""
    body: dict[str, Any] = {
        "type": PERSON_TYPE,
        "holder": {"kind": "person", "name": name, "id_number": holder_id},
        "fields": {
            "operation_item": "叉车司机",
            "certificate_number": "TS-2026-0001",
            "issued_on": "2026-03-01",
            "valid_until": "2030-02-28",
        },
    }
    body.update(overrides)
    return body


def enterprise_license(uscc: str, name: str = "青岛海韵印务有限公司") -> dict[str, Any]:
    """A request body issuing a business license to an enterprise."""
    return {
        "type": ENTERPRISE_TYPE,
        "holder": {"kind": "enterprise", "name": name, "uscc": uscc},
        "fields": {
            "uscc": uscc,
            "name": name,
            "entity_type": "有限责任公司",
            "legal_representative": "王海",
            "registered_capital": 500,
            "established_on": "2020-06-01",
            "business_scope": "包装装潢印刷品印刷",
            "address": "青岛市市南区香港中路 1 号",
        },
    }
