"""The pension system's roster, the departments' activity and life-event feeds, and the pension
payments the platform may instruct to stop or resume: what a 静默认证 campaign reads and does.

Every answer is a view of the synthetic people (app.adapters.simulator.population), so a feed
agrees with the department's per-person dataset: a medical settlement is the person's last claim
(ybj/medical-claims), a transport-card use their bus card's (jtj/bus-card-usage), a death and a
cremation the health commission's and civil affairs' records. Three feeds have no per-person
dataset (the social-security card, the bank's pension withdrawals, residence and travel
records); they are drawn per person from the seed, dated before any death, and absent for
someone with neither a claim nor a card use (a housebound person leaves no traces anywhere).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

from app.adapters.simulator.draw import Draw
from app.adapters.simulator.population import Population
from app.adapters.simulator.records import Person

# How many roster positions (population indices) one page may span, and how many subjects one
# feed request may name: a campaign's batch stays one request per department.
MAX_PAGE = 20_000
MAX_SUBJECTS = 10_000

PaymentAction = Literal["suspend", "resume"]


def _last_day(population: Population, person: Person) -> date:
    return person.death.date_of_death if person.death is not None else population.as_of


def _drawn(chance: float, span_days: int) -> Callable[[Population, Person, str], date | None]:
    def feed(population: Population, person: Person, name: str) -> date | None:
        if person.medical_insurance.last_claim is None and person.bus_card_last_use is None:
            return None
        draw = Draw(population.seed, name, person.index)
        if not draw.chance(chance):
            return None
        return draw.days_before(_last_day(population, person), span_days)

    return feed


def _claim(population: Population, person: Person, name: str) -> date | None:
    return person.medical_insurance.last_claim


def _bus(population: Population, person: Person, name: str) -> date | None:
    return person.bus_card_last_use


def _died(population: Population, person: Person, name: str) -> date | None:
    return None if person.death is None else person.death.date_of_death


def _cremated(population: Population, person: Person, name: str) -> date | None:
    return None if person.death is None else person.death.cremated_on


def _cancelled(population: Population, person: Person, name: str) -> date | None:
    return person.household.cancelled_on


def _custody(population: Population, person: Person, name: str) -> date | None:
    # sfj/prison-records says nobody of the population is in custody; the feed agrees.
    return None


Feed = Callable[[Population, Person, str], date | None]

# (department, feed) -> the date of the person's last event of that kind, or None.
FEEDS: dict[tuple[str, str], Feed] = {
    ("ybj", "medical-settlements"): _claim,
    ("jtj", "transport-card-use"): _bus,
    ("rsj", "social-security-card-use"): _drawn(0.5, 120),
    ("bank", "pension-withdrawals"): _drawn(0.6, 60),
    ("gaj", "residence-travel"): _drawn(0.3, 180),
    ("wjw", "deaths"): _died,
    ("mzj", "cremations"): _cremated,
    ("gaj", "household-cancellations"): _cancelled,
    ("sfj", "imprisonments"): _custody,
}


# How many recently listed recipients' ID numbers the feeds find without decoding them again: a
# batch's nine feeds ask about the roster page just listed (decoding an ID costs ~40 µs).
RECENT_RECIPIENTS = 65_536


@dataclass
class RecentRecipients:
    """ID number → population index of the recipients listed lately, oldest out first."""

    indices: dict[str, int] = field(default_factory=dict)

    def remember(self, person: Person) -> None:
        """Keep a listed recipient's index."""
        if len(self.indices) >= RECENT_RECIPIENTS:
            del self.indices[next(iter(self.indices))]
        self.indices[person.id_number] = person.index

    def find(self, population: Population, id_number: str) -> Person | None:
        """The person with this ID number (listed lately, or decoded)."""
        index = self.indices.get(id_number)
        if index is not None:
            return population.person(index)
        return population.find_person(id_number)


def recipients(
    population: Population, start: int, end: int, recent: RecentRecipients | None = None
) -> list[Person]:
    """The pension recipients among roster positions [start, end) (population indices)."""
    found = []
    for index in range(max(start, 0), min(end, population.size)):
        if population.may_draw_pension(index):
            person = population.person(index)
            if person.pension.receiving:
                found.append(person)
                if recent is not None:
                    recent.remember(person)
    return found


def feed_hits(
    population: Population,
    department: str,
    feed: str,
    id_numbers: Iterable[str],
    recent: RecentRecipients | None = None,
) -> dict[str, str]:
    """ID number -> ISO date of the last event, for the subjects the feed knows an event of."""
    view = FEEDS[(department, feed)]
    name = f"{department}/{feed}"
    hits = {}
    finder = recent or RecentRecipients()
    for id_number in id_numbers:
        person = finder.find(population, id_number)
        if person is None or person.id_number != id_number:
            continue
        day = view(population, person, name)
        if day is not None:
            hits[person.id_number] = day.isoformat()
    return hits


@dataclass
class PaymentReceipt:
    """The pension system's answer to one instruction (kept: the instruction is idempotent)."""

    instruction_id: str
    action: PaymentAction
    payment_status: str
    receipt_id: str
    recorded_at: datetime


@dataclass
class PensionPayments:
    """Whose pension the platform has had stopped, and every instruction taken."""

    suspended: set[str] = field(default_factory=set)
    receipts: dict[str, PaymentReceipt] = field(default_factory=dict)

    def instruct(
        self, instruction_id: str, id_number: str, action: PaymentAction
    ) -> PaymentReceipt:
        """Carry out an instruction once; a repeat of its id returns the first receipt."""
        known = self.receipts.get(instruction_id)
        if known is not None:
            return known
        if action == "suspend":
            self.suspended.add(id_number)
        else:
            self.suspended.discard(id_number)
        receipt = self.receipts[instruction_id] = PaymentReceipt(
            instruction_id=instruction_id, action=action,
            payment_status="suspended" if action == "suspend" else "paying",
            receipt_id=str(uuid.uuid4()), recorded_at=datetime.now(UTC),
        )  # fmt: skip
        return receipt

    def status(self, person: Person) -> str:
        """paying, suspended (by an instruction) or not_receiving."""
        if not person.pension.receiving:
            return "not_receiving"
        return "suspended" if person.id_number in self.suspended else "paying"
