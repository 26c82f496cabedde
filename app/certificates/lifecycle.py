"""The license lifecycle: which action is allowed from which status, and validity dates.

Framework- and database-free. "expired" is never stored: it is read from `valid_until` and
today's date in Asia/Shanghai (where licenses are valid), so no nightly job has to flip rows.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from app.certificates.models import LicenseStatus
from app.kit.clock import to_shanghai, utcnow

EXPIRED = "expired"


class Action(StrEnum):
    """What an issuer may do to a license, and the audit action it records."""

    SUSPEND = "suspend"  # 暂扣
    REINSTATE = "reinstate"  # 恢复
    REVOKE = "revoke"  # 撤销 / 吊销, final
    CANCEL = "cancel"  # 注销, final
    RENEW = "renew"  # 换证 / 延续: a new version supersedes this one

    @property
    def audit_action(self) -> str:
        """The audit record's action, e.g. `license.suspended`."""
        return f"license.{_PAST[self]}"


_PAST = {
    Action.SUSPEND: "suspended",
    Action.REINSTATE: "reinstated",
    Action.REVOKE: "revoked",
    Action.CANCEL: "cancelled",
    Action.RENEW: "renewed",
}

# The statuses (as read, "expired" included) each action starts from. An expired license
# can still be renewed (延续) or cancelled (注销), but suspending or revoking what is no longer
# in force means nothing.
ALLOWED_FROM: dict[Action, frozenset[str]] = {
    Action.SUSPEND: frozenset({LicenseStatus.VALID}),
    Action.REINSTATE: frozenset({LicenseStatus.SUSPENDED}),
    Action.REVOKE: frozenset({LicenseStatus.VALID, LicenseStatus.SUSPENDED}),
    Action.CANCEL: frozenset({LicenseStatus.VALID, LicenseStatus.SUSPENDED, EXPIRED}),
    Action.RENEW: frozenset({LicenseStatus.VALID, EXPIRED}),
}

# The stored status of the license the action is applied to, afterwards.
RESULT: dict[Action, LicenseStatus] = {
    Action.SUSPEND: LicenseStatus.SUSPENDED,
    Action.REINSTATE: LicenseStatus.VALID,
    Action.REVOKE: LicenseStatus.REVOKED,
    Action.CANCEL: LicenseStatus.CANCELLED,
    Action.RENEW: LicenseStatus.SUPERSEDED,
}


def today() -> date:
    """Today's date in Asia/Shanghai."""
    return to_shanghai(utcnow()).date()


def read_status(status: str, valid_until: date | None, on: date) -> str:
    """The status a reader sees on `on`: a valid license past its last day is "expired"."""
    if status == LicenseStatus.VALID and valid_until is not None and valid_until < on:
        return EXPIRED
    return status


def allows(action: Action, status_read: str) -> bool:
    """Whether `action` may be applied to a license whose status reads `status_read`."""
    return status_read in ALLOWED_FROM[action]


def valid_until_for(valid_from: date, validity_years: int | None) -> date | None:
    """The last day of a term of `validity_years` starting on `valid_from` (None: no expiry).

    A five-year license from 2026-03-01 is valid through 2031-02-28, as printed licenses read.
    """
    if validity_years is None:
        return None
    try:
        anniversary = valid_from.replace(year=valid_from.year + validity_years)
    except ValueError:  # 29 February in a year that has none
        anniversary = valid_from.replace(year=valid_from.year + validity_years, day=28)
        anniversary += timedelta(days=1)
    return anniversary - timedelta(days=1)
