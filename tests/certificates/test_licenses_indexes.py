"""The licenses table as migrated has the indexes the model names, no more: the initial load
drops and builds what the model names, so an index only a migration made would be built by
nobody after a load, and one only the model named would be missing in production."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, inspect

from app.certificates.models import License
from app.db import Database


def _migrated(connection: Any) -> tuple[set[str], set[str]]:
    inspector = inspect(connection)
    indexes = {found["name"] for found in inspector.get_indexes("licenses")}
    uniques = {found["name"] for found in inspector.get_unique_constraints("licenses")}
    return indexes, uniques


async def test_the_migrated_indexes_are_the_models(database: Database) -> None:
    table = License.__table__
    assert isinstance(table, Table)
    modelled = {str(index.name) for index in table.indexes}
    async with database.engine.connect() as connection:
        indexes, uniques = await connection.run_sync(_migrated)
    # PostgreSQL lists a unique constraint's index among the indexes too; SQLite does not.
    assert indexes - uniques == modelled
    # The issuer's lookups use the unique key that leads with it (migration 0028).
    assert "ix_licenses_issuer_code" not in indexes
    assert "uq_licenses_issuer_code_source_record_id" in uniques
