"""Reading a form field from department records (data/field_sources.yaml), without the API."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.adapters.records_business import StaffMember, UnitStaff
from app.services.applications import field_sources

UNSEAL = "gjj.account.unseal"
AS_OF = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


def _known(roll: UnitStaff) -> field_sources.Known:
    return field_sources.Known(
        records={("enterprise", "rsj/unit-staff"): (roll, AS_OF)},
        licenses={},
        identity={},
        today=date(2026, 11, 23),
    )


def test_each_employee_offered_carries_the_values_that_follow_the_choice() -> None:
    roll = UnitStaff(insured=2, as_of_month="2026-11", staff=(
        StaffMember(name="甲", id_number="370202199001011234", monthly_base=6000),
        StaffMember(name="乙", id_number="37020219920202123X", monthly_base=8800),
    ))  # fmt: skip
    names = ["employee_id_number", "employee_name", "deposit_base", "reason"]
    followers = field_sources.followers(UNSEAL, names)
    assert set(followers) == {"employee_id_number"}
    assert set(followers["employee_id_number"]) == {"employee_name", "deposit_base"}
    chosen = field_sources.resolve(field_sources.sources_of(UNSEAL, "employee_id_number"),
                                   _known(roll))  # fmt: skip
    assert chosen.value is None, "two employees: the unit chooses"
    fills = [field_sources.fills(option, followers["employee_id_number"])
             for option in chosen.options]  # fmt: skip
    assert fills == [{"employee_name": "甲", "deposit_base": 6000},
                     {"employee_name": "乙", "deposit_base": 8800}]  # fmt: skip


def test_a_field_reading_its_own_options_list_follows_nothing() -> None:
    assert field_sources.followers(UNSEAL, ["employee_name", "deposit_base"]) == {}
