"""Load the reference data: license types, departments, districts, services and bundles.

Idempotent: rows are matched by primary key (their code); new ones are inserted in bulk,
changed ones updated, unchanged ones left alone, so seeding twice gives the same rows. Rows
that disappeared from the seed data are kept, because cases and licenses may refer to them;
only bundle steps, which nothing refers to, are pruned. Like a data migration, this works on
whole tables and so holds its own (dialect-neutral) SQL rather than going through the domains.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates.models import LicenseType
from app.certificates.seed import license_type_rows
from app.db import Database
from app.reference.license_types import LicenseTypeSeed
from app.rules import load as load_rulesets
from app.services.catalog import seed as catalog_seed
from app.services.catalog.data.seeds import (
    BundleSeed,
    DepartmentSeed,
    DistrictSeed,
    ServiceSeed,
)
from app.services.catalog.models import (
    Bundle,
    BundleStep,
    Department,
    District,
    Service,
    ServiceContent,
    ServiceSearch,
)
from app.services.rulesets import service as rulesets

logger = logging.getLogger(__name__)

Row = dict[str, Any]

_CHUNK = 1000
# Serialises concurrent seeders on PostgreSQL (e.g. replicas starting together); SQLite's
# write transactions (BEGIN IMMEDIATE) already are serial.
_ADVISORY_LOCK = 0x5145_5345_4544  # "QESEED"


@dataclass(frozen=True)
class ReferenceData:
    """The seed records to load."""

    departments: Sequence[DepartmentSeed]
    districts: Sequence[DistrictSeed]
    license_types: Sequence[LicenseTypeSeed]
    services: Sequence[ServiceSeed]
    bundles: Sequence[BundleSeed]


@dataclass(frozen=True)
class TableReport:
    """What seeding did to one table."""

    table: str
    inserted: int
    updated: int
    unchanged: int
    pruned: int = 0

    @property
    def seeded(self) -> int:
        """Rows of the seed data now in the table."""
        return self.inserted + self.updated + self.unchanged


@dataclass(frozen=True)
class SeedReport:
    """What seeding did, table by table, and how long it took."""

    tables: tuple[TableReport, ...]
    seconds: float

    def __getitem__(self, table: str) -> TableReport:
        return next(report for report in self.tables if report.table == table)

    @property
    def changed(self) -> bool:
        """Whether any row was inserted, updated or pruned."""
        return any(t.inserted or t.updated or t.pruned for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (for the CLI)."""
        return {
            "seconds": round(self.seconds, 3),
            "tables": {
                t.table: {
                    "inserted": t.inserted,
                    "updated": t.updated,
                    "unchanged": t.unchanged,
                    "pruned": t.pruned,
                }
                for t in self.tables
            },
        }


def bundled_reference_data() -> ReferenceData:
    """The reference data shipped with the application (the catalog is partly generated)."""
    from app.reference.license_types import license_types
    from app.services.catalog.data import BUNDLES, DEPARTMENTS, DISTRICTS, all_services

    return ReferenceData(DEPARTMENTS, DISTRICTS, license_types(), tuple(all_services()), BUNDLES)


def _rows(data: ReferenceData) -> list[tuple[Table, list[Row], bool]]:
    """(table, rows, prune) in foreign-key order."""
    return [
        (_table(Department), catalog_seed.department_rows(data.departments), False),
        (_table(District), catalog_seed.district_rows(data.districts), False),
        (_table(LicenseType), license_type_rows(data.license_types), False),
        (_table(Service), catalog_seed.service_rows(data.services), False),
        (_table(ServiceContent), catalog_seed.service_content_rows(data.services), False),
        (_table(ServiceSearch), catalog_seed.service_search_rows(data.services), True),
        (_table(Bundle), catalog_seed.bundle_rows(data.bundles), False),
        (_table(BundleStep), catalog_seed.bundle_step_rows(data.bundles), True),
    ]


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


async def seed_reference_data(database: Database, data: ReferenceData | None = None) -> SeedReport:
    """Insert or update the reference data (the bundled data unless `data` is given)."""
    started = time.perf_counter()

    def prepare() -> list[tuple[Table, list[Row], bool]]:
        return _rows(data or bundled_reference_data())

    # Generating several thousand services is CPU work; keep the event loop free meanwhile.
    plan = await asyncio.to_thread(prepare)
    reports: list[TableReport] = []
    async with database.session(write=True) as session:
        if database.is_postgresql:
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK}
            )
        for table, rows, prune in plan:
            reports.append(await _sync(session, table, rows, prune=prune))
        # The shipped rulesets need their services: stored as published versions, once.
        shipped = len(load_rulesets.shipped_rulesets())
        added = await rulesets.seed_shipped(session)
        reports.append(TableReport("rulesets", added, 0, shipped - added))
        if database.is_postgresql and any(r.inserted or r.updated or r.pruned for r in reports):
            # Fresh statistics right away, so the first searches are not planned for empty tables.
            for table, _, _ in plan:
                await session.execute(text(f'ANALYZE "{table.name}"'))
    report = SeedReport(tuple(reports), time.perf_counter() - started)
    logger.info("reference data seeded", extra={"seed": report.as_dict()})
    return report


async def _sync(
    session: AsyncSession, table: Table, rows: list[Row], *, prune: bool
) -> TableReport:
    """Make `table` hold `rows`: insert the new, update the changed, optionally delete the rest."""
    keys = [column.name for column in table.primary_key.columns]
    columns = {column.name for column in table.columns}
    existing = {
        tuple(row[k] for k in keys): dict(row)
        for row in (await session.execute(select(table))).mappings()
    }
    new: list[Row] = []
    changed: list[Row] = []
    for row in rows:
        if row.keys() != columns:
            raise ValueError(f"{table.name}: a seed row has columns {sorted(row)}")
        current = existing.pop(tuple(row[k] for k in keys), None)
        if current is None:
            new.append(row)
        elif current != row:
            changed.append(row)
    for start in range(0, len(new), _CHUNK):
        await session.execute(insert(table), new[start : start + _CHUNK])
    if changed:
        # Key columns are bound as "key_<name>" for the WHERE clause; the other columns' own
        # names make up the SET clause.
        statement = update(table).where(and_(*(table.c[k] == bindparam(f"key_{k}") for k in keys)))
        params = [
            {**{f"key_{k}": row[k] for k in keys}, **{c: row[c] for c in columns - set(keys)}}
            for row in changed
        ]
        for start in range(0, len(params), _CHUNK):
            await session.execute(statement, params[start : start + _CHUNK])
    pruned = 0
    if prune and existing:
        for key in existing:
            condition = and_(*(table.c[k] == value for k, value in zip(keys, key, strict=True)))
            await session.execute(delete(table).where(condition))
        pruned = len(existing)
    unchanged = len(rows) - len(new) - len(changed)
    return TableReport(table.name, len(new), len(changed), unchanged, pruned)
