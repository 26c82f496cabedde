"""Turn the catalog's seed records into table rows (plain dicts; the seeder writes them)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from app.kit.uscc import ALPHABET, make_uscc
from app.services.catalog.data.seeds import BundleSeed, DepartmentSeed, DistrictSeed, ServiceSeed
from app.services.catalog.models import FREQUENCY_UNLISTED
from app.services.catalog.search_terms import frequency_ranks, pinyin_forms

Row = dict[str, Any]


def title_text(name: str, aliases: Iterable[str]) -> str:
    """The lower-cased title a search matches first: name, aliases, and their full pinyin and
    initials; newlines keep a term within one part."""
    titles = [name, *aliases]
    pinyin = [form for title in titles for form in pinyin_forms(title) if form]
    return "\n".join([*titles, *dict.fromkeys(pinyin)]).lower()


def search_text(name: str, aliases: Iterable[str], keywords: Iterable[str]) -> str:
    """The lower-cased text substring search scans: the title text and the keywords."""
    return "\n".join([title_text(name, aliases), *keywords]).lower()


def family_codes(seeds: Iterable[ServiceSeed]) -> dict[str, str]:
    """Each service's family: a district copy (`scjg.t017.370211`) belongs to the city-wide
    item whose code it extends (`scjg.t017`); every other service is a family of its own."""
    seeds = list(seeds)
    city_wide = {seed.code for seed in seeds if seed.district is None}
    families: dict[str, str] = {}
    for seed in seeds:
        base, _, district = seed.code.rpartition(".")
        copy = seed.district is not None and district == seed.district and base in city_wide
        families[seed.code] = base if copy else seed.code
    return families


def _json(value: Any) -> Any:
    """The value as it reads back from a JSON column (tuples become lists), for comparison."""
    return json.loads(json.dumps(value, ensure_ascii=False))


# GB 32100: registration authority 1 (机构编制) and entity type 1 (机关) mark a government body;
# every department of the demo city is registered in Qingdao (GB/T 2260 370200).
_GOVERNMENT_BODY = ("1", "1")
_QINGDAO = "370200"


def department_uscc(code: str) -> str:
    """A department's credit code, derived from its code so every seeding gives the same one.

    The real codes are not public data we ship; a stable, valid stand-in is what license
    identifiers need (their issuer segment must stay the same across re-seeding).
    """
    digest = hashlib.sha256(f"department-uscc\x00{code}".encode()).digest()
    organization = "".join(ALPHABET[byte % len(ALPHABET)] for byte in digest[:9])
    return make_uscc(*_GOVERNMENT_BODY, _QINGDAO, organization)


def department_rows(seeds: Iterable[DepartmentSeed]) -> list[Row]:
    """Rows of `departments`, with their credit codes."""
    return [{**dataclasses.asdict(seed), "uscc": department_uscc(seed.code)} for seed in seeds]


def district_rows(seeds: Iterable[DistrictSeed]) -> list[Row]:
    """Rows of `districts`."""
    return [dataclasses.asdict(seed) for seed in seeds]


def service_rows(seeds: Iterable[ServiceSeed]) -> list[Row]:
    """Rows of `services`, with their families."""
    seeds = list(seeds)
    families = family_codes(seeds)
    return [
        {
            "code": seed.code,
            "name": seed.name,
            "name_en": seed.name_en,
            "department_code": seed.department,
            "district_code": seed.district,
            "mode": seed.mode,
            "time_limit_days": seed.time_limit_days,
            "realname_level": seed.realname_level,
            "category": seed.category,
            "audience": seed.audience,
            "produces_license": seed.produces_license,
            "family_code": families[seed.code],
        }
        for seed in seeds
    ]


def service_search_rows(seeds: Iterable[ServiceSeed]) -> list[Row]:
    """Rows of `service_search`: one per family (its city-wide item), with its search texts
    and high-frequency rank."""
    seeds = list(seeds)
    families = family_codes(seeds)
    ranks = frequency_ranks()
    return [
        {
            "code": seed.code,
            "department_code": seed.department,
            "mode": seed.mode,
            "title_text": title_text(seed.name, seed.aliases),
            "search_text": search_text(seed.name, seed.aliases, seed.keywords),
            "frequency_rank": ranks.get(seed.code, FREQUENCY_UNLISTED),
        }
        for seed in seeds
        if families[seed.code] == seed.code
    ]


def service_content_rows(seeds: Iterable[ServiceSeed]) -> list[Row]:
    """Rows of `service_contents`."""
    return [
        {
            "service_code": seed.code,
            "aliases": list(seed.aliases),
            "keywords": list(seed.keywords),
            "materials": _json([dataclasses.asdict(material) for material in seed.materials]),
            "form_schema": _json(seed.form_schema),
            "description": seed.description,
        }
        for seed in seeds
    ]


def bundle_rows(seeds: Iterable[BundleSeed]) -> list[Row]:
    """Rows of `bundles`."""
    return [
        {
            "code": seed.code,
            "name": seed.name,
            "name_en": seed.name_en,
            "description": seed.description,
        }
        for seed in seeds
    ]


def bundle_step_rows(seeds: Iterable[BundleSeed]) -> list[Row]:
    """Rows of `bundle_steps`, numbered from 1 in the order the seed lists them."""
    return [
        {
            "bundle_code": seed.code,
            "position": position,
            "service_code": step.service,
            "unit": step.unit,
        }
        for seed in seeds
        for position, step in enumerate(seed.steps, start=1)
    ]
