"""Scan every text column of every table for personal values stored in clear.

The schema is reflected from the database itself (not from the models), so a table or column
added later is scanned without changing this file. Each text, varchar or JSON column is read as
text (PostgreSQL casts JSON to text) and searched for each value, case-insensitively so that an
ID number ending in `x` is found however it was typed.

    hits = await find_in_clear(database, {"renter's ID number": "370202…", …})
    assert hits == []
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, String, Text, cast, column, inspect, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeEngine

from app.db import Database

# Form and license fields whose values are personal identifiers, by name: `id_number`,
# `husband_id_number`, `legal_representative_id`, `phone`, `bank_account`, `card_number`, …
_PERSONAL_FIELD_ENDINGS = (
    "id_number",
    "_id",
    "phone",
    "mobile",
    "account",
    "account_number",
    "card_number",
)


@dataclass(frozen=True, slots=True)
class Hit:
    """A value found in clear: where, and which value (by its label, never the value)."""

    table: str
    column: str
    label: str


def _is_text(type_: TypeEngine[Any]) -> bool:
    # JSON and JSONB reflect as JSON subclasses; VARCHAR, CHAR, TEXT and CLOB as String.
    return isinstance(type_, String | JSON)


def _text_columns(connection: Connection) -> list[tuple[str, str]]:
    inspector = inspect(connection)
    return [
        (table_name, info["name"])
        for table_name in sorted(inspector.get_table_names())
        for info in inspector.get_columns(table_name)
        if _is_text(info["type"])
    ]


async def find_in_clear(database: Database, values: Mapping[str, str]) -> list[Hit]:
    """Every (table, column, label) where one of `values` (label → value) is stored in clear."""
    needles = {label: value.strip().upper() for label, value in values.items() if value.strip()}
    hits: list[Hit] = []
    async with database.engine.connect() as connection:
        columns = await connection.run_sync(_text_columns)
        for table_name, column_name in columns:
            as_text = cast(column(column_name), Text)
            query = select(as_text).select_from(table(table_name)).where(as_text.is_not(None))
            found: set[str] = set()
            for (stored,) in await connection.execute(query):
                upper = str(stored).upper()
                found.update(label for label, needle in needles.items() if needle in upper)
            hits += [Hit(table_name, column_name, label) for label in sorted(found)]
    return hits


def personal_values(label: str, document: Any) -> dict[str, str]:
    """The personal identifiers in a form or a license's fields, found by field name at any
    depth (shareholders' ID numbers too), labelled `label.path`."""
    found: dict[str, str] = {}

    def walk(path: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{path}.{key}", item)
        elif isinstance(value, Iterable) and not isinstance(value, str | bytes):
            for n, item in enumerate(value):
                walk(f"{path}[{n}]", item)
        elif isinstance(value, str) and path.lower().endswith(_PERSONAL_FIELD_ENDINGS):
            found[path] = value

    walk(label, document)
    return found
