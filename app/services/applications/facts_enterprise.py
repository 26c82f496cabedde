"""Facts about an enterprise (the subject is its USCC), from market regulation."""

from __future__ import annotations

from app.adapters.records import AbnormalOperations, EnterpriseRegistration, HygieneInspection
from app.services.applications.facts_dataset import (
    NO_RECORD,
    AnyDatasetFacts,
    Context,
    DatasetFacts,
    Missing,
    Values,
)

# 存续 and its synonyms in registration data (在营, 开业, 在册); 注销, 吊销, 迁出 … are not.
ACTIVE_STATUSES = frozenset({"存续", "在营", "开业", "在册"})

REGISTRATION = ("scjg", "enterprise-registration")
ABNORMAL_OPERATIONS = ("scjg", "abnormal-operations")


def _normalised(id_number: str) -> str:
    # The check character may be written "x"; ID numbers compare upper-case.
    return id_number.strip().upper()


def represents(registration: EnterpriseRegistration, id_number: str) -> bool:
    """Whether the person is the legal representative or an authorised agent."""
    wanted = _normalised(id_number)
    people = [registration.legal_representative_id_number]
    people += [agent.id_number for agent in registration.authorised_agents]
    return any(_normalised(number) == wanted for number in people)


def _registration(r: EnterpriseRegistration, context: Context) -> Values:
    applicant = context.applicant_id_number
    return {
        "enterprise.registered": True,
        "enterprise.active": r.status in ACTIVE_STATUSES,
        "enterprise.applicant_is_representative": (
            Missing("applicant has no verified ID number")
            if applicant is None
            else represents(r, applicant)
        ),
    }


def _abnormal(r: AbnormalOperations, _: Context) -> Values:
    return {"enterprise.abnormal_operation": r.listed}


def _inspection(r: HygieneInspection, _: Context) -> Values:
    return {"premises.conditions_unchanged": r.conditions_unchanged}


ENTERPRISE: tuple[AnyDatasetFacts, ...] = (
    DatasetFacts(
        REGISTRATION, EnterpriseRegistration,
        ("enterprise.registered", "enterprise.active", "enterprise.applicant_is_representative"),
        _registration,
        # The register of every enterprise: no record is not registered, hence not active;
        # whom it would be represented by is not a question with an answer.
        absent={"enterprise.registered": False, "enterprise.active": False,
                "enterprise.applicant_is_representative": Missing(NO_RECORD)},
    ),
    DatasetFacts(
        ABNORMAL_OPERATIONS, AbnormalOperations, ("enterprise.abnormal_operation",), _abnormal,
        # The list is the record: not on it is not listed.
        absent={"enterprise.abnormal_operation": False},
    ),
    DatasetFacts(
        ("wjw", "hygiene-inspections"), HygieneInspection, ("premises.conditions_unchanged",),
        _inspection,
        # Not inspected yet says nothing about the premises: a commitment stays unchecked.
        absent={"premises.conditions_unchanged": Missing(NO_RECORD)},
    ),
)  # fmt: skip
