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


def _collations(connection: Any) -> dict[str, str | None]:
    """Each text column's collation as the database has it (None: the database's default)."""
    if connection.dialect.name != "postgresql":
        # SQLite's default, byte order (BINARY), is the only one the migrations use there.
        return {c["name"]: None for c in inspect(connection).get_columns("licenses")}
    rows = connection.exec_driver_sql(
        "SELECT column_name, collation_name FROM information_schema.columns"
        " WHERE table_name = 'licenses'"
    )
    return {str(name): collation for name, collation in rows}


async def test_the_migrated_key_collations_are_the_models(database: Database) -> None:
    # alembic check does not compare collations: a key the model puts in byte order
    # (app.db.key_string) that no migration altered would sort and build slowly unnoticed.
    async with database.engine.connect() as connection:
        migrated = await connection.run_sync(_collations)
        dialect = connection.dialect
    table = License.__table__
    assert isinstance(table, Table)
    modelled = {
        column.name: getattr(column.type.dialect_impl(dialect), "collation", None)
        for column in table.columns
    }
    assert migrated == modelled
    if database.is_postgresql:
        assert migrated["license_no"] == "C"
