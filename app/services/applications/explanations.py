"""A case's decision as stored (`Application.decision`) and as shown.

Stored as `{"rules": {...}, "review": {...}}`: what the rules found (outcome approve or refer,
the ruleset version, every criterion with value, requirement and source) and, once a clerk
decided, their outcome and reason. Shown as one `DecisionRead`: the clerk's outcome when there
is one, with the rules' criteria kept in view.
"""

from __future__ import annotations

from typing import Any

from app.services.applications.schemas import (
    AmountRead,
    CommitmentRead,
    CriterionRead,
    DecisionRead,
)


def read(stored: dict[str, Any] | None) -> DecisionRead | None:
    """The decision to show, or None while nobody has decided."""
    if not stored:
        return None
    rules: dict[str, Any] | None = stored.get("rules")
    review: dict[str, Any] | None = stored.get("review")
    criteria = [CriterionRead.model_validate(c) for c in (rules or {}).get("criteria", [])]
    version = rules.get("ruleset_version") if rules else None
    amount = (rules or {}).get("amount")
    shared: dict[str, Any] = {
        "ruleset_version": version,
        "criteria": criteria,
        "amount": AmountRead.model_validate(amount) if amount else None,
        "commitments": [
            CommitmentRead.model_validate(c) for c in (rules or {}).get("commitments", [])
        ],
    }
    if review is not None and "outcome" in review:
        return DecisionRead(
            outcome=review["outcome"], decided_by="clerk", decided_at=review["decided_at"],
            reason=review.get("reason"), paid_amount=review.get("amount"), **shared,
        )  # fmt: skip
    if rules is None:
        return None
    paid = (amount or {}).get("value") if rules.get("outcome") == "approve" else None
    return DecisionRead(
        outcome=rules["outcome"], decided_by="rules", decided_at=rules["decided_at"],
        paid_amount=paid, **shared,
    )  # fmt: skip
