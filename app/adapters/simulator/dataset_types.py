"""The shape of a simulated dataset, and the address book utilities answer from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from app.adapters.simulator import facts
from app.adapters.simulator.population import Population
from app.adapters.simulator.records import Enterprise, Person, UtilityAccounts

SubjectKind = Literal["person", "enterprise", "address"]
# How a dataset changes: on each event (a registry), by a nightly or monthly export, or it is
# a check made when asked (identity, face).
Refresh = Literal["event", "nightly", "monthly", "live"]
Record = dict[str, Any]
# Keep the address book bounded: a campaign over millions of people must not grow it forever.
_ADDRESS_BOOK_LIMIT = 200_000


def iso(day: date | None) -> str | None:
    """A date as ISO 8601, or None."""
    return None if day is None else day.isoformat()


@dataclass(frozen=True, slots=True)
class Dwelling:
    """A dwelling the utilities know: its address, its accounts and its holder."""

    address: str
    accounts: UtilityAccounts
    holder_index: int


class AddressBook:
    """Dwellings indexed by address and account number.

    Addresses are one-way draws from the seed, so they cannot be inverted like ID numbers; the
    simulator learns a dwelling whenever it serves a person living at or owning it (and knows the
    personas' dwellings from the start). State is per process, like a real utility's cache.
    """

    def __init__(self, population: Population) -> None:
        self._population = population
        self._by_address: dict[str, Dwelling] = {}
        self._by_account: dict[str, Dwelling] = {}

    def learn(self, person: Person) -> None:
        """Remember the dwellings of a person: owned properties, then the residence."""
        for prop in person.properties:
            self._add(Dwelling(prop.address, prop.utilities, person.index))
        if person.address in self._by_address:
            return
        key = f"couple-{person.index // 2}" if person.spouse_index is not None else None
        key = key or f"person-{person.index}"
        seed = self._population.seed
        if facts.address(seed, key, person.district_code) == person.address:
            self._add(Dwelling(person.address, facts.utilities(seed, key), person.index))

    def _add(self, dwelling: Dwelling) -> None:
        if dwelling.address in self._by_address:
            return
        if len(self._by_address) >= _ADDRESS_BOOK_LIMIT:
            oldest = self._by_address.pop(next(iter(self._by_address)))
            for account in _accounts(oldest.accounts):
                self._by_account.pop(account, None)
        self._by_address[dwelling.address] = dwelling
        for account in _accounts(dwelling.accounts):
            self._by_account[account] = dwelling

    def by_address(self, address: str) -> Dwelling | None:
        """The dwelling at an address, if known."""
        return self._by_address.get(address.strip())

    def by_account(self, account_no: str) -> Dwelling | None:
        """The dwelling an account number belongs to, if known."""
        return self._by_account.get(account_no.strip())


def _accounts(accounts: UtilityAccounts) -> tuple[str, ...]:
    return (
        accounts.water,
        accounts.power,
        accounts.gas,
        accounts.heat,
        accounts.catv,
        accounts.broadband,
        accounts.citycard,
    )


@dataclass(slots=True)
class Context:
    """What a dataset function may consult: the population and the per-process state."""

    population: Population
    address_book: AddressBook
    # (utility, account_no) -> current holder's person index, after transfers.
    holders: dict[tuple[str, str], int] = field(default_factory=dict)
    # Fund account -> the day of the last withdrawal paid through the simulator.
    withdrawals: dict[str, date] = field(default_factory=dict)
    # USCC -> what the last health inspection found (conditions unchanged), when recorded.
    inspections: dict[str, bool] = field(default_factory=dict)
    # (department, dataset, subject key) -> when the simulator itself changed that record.
    changed: dict[tuple[str, str, str], datetime] = field(default_factory=dict)


PersonView = Callable[[Context, Person, Mapping[str, Any]], Record | None]
EnterpriseView = Callable[[Context, Enterprise, Mapping[str, Any]], Record | None]
AddressView = Callable[[Context, Dwelling, Mapping[str, Any]], Record | None]


@dataclass(frozen=True, slots=True)
class Dataset:
    """One dataset of a department; `view` returns the record or None for "no record"."""

    code: str
    name: str
    subject: SubjectKind
    view: Callable[[Context, Any, Mapping[str, Any]], Record | None]
    required_fields: tuple[str, ...] = ()
    refresh: Refresh = "event"


@dataclass(frozen=True, slots=True)
class Department:
    """A simulated department and its datasets."""

    code: str
    name: str
    datasets: tuple[Dataset, ...]

    def dataset(self, code: str) -> Dataset | None:
        """The dataset with this code, if any."""
        return next((d for d in self.datasets if d.code == code), None)
