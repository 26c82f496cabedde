"""What the benchmarks share: a free port, a throwaway database, a server subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

_RESERVED = frozenset({"postgres", "template0", "template1"})


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def admin(url: str, *statements: str) -> None:
    """Run statements on the PostgreSQL maintenance database."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _postgres(parsed: URL) -> tuple[str, str]:
    """(maintenance URL, database name) of a throwaway PostgreSQL database URL."""
    name = parsed.database
    if not name or name in _RESERVED:
        raise SystemExit("give a throwaway database name, e.g. …:5432/qe_bench")
    return parsed.set(database="postgres").render_as_string(hide_password=False), name


@contextlib.contextmanager
def _sqlite(parsed: URL) -> Iterator[str]:
    if not parsed.database:
        with tempfile.TemporaryDirectory(prefix="qe-bench-") as workdir:
            yield f"sqlite+aiosqlite:///{workdir}/bench.db"
        return
    path = Path(parsed.database).resolve()  # the servers and the CLI run in the repository
    if path.exists():
        raise SystemExit(f"{path} exists: give a new file, or sqlite+aiosqlite:// alone")
    try:
        yield parsed.set(database=str(path)).render_as_string(hide_password=False)
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextlib.contextmanager
def throwaway_database(url: str | None, *, keep: bool = False) -> Iterator[str]:
    """A fresh database URL, removed afterwards: a temporary SQLite file for None or a bare
    `sqlite+aiosqlite://`, that new SQLite file, or that PostgreSQL database (re)created; with
    `keep`, a PostgreSQL database stays for later runs."""
    parsed = make_url(url or "sqlite+aiosqlite://")
    if parsed.get_backend_name() == "sqlite":
        with _sqlite(parsed) as sqlite_url:
            yield sqlite_url
        return
    maintenance, name = _postgres(parsed)
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    asyncio.run(admin(maintenance, drop, f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.render_as_string(hide_password=False)
    finally:
        if not keep:
            asyncio.run(admin(maintenance, drop))


@contextlib.asynccontextmanager
async def athrowaway_database(url: str | None) -> AsyncIterator[str]:
    """`throwaway_database` for benchmarks that run inside an event loop."""
    parsed = make_url(url or "sqlite+aiosqlite://")
    if parsed.get_backend_name() == "sqlite":
        with _sqlite(parsed) as sqlite_url:
            yield sqlite_url
        return
    maintenance, name = _postgres(parsed)
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    await admin(maintenance, drop, f'CREATE DATABASE "{name}"')
    try:
        yield parsed.render_as_string(hide_password=False)
    finally:
        await admin(maintenance, drop)


@contextlib.contextmanager
def running(
    command: list[str], *, cwd: Path, env: dict[str, str], port: int, ready_path: str = "/readyz",
    headers: dict[str, str] | None = None,
) -> Iterator[int]:  # fmt: skip
    """A server subprocess on `port`, once GET `ready_path` answers 200; yields its pid. What
    it prints goes to standard error: a benchmark's standard output is its one JSON object."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=sys.stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                answer = httpx.get(f"{base}{ready_path}", headers=headers, timeout=2)
                if answer.status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not become ready")
            time.sleep(0.2)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
