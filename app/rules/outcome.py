"""What an approval does, as the ruleset declares it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from app.rules.amount import AmountTerm
from app.rules.conditions import _Schema

OutcomeKind = Literal["disbursement", "license", "renewal", "instruction"]
_CODE = r"^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$"


class ApprovalOutcome(_Schema):
    """What an approval does (DESIGN §2, principle 5: an approval always produces something).

    - `disbursement`: pays `amount` (a formula over verified facts and parameters) to the account
      the paying department holds, at most once per `entitlement` however requests race;
    - `license`: issues a new e-license of `license_type`;
    - `renewal`: renews the applicant's license of `license_type`;
    - `instruction`: tells `department` to carry out `action` (open an account, move a
      household), as a durable job whose state shows in the case's timeline.

    `entitlement` names what is granted once (per period, as the criteria on the platform's
    `entitlement.*` facts say); a disbursement must have one. `records` are the department
    datasets the outcome is built from beyond those the criteria read (a certificate's fields):
    gathered with them, under the same purpose.
    """

    kind: OutcomeKind
    license_type: str | None = Field(default=None, pattern=_CODE)
    department: str | None = Field(default=None, pattern=r"^[a-z]+$")
    action: str | None = Field(default=None, pattern=_CODE)
    entitlement: str | None = Field(default=None, pattern=_CODE)
    amount: AmountTerm | None = None
    records: tuple[Annotated[str, Field(pattern=r"^[a-z]+/[a-z0-9-]+$")], ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> ApprovalOutcome:
        needs = {
            "disbursement": ("entitlement", "amount"),
            "license": ("license_type",),
            "renewal": ("license_type",),
            "instruction": ("department", "action"),
        }[self.kind]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} outcome needs {', '.join(missing)}")
        if self.amount is not None and self.kind != "disbursement":
            raise ValueError("only a disbursement has an amount")
        return self
