"""Valid forms of the services the tests apply for, from the personas' own data."""

from __future__ import annotations

from typing import Any

from app.adapters.simulator.personas import Persona


def kindergarten_continuation(persona: Persona) -> dict[str, Any]:
    """民办幼儿园办学许可证延续 (manual, jyj, 20 working days)."""
    return {
        "unit_name": "青岛市小太阳幼儿园",
        "uscc": persona.enterprise_uscc,
        "contact_name": persona.name,
        "phone": persona.login,
        "kindergarten_name": "青岛市小太阳幼儿园",
        "licence_number": "教民137020000001868号",
        "school_address": "山东省青岛市莱西市石岛路223号",
        "classes": 6,
        "capacity": 180,
        "expires_on": "2027-01-08",
    }


def rent_withdrawal(persona: Persona) -> dict[str, Any]:
    """住房公积金提取（租赁住房） (auto, gjj, L3)."""
    return {
        "applicant_name": persona.name,
        "id_number": persona.id_number,
        "phone": persona.login,
        "rent_basis": "按本市租房提取限额",
        "rental_address": "青岛市市南区香港中路 10 号 3 单元 501 户",
        "lease_start": "2026-09-01",
        "lease_end": "2027-08-31",
    }


def hygiene_renewal(persona: Persona) -> dict[str, Any]:
    """公共场所卫生许可证延续（换证） (auto, for the enterprise)."""
    return {
        "unit_name": "青岛海韵美容美发有限公司",
        "uscc": persona.enterprise_uscc,
        "contact_name": persona.name,
        "phone": persona.login,
        "permit_number": "青卫公字〔2022〕第001772号",
        "premises_address": "山东省青岛市即墨区烟青一级路62号",
        "business_items": ["美容美发场所"],
        "conditions_unchanged": True,
    }


def printing_enterprise(persona: Persona) -> dict[str, Any]:
    """企业设立登记 of a printing company (auto; produces the e-business license)."""
    return {
        "company_name": "青岛墨韵包装印刷有限公司",
        "entity_type": "有限责任公司（自然人投资或控股）",
        "registered_capital": 200,
        "address": "青岛市李沧区九水东路 100 号",
        "business_scope": "包装装潢印刷品印刷；其他印刷品印刷",
        "legal_representative": persona.name,
        "legal_representative_id": persona.id_number,
        "phone": persona.login,
        "shareholders": [
            {"name": persona.name, "id_number": persona.id_number, "contribution": 200}
        ],
    }
