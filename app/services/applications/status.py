"""The status machine of an application, as data.

    submitted ─▶ approved                      (the rules approved it: 秒批)
              └▶ pending_review ─▶ in_review ─▶ approved | rejected
                                              └▶ supplement_requested ─▶ resubmitted ─▶ in_review …
    pending_review, supplement_requested, resubmitted ─▶ withdrawn   (by the applicant)
    in_review ─▶ pending_review   (the clerk releases it, or the claim expires)
    approved ─▶ commitment_breached ─▶ in_review …   (a commitment's later check failed)

Only a person says no (DESIGN §2): `rejected` is reached from `in_review` alone, that is by a
clerk who claimed the case.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    PENDING_REVIEW = "pending_review"
    IN_REVIEW = "in_review"
    REJECTED = "rejected"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    RESUBMITTED = "resubmitted"
    WITHDRAWN = "withdrawn"
    COMMITMENT_BREACHED = "commitment_breached"


ALLOWED: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.APPROVED, Status.PENDING_REVIEW}),
    Status.PENDING_REVIEW: frozenset({Status.IN_REVIEW, Status.WITHDRAWN}),
    Status.IN_REVIEW: frozenset(
        {Status.APPROVED, Status.REJECTED, Status.SUPPLEMENT_REQUESTED, Status.PENDING_REVIEW}
    ),
    Status.SUPPLEMENT_REQUESTED: frozenset({Status.RESUBMITTED, Status.WITHDRAWN}),
    Status.RESUBMITTED: frozenset({Status.IN_REVIEW, Status.WITHDRAWN}),
    # Approved on a commitment (告知承诺) that the departments' data later contradicts: back to
    # a clerk, who upholds the approval or rejects (the only way an approval is reopened).
    Status.APPROVED: frozenset({Status.COMMITMENT_BREACHED}),
    Status.COMMITMENT_BREACHED: frozenset({Status.IN_REVIEW}),
    Status.REJECTED: frozenset(),
    Status.WITHDRAWN: frozenset(),
}

# Waiting for a clerk: what the queue lists and a claim starts from.
AWAITING_CLERK = frozenset({Status.PENDING_REVIEW, Status.RESUBMITTED, Status.COMMITMENT_BREACHED})
# Not yet decided: an applicant has at most one such case per service (another submission is
# 409), which the database enforces (Application.open_key).
OPEN = frozenset(
    {
        Status.SUBMITTED,
        Status.PENDING_REVIEW,
        Status.IN_REVIEW,
        Status.SUPPLEMENT_REQUESTED,
        Status.RESUBMITTED,
        Status.COMMITMENT_BREACHED,
    }
)


def allows(current: str, target: Status) -> bool:
    """Whether a case in `current` may move to `target`."""
    return target in ALLOWED.get(Status(current), frozenset())
