"""The catalogue of simulated departments and the look-up of one subject in one dataset."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.adapters.simulator.dataset_types import AddressBook, Context, Dataset, Department, Record
from app.adapters.simulator.datasets_business import (
    BUSINESS_DEPARTMENTS,
    JYJ_BUSINESS,
    RSJ_BUSINESS,
    TAX_BUSINESS,
    UTILITIES,
    UTILITY_DEPARTMENTS,
    WJW_BUSINESS,
)
from app.adapters.simulator.datasets_housing import TAX_HOUSING, ZJJ
from app.adapters.simulator.datasets_people import (
    GAJ,
    JYJ_PEOPLE,
    PEOPLE_DEPARTMENTS,
    RSJ_PEOPLE,
    TAX_PEOPLE,
    WJW_PEOPLE,
)
from app.adapters.simulator.population import Population

DEPARTMENTS: dict[str, Department] = {
    d.code: d
    for d in (
        GAJ,
        *PEOPLE_DEPARTMENTS,
        Department("rsj", "人社局", RSJ_PEOPLE + RSJ_BUSINESS),
        Department("tax", "税务局", TAX_PEOPLE + TAX_HOUSING + TAX_BUSINESS),
        Department("jyj", "教育局", JYJ_PEOPLE + JYJ_BUSINESS),
        Department("wjw", "卫健委", WJW_PEOPLE + WJW_BUSINESS),
        *BUSINESS_DEPARTMENTS,
        ZJJ,
        *UTILITY_DEPARTMENTS,
    )
}
UTILITY_CODES = frozenset(UTILITIES)
SUBJECT_KEYS = {"person": "id_number", "enterprise": "uscc", "address": "address"}


def new_context(population: Population) -> Context:
    """A fresh per-process context, with the personas' dwellings already known."""
    context = Context(population, AddressBook(population))
    for persona in population.personas:
        person = population.person(persona.index)
        context.address_book.learn(person)
        if person.spouse_index is not None:
            context.address_book.learn(population.person(person.spouse_index))
    return context


def lookup(ctx: Context, dataset: Dataset, key: str, fields: Mapping[str, Any]) -> Record | None:
    """The record of one subject (identified by its key value), or None for "no record"."""
    subject: Any
    if dataset.subject == "person":
        subject = ctx.population.find_person(key)
        if subject is not None:
            ctx.address_book.learn(subject)
    elif dataset.subject == "enterprise":
        subject = ctx.population.find_enterprise(key)
    else:
        subject = ctx.address_book.by_address(key)
    if subject is None:
        return None
    return dataset.view(ctx, subject, fields)


def dataset_count() -> int:
    """How many datasets the simulator serves."""
    return sum(len(d.datasets) for d in DEPARTMENTS.values())
