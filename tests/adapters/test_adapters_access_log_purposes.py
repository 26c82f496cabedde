"""Purpose binding: a read needs a purpose, and the policy decides which datasets it may read."""

from __future__ import annotations

import pytest

from app.adapters.errors import PurposeNotAllowed, PurposeRequired
from app.adapters.purposes import DEFAULT_POLICY, Purpose, PurposeRule, check_purpose


@pytest.mark.parametrize("purpose", [None, "", "   "])
def test_a_read_without_purpose_is_refused(purpose: str | None) -> None:
    with pytest.raises(PurposeRequired) as caught:
        check_purpose(purpose, "gaj", "identity-verification")
    assert caught.value.status == 400
    assert caught.value.code == "exchange.purpose_required"


@pytest.mark.parametrize(
    ("purpose", "department", "dataset"),
    [
        ("identity-verification", "gjj", "fund-account"),  # dataset outside the purpose's set
        ("identity-verification", "gaj", "household-registration"),
        ("license-verification", "bdc", "property-ownership"),
        ("marketing", "gaj", "identity-verification"),  # unknown kind
        ("application", "gjj", "fund-account"),  # a case purpose must name its service
        ("Application:gjj.withdraw.rent", "gjj", "fund-account"),  # malformed code
        ("application:gjj.withdraw.rent", "jtj", "bus-card-usage"),
    ],
)
def test_a_purpose_the_policy_does_not_allow_is_refused(
    purpose: str, department: str, dataset: str
) -> None:
    with pytest.raises(PurposeNotAllowed) as caught:
        check_purpose(purpose, department, dataset)
    assert caught.value.status == 403
    assert caught.value.code == "exchange.purpose_not_allowed"


def test_allowed_purposes_pass_and_are_parsed() -> None:
    assert check_purpose("identity-verification", "gaj", "face-verification") == Purpose(
        "identity-verification"
    )
    case = check_purpose("application:gjj.withdraw.rent", "gjj", "fund-account")
    assert case == Purpose("application", "gjj.withdraw.rent")
    assert case.code == "application:gjj.withdraw.rent"
    assert check_purpose(
        "pension-qualification-campaign:2026", "ybj", "medical-claims"
    ).reference == ("2026")


def test_the_policy_is_configuration() -> None:
    policy = {**DEFAULT_POLICY, "review": PurposeRule(frozenset({"gjj/fund-account"}))}
    assert check_purpose("review", "gjj", "fund-account", policy=policy).kind == "review"
    with pytest.raises(PurposeNotAllowed):
        check_purpose("review", "gaj", "identity-verification", policy=policy)
    check_purpose("review", "gaj", "identity-verification")  # the default still allows it


def test_every_policy_entry_names_a_known_department_and_dataset() -> None:
    # A typo in the policy would silently refuse every read it was meant to allow.
    from app.adapters.simulator.datasets import DEPARTMENTS
    from app.adapters.simulator.pension import FEEDS

    # A campaign's batch feeds, roster and payment instructions are routes of their own.
    campaigns = {"/".join(feed) for feed in FEEDS} | {
        "rsj/pension-recipients",
        "rsj/pension-payments",
    }
    for kind, rule in DEFAULT_POLICY.items():
        for entry in rule.datasets:
            if entry in campaigns:
                continue
            department, _, dataset = entry.partition("/")
            assert department in DEPARTMENTS, (kind, entry)
            assert dataset == "*" or DEPARTMENTS[department].dataset(dataset), (kind, entry)
