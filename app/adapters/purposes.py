"""Purpose binding: which purposes may read which department datasets.

A purpose code is `<kind>` or `<kind>:<reference>`, e.g. "review",
"application:20261124000042" (serving that case). The policy is data, not code:
`DEFAULT_POLICY` maps each purpose kind to the datasets it may read, written as
"<department>/<dataset>" or "<department>/*" for every dataset of a department, with the codes
the department systems use (see the simulator's catalogue). Callers (and, later, settings) may
pass another policy to `check_purpose`.

That policy is the outer bound. A purpose whose reference names a record — a case — is also
bound by it: the domain that owns such records registers a `ScopeResolver` for the kind
(`register_scope`), and `check_scope` asks it which datasets the referenced case may read, and
about whom. A case of a 秒批 service may read exactly the datasets its ruleset needs (and its
outcome and commitments), about its own applicant; an unknown reference reads nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from app.adapters.errors import PurposeNotAllowed, PurposeRequired

ANY_DATASET = "*"


@dataclass(frozen=True, slots=True)
class PurposeRule:
    """What one purpose kind may read, and whether its code must carry a reference."""

    datasets: frozenset[str]
    reference_required: bool = False


PurposePolicy = Mapping[str, PurposeRule]


def _rule(*datasets: str, reference_required: bool = False) -> PurposeRule:
    return PurposeRule(frozenset(datasets), reference_required)


_UTILITIES = ("water/*", "power/*", "gas/*", "heat/*", "catv/*", "broadband/*", "citycard/*")
# What a case may read, and so what the clerk reviewing it may read too.
_CASE_DEPARTMENTS = (
    *("gaj/*", "mzj/*", "rsj/*", "tax/*", "ybj/*", "bdc/*", "gjj/*", "scjg/*", "jyj/*", "zjj/*"),
    *("wjw/*", "court/*", "sfj/*"),
    *_UTILITIES,
)

DEFAULT_POLICY: PurposePolicy = {
    # Serving a case of a service: the reference names the service code.
    "application": _rule(
        *_CASE_DEPARTMENTS,
        reference_required=True,
    ),
    # The daily renewal-offer scan (无感审批): the reference names the expiring license, and the
    # renewal ruleset says which datasets it may read about its holder (check_scope).
    "renewal-offer": _rule(*_CASE_DEPARTMENTS, reference_required=True),
    # Sending a case's paper copy by courier: an order, not a read; the reference names the case.
    "delivery": _rule(reference_required=True),
    # A clerk reviewing a case that was not approved automatically sees what the case saw.
    "review": _rule(
        *_CASE_DEPARTMENTS,
    ),
    # Filling a service's form before there is a case: the reference names the service, and the
    # service's form and materials say which of these datasets it may read (check_scope).
    "prefill": _rule(*_CASE_DEPARTMENTS, reference_required=True),
    # A linked-services case (一件事一次办, app/services/bundles): the registry's title record
    # of its seller and its dwelling's utility accounts; the reference names the case.
    "bundle": _rule("bdc/property-ownership", *_UTILITIES, reference_required=True),
    "identity-verification": _rule("gaj/identity-verification", "gaj/face-verification"),
    # A person asking to act for an enterprise: is he its representative or authorised agent?
    "act-for-enterprise": _rule("scjg/enterprise-registration"),
    # Silent re-qualification of pensioners: life signals from many departments, never finances.
    "pension-qualification-campaign": _rule(
        "gaj/household-registration",
        "gaj/face-verification",
        "mzj/cremation-records",
        "rsj/pension-entitlement",
        "ybj/medical-claims",
        "wjw/death-certificates",
        "wjw/hospital-visits",
        "sfj/prison-records",
        "jtj/bus-card-usage",
        # The campaign's batch feeds (app.adapters.pension_feeds) and its payment instructions.
        "rsj/pension-recipients",
        "rsj/pension-payments",
        "ybj/medical-settlements",
        "jtj/transport-card-use",
        "rsj/social-security-card-use",
        "bank/pension-withdrawals",
        "gaj/residence-travel",
        "wjw/deaths",
        "mzj/cremations",
        "gaj/household-cancellations",
        "sfj/imprisonments",
    ),
    # A verifier of a person's city code (一码通城): only the datasets behind the attributes a
    # code's purpose may show (app/codes/data/purposes.yaml); the reference names the purpose.
    "city-code": _rule(
        "ybj/medical-enrolment",
        "rsj/social-insurance-contributions",
        reference_required=True,
    ),
    "license-verification": _rule(
        "scjg/enterprise-registration",
        "scjg/abnormal-operations",
        "gaj/identity-verification",
        "jyj/school-licences",
        "wjw/hygiene-permits",
    ),
    # The citizen looking at their own records; the identity issue binds the subject to them.
    "citizen-self-service": _rule(
        "gaj/*",
        "mzj/*",
        "rsj/*",
        "tax/*",
        "ybj/*",
        "bdc/*",
        "gjj/*",
        "jyj/*",
        "wjw/*",
        "zjj/*",
        *_UTILITIES,
    ),
}

_CODE = re.compile(r"[a-z][a-z0-9-]{0,63}(:[A-Za-z0-9][A-Za-z0-9._/-]{0,190})?")


@dataclass(frozen=True, slots=True)
class Purpose:
    """A checked purpose: its kind and optional reference (a service code, a campaign id)."""

    kind: str
    reference: str | None = None

    @property
    def code(self) -> str:
        """The purpose as written in the data-access log."""
        return self.kind if self.reference is None else f"{self.kind}:{self.reference}"


def parse_purpose(purpose: str | None) -> Purpose:
    """Parse a purpose code; refuse a missing or blank one."""
    if purpose is None or not purpose.strip():
        raise PurposeRequired(
            "调取部门数据须说明用途", "A read of department data must state a purpose"
        )
    if not _CODE.fullmatch(purpose):
        raise PurposeNotAllowed("用途代码格式不正确", "The purpose code is malformed")
    kind, _, reference = purpose.partition(":")
    return Purpose(kind, reference or None)


def check_purpose(
    purpose: str | None, department: str, dataset: str, *, policy: PurposePolicy = DEFAULT_POLICY
) -> Purpose:
    """Return the parsed purpose if the policy lets it read `department`/`dataset`, else raise."""
    parsed = parse_purpose(purpose)
    rule = policy.get(parsed.kind)
    if rule is None:
        raise PurposeNotAllowed("未登记的用途", f"Unknown purpose kind {parsed.kind!r}")
    if rule.reference_required and parsed.reference is None:
        raise PurposeNotAllowed(
            "该用途须注明所办事项", f"Purpose {parsed.kind!r} must name what it serves"
        )
    if (
        f"{department}/{dataset}" not in rule.datasets
        and f"{department}/{ANY_DATASET}" not in rule.datasets
    ):
        raise PurposeNotAllowed(
            "该用途无权调取此数据",
            f"Purpose {parsed.kind!r} may not read {department}/{dataset}",
            extra={"department": department, "dataset": dataset, "purpose": parsed.code},
        )
    return parsed


@dataclass(frozen=True, slots=True)
class Scope:
    """What a purpose's reference allows: these datasets ("gjj/fund-account"), about these
    subjects (ID numbers or credit codes, as the subjects carry them; None: whoever the caller
    serves, as for a service's prefill, which reads about the signed-in applicant)."""

    datasets: frozenset[str]
    subjects: frozenset[str] | None


# (session, reference) → the scope of the referenced record, or None when there is none.
ScopeResolver = Callable[[Any, str], Awaitable[Scope | None]]
_SCOPES: dict[str, ScopeResolver] = {}


def register_scope(kind: str, resolver: ScopeResolver) -> None:
    """Bind the purposes of `kind` to the records their references name."""
    _SCOPES[kind] = resolver


async def check_scope(
    session: Any, purpose: Purpose, subject: str, datasets: Collection[str]
) -> None:
    """PurposeNotAllowed unless the purpose's reference allows reading `datasets` about
    `subject` (a kind with no registered resolver is bound by the policy alone)."""
    resolver = _SCOPES.get(purpose.kind)
    if resolver is None:
        return
    scope = None
    if purpose.reference is not None and session is not None:
        scope = await resolver(session, purpose.reference)
    if scope is None:
        raise PurposeNotAllowed(
            "用途所述办件不存在", f"{purpose.code} names no record this purpose may serve"
        )
    beyond = sorted(set(datasets) - scope.datasets)
    if beyond:
        raise PurposeNotAllowed(
            "该办件无需调取此数据",
            f"{purpose.code} may not read {', '.join(beyond)}",
            extra={"purpose": purpose.code, "datasets": beyond},
        )
    if scope.subjects is not None and subject.strip().upper() not in scope.subjects:
        raise PurposeNotAllowed(
            "该办件不涉及此人或企业", f"{purpose.code} is not about this subject"
        )
