"""Rows staged for insertion: written together, in one statement, before the session's next
statement or its commit (PostgreSQL units of work; `app.db.stage` decides).

A 秒批 approval's last transaction inserts a timeline step, a notification event, the job that
fans it out and an audit record, besides the department reads it logs. Through the ORM's unit
of work each is an object to track and a statement of its own (its table's INSERT, with the
flush's bookkeeping around it): a fifth to a quarter of a submission's CPU went to committing.
Rows nobody updates in the transaction that inserts them need none of that. Staged, they wait
in the session's `info` and are written as one INSERT with a data-modifying CTE per further
table — one round trip for all of them, their values processed by their columns' types.

When they are written: before any statement the session executes (`do_orm_execute`, after
the ORM's own autoflush, so a query sees them as it would see flushed objects; not while
autoflush is off, as the ORM holds its own pending objects back then), before a driver look-up
on the session's connection (`app.db.fetch_driver_row`), and when the session commits, after
its ORM objects are flushed (a staged row may refer to one, e.g. a new case's first step).
They are dropped with the transaction when it rolls back or is closed uncommitted.

Savepoints: rows are staged in the root transaction only (`app.db.stage` adds them to the
session inside a savepoint, where they go with it), and staged rows are not written while a
savepoint is open: a savepoint rolled back (offers and courier events insert in one, a
conflict expected) must not take rows staged before it along. A query inside a savepoint
therefore does not see rows staged before it; the commit writes them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, event, insert, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapper, ORMExecuteState, Session, SessionTransaction

_STAGED = "qe_staged_rows"
# A table with more staged rows than this is written by itself (executemany): one statement
# per count of rows would fill the statement caches (a campaign logs thousands of reads).
_MOST_IN_ONE_STATEMENT = 32
_PLACEHOLDER = re.compile(r"\$(\d+)")

Row = Any  # a mapped object, or a dict of a table's column values (`stage_values`)
_Column = tuple[str, Callable[[], Any] | None, Callable[[Any], Any] | None]


def stage(session: Session, table: Table, row: Row) -> None:
    """Stage one row of `table` (a mapped object or a dict of column values)."""
    staged: list[tuple[Table, Row]] | None = session.info.get(_STAGED)
    if staged is None:
        if session.get_transaction() is None:
            # Begun now, so that the rows end with this transaction (commit or rollback).
            session.begin()
        staged = session.info[_STAGED] = []
    staged.append((table, row))


def has_staged(session: Session) -> bool:
    """Whether rows wait to be written."""
    return bool(session.info.get(_STAGED))


def write(session: Session) -> None:
    """Write the staged rows now (in the greenlet of a session's sync code): the session's ORM
    objects first, then every staged row in one statement (or a few, see above)."""
    staged: list[tuple[Table, Row]] | None = session.info.pop(_STAGED, None)
    if not staged:
        return
    if session.new or session.dirty or session.deleted:
        session.flush()
    by_table: dict[tuple[Table, type], list[Row]] = {}
    for table, row in staged:
        by_table.setdefault((table, type(row)), []).append(row)
    connection = session.connection()
    dialect = connection.dialect
    together: list[tuple[Table, list[Row]]] = []
    for (table, _), rows in by_table.items():
        if len(rows) > _MOST_IN_ONE_STATEMENT:
            sql = _statement(dialect, ((table, 1),))
            values = [tuple(_values(dialect, table, [row])) for row in rows]
            connection.exec_driver_sql(sql, values)
        else:
            together.append((table, rows))
    if together:
        sql = _statement(dialect, tuple((table, len(rows)) for table, rows in together))
        values = [value for table, rows in together for value in _values(dialect, table, rows)]
        connection.exec_driver_sql(sql, tuple(values))


def _values(dialect: Dialect, table: Table, rows: Sequence[Row]) -> list[Any]:
    """The rows' values in the statement's order, each as its column's type binds it."""
    kind: Any = type(rows[0])  # a mapped class, or dict
    columns = _columns(dialect, table, kind)
    values: list[Any] = []
    for row in rows:
        if isinstance(row, dict):
            found: dict[str, Any] = row
        else:
            found = row.__dict__
        for key, default, process in columns:
            if key in found:
                value = found[key]
            elif default is not None:  # as the ORM would: a column left unset takes its default
                value = default()
                if found is not row:
                    setattr(row, key, value)
            else:
                value = None
            values.append(process(value) if process is not None else value)
    return values


@lru_cache(maxsize=64)
def _columns(dialect: Dialect, table: Table, kind: Any) -> list[_Column]:
    """Per column of `table`, in its order: the attribute of `kind` (a mapped class; for a
    dict, the key) holding its value, its Python default, and its type's bind processor."""
    mapper: Mapper[Any] | None = None if kind is dict else inspect(kind)
    columns: list[_Column] = []
    for column in table.columns:
        if column.server_default is not None:
            # Every column is written, NULL for one left unset: the database's default would
            # never apply.
            raise TypeError(f"{table.name}.{column.name} has a server default: not stageable")
        key = mapper.get_property_by_column(column).key if mapper is not None else column.key
        default = column.default
        make: Callable[[], Any] | None = None
        if default is not None and default.is_scalar:
            make = _constant(default.arg)  # type: ignore[attr-defined]
        elif default is not None and default.is_callable:
            make = _called(default.arg)  # type: ignore[attr-defined]
        columns.append((key, make, column.type._cached_bind_processor(dialect)))
    return columns


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


def _called(wrapped: Callable[[Any], Any]) -> Callable[[], Any]:
    # SQLAlchemy wraps a column's default callable to take the execution context.
    return lambda: wrapped(None)


@lru_cache(maxsize=256)
def _statement(dialect: Dialect, shape: tuple[tuple[Table, int], ...]) -> str:
    """One INSERT for `shape` ((table, rows) in order; each further table a CTE), as the
    driver's SQL with $n placeholders in the order `_values` lists the values."""
    parts: list[str] = []
    offset = 0
    for table, count in shape:
        rows = [
            {column.name: bindparam(f"r{index}_{column.key}", type_=column.type)
             for column in table.columns}
            for index in range(count)
        ]  # fmt: skip
        compiled = insert(table).values(rows).compile(dialect=dialect)
        names = list(compiled.positiontup or ())
        expected = [f"r{index}_{column.key}" for index in range(count) for column in table.columns]
        if names != expected:  # the order `_values` relies on
            raise RuntimeError(f"unexpected parameter order inserting into {table.name}")
        parts.append(_renumbered(str(compiled), offset))
        offset += len(names)
    head, *others = parts
    if not others:
        return head
    ctes = ", ".join(f"staged_{index} AS ({sql})" for index, sql in enumerate(others))
    return f"WITH {ctes} {head}"


def _renumbered(sql: str, offset: int) -> str:
    """`sql` with its placeholders $1, $2, … moved up by `offset` (it has no literals)."""
    return _PLACEHOLDER.sub(lambda found: f"${int(found.group(1)) + offset}", sql)


@event.listens_for(Session, "do_orm_execute")
def _before_statement(state: ORMExecuteState) -> None:
    session = state.session
    if session.autoflush and has_staged(session) and writable(session):
        write(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    # Also called when a savepoint is released: the rows wait for the root transaction's.
    if writable(session):
        write(session)


def writable(session: Session) -> bool:
    """Whether staged rows may be written now: not inside a savepoint, whose rollback would
    take them along although they were staged before it."""
    return not session.in_nested_transaction()


@event.listens_for(Session, "after_transaction_end")
def _after_transaction(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        # Committed (written above) or rolled back: either way nothing is left to write.
        session.info.pop(_STAGED, None)
