"""Synthetic license registry rows for the import benchmark, as an issuing system exports them.

Every seeded license type appears; persons hold valid resident ID numbers of Qingdao's districts
and enterprises valid credit codes, and a holder often has several licenses. Validity is spread
so that some licenses expired, some run out within 30 days and most later; a few rows come
revoked, suspended or cancelled, as a migrating registry has them. Deterministic for a seed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from app.adapters.simulator.names import FEMALE_GIVEN, MALE_GIVEN, SHARED_GIVEN, SURNAMES
from app.kit.regions import QINGDAO_DISTRICTS
from app.kit.resident_id import make_resident_id
from app.kit.uscc import make_uscc
from app.reference.license_types import LicenseTypeSeed, license_types

_DISTRICTS = tuple(QINGDAO_DISTRICTS)
_GIVEN = MALE_GIVEN + FEMALE_GIVEN + SHARED_GIVEN
_STATUSES = ("valid",) * 95 + ("revoked",) * 2 + ("suspended",) + ("cancelled",) * 2
_COMPANY_WORDS = ("海韵", "崂山", "胶澳", "琴岛", "青啤", "黄海", "金沙", "蓝湾")
_COMPANY_KINDS = ("印务有限公司", "餐饮管理有限公司", "建筑工程有限公司", "科技有限公司")
_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class Rows:
    """Row dictionaries for `qingeban licenses import` (NDJSON shape)."""

    def __init__(self, today: date, seed: int = 20261124) -> None:
        self._rng = random.Random(seed)
        self._today = today
        self._people: list[tuple[str, str]] = []
        self._companies: list[tuple[str, str]] = []

    def person(self) -> tuple[str, str]:
        """A (name, ID number); one in three rows goes to someone who already holds one."""
        rng = self._rng
        if self._people and rng.random() < 0.33:
            return rng.choice(self._people)
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
        number = make_resident_id(rng.choice(_DISTRICTS), born, rng.randrange(1000))
        name = rng.choice(SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.choice((1, 2))))
        found = (name, number)
        if len(self._people) < 200_000:
            self._people.append(found)
        return found

    def company(self) -> tuple[str, str]:
        """A (name, USCC); half the rows go to a company that already holds one."""
        rng = self._rng
        if self._companies and rng.random() < 0.5:
            return rng.choice(self._companies)
        code = "".join(rng.choices(_ORG_ALPHABET, k=9))
        uscc = make_uscc("9", "1", rng.choice(_DISTRICTS), code)
        name = "青岛" + rng.choice(_COMPANY_WORDS) + rng.choice(_COMPANY_KINDS)
        found = (name, uscc)
        if len(self._companies) < 100_000:
            self._companies.append(found)
        return found

    def row(self, number: int) -> dict[str, Any]:
        """The row of record `number` of the source system."""
        rng = self._rng
        license_type = rng.choice(license_types())
        row: dict[str, Any] = {"type": license_type.code, "source_record_id": f"SRC-{number:09d}"}
        if license_type.holder_kind == "person":
            name, holder = self.person()
            row.update(holder_name=name, holder_id_number=holder)
        else:
            name, holder = self.company()
            row.update(holder_name=name, holder_uscc=holder)
        valid_from, valid_until = self._validity(license_type)
        row["valid_from"] = valid_from.isoformat()
        if valid_until is not None:
            row["valid_until"] = valid_until.isoformat()
        status = rng.choice(_STATUSES)
        if status != "valid":
            row["status"] = status
        row["fields"] = self._fields(license_type, row, valid_from, valid_until)
        return row

    def _validity(self, license_type: LicenseTypeSeed) -> tuple[date, date | None]:
        rng = self._rng
        years = license_type.validity_years
        if years is None:
            return self._today - timedelta(days=rng.randrange(1, 365 * 15)), None
        # Last days spread from a year ago to the end of the term: about 1 in (years × 12)
        # falls within the next 30 days.
        until = self._today + timedelta(days=rng.randrange(-365, 365 * years))
        return until - timedelta(days=365 * years - 1), until

    def _fields(
        self,
        license_type: LicenseTypeSeed,
        row: dict[str, Any],
        valid_from: date,
        valid_until: date | None,
    ) -> dict[str, Any]:
        rng = self._rng
        values: dict[str, Any] = {}
        for field in license_type.fields:
            name = field.name
            if name == "holder_name":
                values[name] = row["holder_name"]
            elif name == "id_number" and "holder_id_number" in row:
                values[name] = row["holder_id_number"]
            elif name == "uscc" and "holder_uscc" in row:
                values[name] = row["holder_uscc"]
            elif field.type == "date":
                day = valid_until if name == "valid_until" and valid_until else valid_from
                values[name] = day.isoformat()
            elif field.type == "number":
                values[name] = rng.randrange(1, 5000)
            else:
                values[name] = f"{field.label}-{rng.randrange(10**6):06d}"
        return values


def write_ndjson(path: Path, count: int, today: date) -> list[tuple[str, str]]:
    """Write `count` rows; a sample of (source_record_id, holder_name) for the verify phase.

    The sample keeps about 1 row in 50 (at most 100,000) to look licenses up by later.
    """
    rows = Rows(today)
    sample: list[tuple[str, str]] = []
    with path.open("w", encoding="utf-8") as out:
        for number, row in enumerate(_rows(rows, count), start=1):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            if number % 50 == 0 and len(sample) < 100_000:
                sample.append((row["source_record_id"], row["holder_name"]))
    return sample


def _rows(rows: Rows, count: int) -> Iterator[dict[str, Any]]:
    for number in range(1, count + 1):
        yield rows.row(number)
