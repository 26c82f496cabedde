"""Facts for the rules engine, derived in code and each keeping its provenance.

`derive_facts` turns what an application gathered — department datasets, the verified
applicant, the license the service renews, the platform's own grants of the entitlement, the
submitted form — into the facts the rules vocabulary (app/rules/vocabulary.py) names: every fact
of the vocabulary, plus `form.<field>` for each submitted field. Dataset facts carry
"<department>/<dataset>" and the department's `as_of`; applicant facts "applicant" and the
real-name verification time; registry facts "registry"; the platform's facts "platform" and the
time of its last grant; form facts "form" (declared: see app/rules/vocabulary.py). A fact that
cannot be had is `Unknown` with the reason, so a rule needing it goes to a clerk (DESIGN §2,
principle 1). No I/O: the date is passed in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from app.adapters.service import DatasetKey, FactResult
from app.kit.resident_id import InvalidResidentId, parse_resident_id
from app.rules.facts import FactValue, Known, Provenance, Unknown
from app.rules.vocabulary import FACTS, FORM_PREFIX, PLATFORM_SOURCE, is_known
from app.services.applications.entitlements import GrantHistory
from app.services.applications.facts_calendar import age_on, whole_months
from app.services.applications.facts_dataset import AnyDatasetFacts, Context
from app.services.applications.facts_enterprise import ENTERPRISE
from app.services.applications.facts_housing import HOUSING
from app.services.applications.facts_people import PEOPLE

APPLICANT = "applicant"
# What the vocabulary promises for "never granted" (as for hpf.months_since_last_withdrawal).
NEVER_GRANTED = 999
REGISTRY = "registry"
FORM = "form"
VALID = "valid"

DATASET_FACTS: tuple[AnyDatasetFacts, ...] = PEOPLE + HOUSING + ENTERPRISE
# Gathered with the enterprise's USCC as the subject, not the applicant's ID number: the
# datasets enterprise facts come from, and those outcomes build an enterprise's papers from.
ENTERPRISE_DATASETS: frozenset[DatasetKey] = frozenset(spec.key for spec in ENTERPRISE) | {
    ("gjj", "unit-account"),
    ("rsj", "unit-staff"),
    ("wjw", "health-certificates"),
    ("wjw", "hygiene-permits"),
    ("jyj", "school-licences"),
    ("tax", "enterprise-tax-credit"),
}
_NO_FORM: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ApplicantFacts:
    """What the applicant's real-name verified account says about them."""

    realname_level: int
    verified_at: datetime | None
    # Read for the birth date and matched against enterprise representatives; never logged.
    id_number: str | None = field(default=None, repr=False)

    @property
    def birth_date(self) -> date | None:
        """The birth date encoded in the ID number (None without a valid one)."""
        if self.id_number is None:
            return None
        try:
            return parse_resident_id(self.id_number).birth_date
        except InvalidResidentId:
            return None


@dataclass(frozen=True, slots=True)
class HeldLicense:
    """The applicant's license of the type the service renews, as the registry reads it."""

    status: str  # as read: "valid", "expired", "suspended", "revoked", "cancelled"
    valid_until: date | None  # None: no expiry
    as_of: datetime | None = None  # when the registry last changed it


def datasets_for(fact_names: Collection[str]) -> list[DatasetKey]:
    """The department datasets these facts are derived from, in vocabulary order.

    ValueError for a name the vocabulary does not know (form facts need no dataset).
    """
    unknown = [name for name in fact_names if not is_known(name)]
    if unknown:
        raise ValueError(f"facts not in the vocabulary: {', '.join(sorted(unknown))}")
    wanted = set(fact_names)
    keys: dict[DatasetKey, None] = {}
    for spec in FACTS:
        if spec.name in wanted and "/" in spec.source:
            department, dataset = spec.source.split("/", 1)
            keys[(department, dataset)] = None
    return list(keys)


def derive_facts(
    gathered: Mapping[DatasetKey, FactResult],
    *,
    applicant: ApplicantFacts,
    on: date,
    license: HeldLicense | None = None,
    grants: GrantHistory | None = None,
    form: Mapping[str, Any] = _NO_FORM,
) -> dict[str, FactValue]:
    """Every vocabulary fact (Unknown when its dataset was not gathered) and the form's."""
    context = Context(on=on, applicant_id_number=applicant.id_number)
    facts: dict[str, FactValue] = {}
    for spec in DATASET_FACTS:
        facts.update(spec.facts(gathered.get(spec.key), context))
    facts.update(applicant_facts(applicant, on))
    facts.update(license_facts(license, on))
    facts.update(entitlement_facts(grants, on))
    facts.update(form_facts(form))
    return facts


def entitlement_facts(grants: GrantHistory | None, on: date) -> dict[str, FactValue]:
    """The platform's own approvals of the ruleset's entitlement for this applicant."""
    names = ("entitlement.months_since_last_grant", "entitlement.granted_before")
    if grants is None:
        return {
            name: Unknown("the ruleset names no entitlement", PLATFORM_SOURCE) for name in names
        }
    provenance = Provenance(PLATFORM_SOURCE, grants.last_granted_at)
    last = grants.last_granted_on
    months = NEVER_GRANTED if last is None else whole_months(min(last, on), on)
    return {
        "entitlement.months_since_last_grant": Known(months, provenance),
        "entitlement.granted_before": Known(grants.count > 0, provenance),
    }


def applicant_facts(applicant: ApplicantFacts, on: date) -> dict[str, FactValue]:
    """applicant.age on the application date and applicant.realname_level."""
    provenance = Provenance(APPLICANT, applicant.verified_at)
    birth = applicant.birth_date
    age: FactValue
    if birth is None:
        age = Unknown("no valid ID number", APPLICANT)
    elif birth > on:
        age = Unknown("born after the application date", APPLICANT)
    else:
        age = Known(age_on(birth, on), provenance)
    return {
        "applicant.age": age,
        "applicant.realname_level": Known(applicant.realname_level, provenance),
    }


def license_facts(held: HeldLicense | None, on: date) -> dict[str, FactValue]:
    """license.held, license.valid and license.days_to_expiry on the application date."""
    if held is None:
        provenance = Provenance(REGISTRY)
        return {
            "license.held": Known(False, provenance),
            "license.valid": Known(False, provenance),
            "license.days_to_expiry": Unknown("no license held", REGISTRY),
        }
    provenance = Provenance(REGISTRY, held.as_of)
    # The status was read on the registry's today; judged again on the application date.
    in_term = held.valid_until is None or on <= held.valid_until
    days: FactValue = (
        # No expiry date: no number of days is true, and inventing a large one would let a
        # renewal-window rule pass or fail on a value nobody stated; a clerk looks instead.
        Unknown("no expiry date", REGISTRY)
        if held.valid_until is None
        # Negative once expired: how long ago, which late-renewal rules may test.
        else Known((held.valid_until - on).days, provenance)
    )
    return {
        "license.held": Known(True, provenance),
        "license.valid": Known(held.status == VALID and in_term, provenance),
        "license.days_to_expiry": days,
    }


def form_facts(form: Mapping[str, Any]) -> dict[str, FactValue]:
    """`form.<field>` for each submitted field; lists and objects are not fact values."""
    provenance = Provenance(FORM)
    facts: dict[str, FactValue] = {}
    for name, value in form.items():
        scalar = value is None or isinstance(value, bool | int | float | str | date)
        facts[f"{FORM_PREFIX}{name}"] = (
            Known(value, provenance) if scalar else Unknown("not a single value", FORM)
        )
    return facts
