"""Deriving the rules' facts from hand-made department answers: values, the no-record and
unavailable cases, provenance, and the calendar arithmetic behind ages and months."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from app.adapters.client import Fact
from app.adapters.records import (
    AuthorisedAgent,
    EnterpriseRegistration,
    FundAccount,
    FundLoan,
    FundLoans,
    FundWithdrawals,
    PropertyOwnership,
    Record,
)
from app.adapters.service import DatasetKey, FactResult, Unavailable
from app.kit.resident_id import make_resident_id
from app.rules.facts import Known, Provenance, Unknown
from app.rules.vocabulary import FACTS, FACTS_BY_NAME
from app.services.applications.facts import (
    ApplicantFacts,
    HeldLicense,
    datasets_for,
    derive_facts,
)
from app.services.applications.facts_calendar import age_on, whole_months

AS_OF = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
VERIFIED = datetime(2025, 12, 1, 9, 30, tzinfo=UTC)
ON = date(2026, 3, 10)
ID_NUMBER = make_resident_id("370202", date(1990, 5, 17), 11)
APPLICANT = ApplicantFacts(realname_level=3, verified_at=VERIFIED, id_number=ID_NUMBER)


def found(key: DatasetKey, record: Record) -> Fact:
    return Fact(department=key[0], dataset=key[1], found=True, record=record,
                source="部门/数据集", as_of=AS_OF, fetched_at=AS_OF)  # fmt: skip


def no_record(key: DatasetKey) -> Fact:
    return Fact(department=key[0], dataset=key[1], found=False, record=None,
                source="部门/数据集", as_of=AS_OF, fetched_at=AS_OF)  # fmt: skip


def derive(gathered: dict[DatasetKey, FactResult], **options: Any) -> dict[str, Any]:
    options.setdefault("applicant", APPLICANT)
    options.setdefault("on", ON)
    return derive_facts(gathered, **options)


ACCOUNT = ("gjj", "fund-account")
WITHDRAWALS = ("gjj", "fund-withdrawals")
PROPERTY = ("bdc", "property-ownership")
REGISTRATION = ("scjg", "enterprise-registration")


# The calendar: Civil Code art. 202, one rule for ages and months


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(1990, 5, 17), date(2026, 5, 16), 35),  # the day before the birthday
        (date(1990, 5, 17), date(2026, 5, 17), 36),  # on the birthday
        (date(1990, 5, 17), date(2026, 12, 31), 36),
        (date(2000, 2, 29), date(2023, 2, 27), 22),
        (date(2000, 2, 29), date(2023, 2, 28), 23),  # a common year: the month's last day
        (date(2000, 2, 29), date(2023, 3, 1), 23),
        (date(2000, 2, 29), date(2024, 2, 28), 23),  # a leap year: the 29th itself
        (date(2000, 2, 29), date(2024, 2, 29), 24),
        (date(2026, 3, 10), date(2026, 3, 10), 0),
    ],
)
def test_age_on_the_application_date(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2026, 1, 15), date(2026, 1, 15), 0),
        (date(2026, 1, 15), date(2026, 2, 14), 0),
        (date(2026, 1, 15), date(2026, 2, 15), 1),
        (date(2026, 1, 31), date(2026, 2, 27), 0),
        (date(2026, 1, 31), date(2026, 2, 28), 1),  # no 31 February: the month's last day
        (date(2026, 1, 31), date(2026, 3, 30), 1),
        (date(2026, 1, 31), date(2026, 3, 31), 2),
        (date(2024, 11, 30), date(2026, 3, 10), 15),
    ],
)
def test_whole_months(start: date, end: date, months: int) -> None:
    assert whole_months(start, end) == months


def test_whole_months_refuses_an_end_before_the_start() -> None:
    with pytest.raises(ValueError, match="before"):
        whole_months(date(2026, 3, 2), date(2026, 3, 1))


# The applicant


def test_applicant_facts_come_from_the_verified_account() -> None:
    facts = derive({})
    provenance = Provenance("applicant", VERIFIED)
    assert facts["applicant.age"] == Known(35, provenance)
    assert facts["applicant.realname_level"] == Known(3, provenance)
    assert ID_NUMBER not in repr(APPLICANT), "the ID number never reaches a log line"
    assert APPLICANT.birth_date == date(1990, 5, 17)


def test_age_is_unknown_without_a_valid_id_number() -> None:
    for id_number in (None, "370202199005171234"):
        applicant = ApplicantFacts(realname_level=1, verified_at=None, id_number=id_number)
        facts = derive({}, applicant=applicant)
        assert facts["applicant.age"] == Unknown("no valid ID number", "applicant")
        assert facts["applicant.realname_level"] == Known(1, Provenance("applicant", None))


# Datasets: values, no record, unavailable, provenance


def test_every_vocabulary_fact_is_derived_with_its_vocabulary_source() -> None:
    facts = derive({})
    assert set(facts) == set(FACTS_BY_NAME)
    for spec in FACTS:
        fact = facts[spec.name]
        source = fact.source if isinstance(fact, Unknown) else fact.provenance.source
        assert source == spec.source, spec.name
        if "/" in spec.source:
            assert fact == Unknown("not gathered", spec.source), "not asked: not guessed"


def test_dataset_facts_carry_the_department_as_of() -> None:
    account = FundAccount(account_number="370200001", status="正常", balance=51840)
    facts = derive({ACCOUNT: found(ACCOUNT, account)})
    provenance = Provenance("gjj/fund-account", AS_OF)
    assert facts["hpf.account_exists"] == Known(True, provenance)
    assert facts["hpf.account_normal"] == Known(True, provenance)
    assert facts["hpf.account_sealed"] == Known(False, provenance)
    assert facts["hpf.balance"] == Known(51840, provenance)


def test_a_sealed_account_is_not_normal() -> None:
    account = FundAccount(account_number="370200001", status="封存", balance=0)
    facts = derive({ACCOUNT: found(ACCOUNT, account)})
    assert facts["hpf.account_normal"].value is False  # type: ignore[union-attr]
    assert facts["hpf.account_sealed"].value is True  # type: ignore[union-attr]


def test_no_fund_account_is_known_and_the_rest_unknown() -> None:
    keys = [ACCOUNT, ("gjj", "fund-contributions"), WITHDRAWALS, ("gjj", "fund-loans")]
    facts = derive({key: no_record(key) for key in keys})
    assert facts["hpf.account_exists"] == Known(False, Provenance("gjj/fund-account", AS_OF))
    for name in ("hpf.account_normal", "hpf.account_sealed", "hpf.balance"):
        assert facts[name] == Unknown("no record", "gjj/fund-account"), name
    assert facts["hpf.consecutive_months"] == Unknown("no record", "gjj/fund-contributions")
    assert facts["hpf.months_since_last_withdrawal"] == Unknown("no record", "gjj/fund-withdrawals")
    assert facts["hpf.has_loan"] == Unknown("no record", "gjj/fund-loans")


def test_no_record_is_the_natural_value_where_the_register_is_complete() -> None:
    keys = [PROPERTY, ("court", "judgment-defaulters"), ("rsj", "talent-certification"),
            ("jyj", "degrees"), ("scjg", "abnormal-operations"), REGISTRATION,
            ("gaj", "no-criminal-record"), ("gaj", "household-registration")]  # fmt: skip
    facts = derive({key: no_record(key) for key in keys})
    values = {name: fact.value for name, fact in facts.items() if isinstance(fact, Known)}
    assert values["property.count_in_qingdao"] == 0
    assert values["property.owns_in_qingdao"] is False
    assert values["credit.court_defaulter"] is False
    assert values["talent.certified"] is False
    assert values["education.degree_rank"] == 0
    assert values["enterprise.abnormal_operation"] is False
    assert values["enterprise.registered"] is False
    assert values["enterprise.active"] is False
    # Silence that says nothing about the person stays for a clerk.
    assert facts["enterprise.applicant_is_representative"] == Unknown(
        "no record", REGISTRATION[0] + "/" + REGISTRATION[1]
    )
    assert facts["criminal.has_record"] == Unknown("no record", "gaj/no-criminal-record")
    assert facts["household.active"] == Unknown("no record", "gaj/household-registration")


def test_an_unavailable_dataset_makes_its_facts_unknown_with_the_reason() -> None:
    facts = derive({PROPERTY: Unavailable("timeout"), ACCOUNT: Unavailable("circuit_open")})
    assert facts["property.count_in_qingdao"] == Unknown(
        "unavailable: timeout", "bdc/property-ownership"
    )
    assert facts["property.owns_in_qingdao"] == Unknown(
        "unavailable: timeout", "bdc/property-ownership"
    )
    for name in ("hpf.account_exists", "hpf.account_normal", "hpf.account_sealed", "hpf.balance"):
        assert facts[name] == Unknown("unavailable: circuit_open", "gjj/fund-account")


def test_a_record_of_the_wrong_shape_is_unknown_not_a_no() -> None:
    facts = derive({PROPERTY: found(PROPERTY, {"count": 0})})
    assert facts["property.owns_in_qingdao"] == Unknown(
        "unexpected record", "bdc/property-ownership"
    )


def test_owning_is_a_count_above_zero() -> None:
    facts = derive({PROPERTY: found(PROPERTY, PropertyOwnership(count=2, properties=()))})
    assert facts["property.count_in_qingdao"].value == 2  # type: ignore[union-attr]
    assert facts["property.owns_in_qingdao"].value is True  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("last", "months"),
    [(None, 999), (date(2026, 3, 10), 0), (date(2025, 12, 11), 2), (date(2025, 12, 10), 3),
     (date(2023, 3, 10), 36)],
)  # fmt: skip
def test_months_since_the_last_withdrawal(last: date | None, months: int) -> None:
    record = FundWithdrawals(last_withdrawal_date=last)
    facts = derive({WITHDRAWALS: found(WITHDRAWALS, record)})
    provenance = Provenance("gjj/fund-withdrawals", AS_OF)
    assert facts["hpf.months_since_last_withdrawal"] == Known(months, provenance)


def test_a_withdrawal_after_the_application_date_is_unknown() -> None:
    record = FundWithdrawals(last_withdrawal_date=date(2026, 3, 11))
    facts = derive({WITHDRAWALS: found(WITHDRAWALS, record)})
    fact = facts["hpf.months_since_last_withdrawal"]
    assert isinstance(fact, Unknown)
    assert fact.source == "gjj/fund-withdrawals"


def test_only_a_loan_still_owing_counts() -> None:
    key = ("gjj", "fund-loans")
    loan = FundLoan(contract_number="GJJ-1", amount=600000, start_date=date(2015, 1, 1),
                    outstanding=0)  # fmt: skip
    paid_off = derive({key: found(key, FundLoans(has_loan=True, loans=(loan,)))})
    assert paid_off["hpf.has_loan"].value is False  # type: ignore[union-attr]
    owing = loan.model_copy(update={"outstanding": 120000})
    assert (
        derive({key: found(key, FundLoans(has_loan=True, loans=(owing,)))})["hpf.has_loan"].value
        is True
    )  # type: ignore[union-attr]
    assert derive({key: found(key, FundLoans(has_loan=False))})["hpf.has_loan"].value is False  # type: ignore[union-attr]


def _registration(representative: str, agent: str, status: str = "存续") -> EnterpriseRegistration:
    return EnterpriseRegistration(
        uscc="91370200MA3C00001X", name="青岛墨香印刷有限公司", status=status,
        legal_representative_name="刘建国", legal_representative_id_number=representative,
        authorised_agents=[AuthorisedAgent(name="王五", id_number=agent)],
        registered_capital=500, established_on=date(2020, 6, 1), business_scope="印刷",
        address="青岛市市南区香港中路 1 号",
    )  # fmt: skip


def test_the_applicant_represents_as_legal_representative_or_authorised_agent() -> None:
    other = make_resident_id("370203", date(1980, 1, 1), 21)
    with_x = make_resident_id("370202", date(1985, 7, 2), 2)
    cases = {
        "representative": (_registration(ID_NUMBER, other), True),
        "agent": (_registration(other, ID_NUMBER), True),
        "neither": (_registration(other, other), False),
    }
    for case, (record, expected) in cases.items():
        facts = derive({REGISTRATION: found(REGISTRATION, record)})
        fact = facts["enterprise.applicant_is_representative"]
        assert fact == Known(expected, Provenance("scjg/enterprise-registration", AS_OF)), case
    lower = ApplicantFacts(realname_level=3, verified_at=None, id_number=with_x.lower())
    record = _registration(with_x, other)
    facts = derive({REGISTRATION: found(REGISTRATION, record)}, applicant=lower)
    assert facts["enterprise.applicant_is_representative"].value is True  # type: ignore[union-attr]
    anonymous = ApplicantFacts(realname_level=1, verified_at=None)
    facts = derive({REGISTRATION: found(REGISTRATION, record)}, applicant=anonymous)
    assert isinstance(facts["enterprise.applicant_is_representative"], Unknown)


def test_only_a_surviving_enterprise_is_active() -> None:
    for status, active in (("存续", True), ("在营", True), ("注销", False), ("吊销", False)):
        record = _registration(ID_NUMBER, ID_NUMBER, status)
        facts = derive({REGISTRATION: found(REGISTRATION, record)})
        assert facts["enterprise.registered"].value is True  # type: ignore[union-attr]
        assert facts["enterprise.active"].value is active, status  # type: ignore[union-attr]


# The license the service renews, and the form


def test_license_facts() -> None:
    changed = datetime(2026, 1, 5, tzinfo=UTC)
    registry = Provenance("registry", changed)
    valid = derive({}, license=HeldLicense("valid", date(2026, 4, 9), changed))
    assert valid["license.held"] == Known(True, registry)
    assert valid["license.valid"] == Known(True, registry)
    assert valid["license.days_to_expiry"] == Known(30, registry)
    last_day = derive({}, license=HeldLicense("valid", ON, changed))
    assert last_day["license.valid"].value is True  # type: ignore[union-attr]
    assert last_day["license.days_to_expiry"].value == 0  # type: ignore[union-attr]
    # Read as valid yesterday, past its last day on the application date.
    lapsed = derive({}, license=HeldLicense("valid", date(2026, 3, 9), changed))
    assert lapsed["license.valid"].value is False  # type: ignore[union-attr]
    assert lapsed["license.days_to_expiry"].value == -1  # type: ignore[union-attr]
    suspended = derive({}, license=HeldLicense("suspended", date(2027, 1, 1), changed))
    assert suspended["license.valid"].value is False  # type: ignore[union-attr]
    permanent = derive({}, license=HeldLicense("valid", None, changed))
    assert permanent["license.valid"].value is True  # type: ignore[union-attr]
    assert permanent["license.days_to_expiry"] == Unknown("no expiry date", "registry")
    none = derive({})
    assert none["license.held"] == Known(False, Provenance("registry"))
    assert none["license.valid"] == Known(False, Provenance("registry"))
    assert none["license.days_to_expiry"] == Unknown("no license held", "registry")


def test_form_facts() -> None:
    form = {"rent_monthly": 2500, "lease_start": date(2026, 1, 1), "city": "青岛",
            "agreed": True, "note": None, "rooms": ["a", "b"]}  # fmt: skip
    facts = derive({}, form=form)
    provenance = Provenance("form")
    assert facts["form.rent_monthly"] == Known(2500, provenance)
    assert facts["form.lease_start"] == Known(date(2026, 1, 1), provenance)
    assert facts["form.city"] == Known("青岛", provenance)
    assert facts["form.agreed"] == Known(True, provenance)
    assert facts["form.note"] == Known(None, provenance)
    assert facts["form.rooms"] == Unknown("not a single value", "form")


# Which datasets a ruleset needs


def test_datasets_for_names_exactly_the_datasets_of_the_facts() -> None:
    names = ["hpf.account_normal", "property.owns_in_qingdao", "hpf.balance", "applicant.age",
             "license.valid", "form.rent_monthly", "credit.court_defaulter"]  # fmt: skip
    assert datasets_for(names) == [
        ("bdc", "property-ownership"),
        ("gjj", "fund-account"),
        ("court", "judgment-defaulters"),
    ]
    assert datasets_for([]) == []
    with pytest.raises(ValueError, match=r"hpf\.no_such_fact"):
        datasets_for(["hpf.no_such_fact"])


def test_every_dataset_of_the_vocabulary_is_derived() -> None:
    everything = datasets_for([spec.name for spec in FACTS])
    facts = derive({key: Unavailable("deadline") for key in everything})
    for spec in FACTS:
        if "/" in spec.source:
            assert facts[spec.name] == Unknown("unavailable: deadline", spec.source)
