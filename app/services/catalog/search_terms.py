"""What search knows besides the catalog: synonyms, the high-frequency list, and pinyin.

The first two are data files (data/search/*.yaml) checked by a schema when they are loaded,
like the rulesets; pinyin is computed once per service when the catalog is seeded, so that a
query costs no conversion at all (`gjj` and `gongjijin` are plain substrings of a stored text).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.kit.data_files import read_yaml

DATA = Path(__file__).resolve().parent / "data" / "search"

# A synonym is a whole query term: lower-case, no whitespace, at least two characters (one
# character such as 证 would match nearly the whole catalog).
Term = Annotated[str, StringConstraints(min_length=2, max_length=20, pattern=r"^[^\sA-Z]+$")]
ServiceCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9.-]{1,100}$")]


class Synonyms(BaseModel):
    """data/search/synonyms.yaml: groups of interchangeable query terms."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: list[Annotated[list[Term], Field(min_length=2)]]

    @field_validator("groups")
    @classmethod
    def _each_term_once(cls, groups: list[list[str]]) -> list[list[str]]:
        seen: set[str] = set()
        for group in groups:
            for term in group:
                if term in seen:
                    raise ValueError(f"{term!r} is in two groups (or twice in one)")
                seen.add(term)
        return groups


class HighFrequency(BaseModel):
    """data/search/high_frequency.yaml: the high-frequency services, most asked for first."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    services: Annotated[list[ServiceCode], Field(min_length=1)]

    @field_validator("services")
    @classmethod
    def _each_service_once(cls, services: list[str]) -> list[str]:
        if len(set(services)) != len(services):
            raise ValueError("a service is listed twice")
        return services


def _read(name: str) -> object:
    return read_yaml(DATA / name)


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    """Each synonym's group (itself first, then the others in file order)."""
    groups = Synonyms.model_validate(_read("synonyms.yaml")).groups
    return {
        term: (term, *(other for other in group if other != term))
        for group in groups
        for term in group
    }


@cache
def frequency_ranks() -> dict[str, int]:
    """Each high-frequency service's place on the list, 1 the most asked for."""
    listed = HighFrequency.model_validate(_read("high_frequency.yaml")).services
    return {code: place for place, code in enumerate(listed, start=1)}


def alternatives(term: str) -> tuple[str, ...]:
    """The texts a query term matches: itself, then its synonyms."""
    return synonyms().get(term, (term,))


_NOT_HAN = re.compile(r"[^\u3400-\u9fff]+")


def pinyin_forms(text: str) -> tuple[str, str]:
    """The full pinyin and the initials of the Chinese characters of `text`, without tones or
    separators: 住房公积金 → ("zhufanggongjijin", "zfgjj"). Other characters are dropped."""
    # Imported here: pypinyin reads its phrase dictionary when imported, a second of CPU, and
    # only seeding needs it, not every process that imports the catalog's service (a server
    # worker, each CLI command, a bulk import).
    from pypinyin import Style, lazy_pinyin

    han = _NOT_HAN.sub("", text)
    syllables = lazy_pinyin(han, style=Style.NORMAL, errors="ignore")
    return "".join(syllables), "".join(syllable[0] for syllable in syllables if syllable)
