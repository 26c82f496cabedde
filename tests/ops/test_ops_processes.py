"""The production shape as processes: `serve --workers 2` answers one metrics scrape for both
its processes, and `qingeban worker` logs as the API does, serves its own metrics and stops
cleanly on SIGTERM. Several server processes need PostgreSQL (SQLite's file is served by one)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from redis_support import free_port
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import Database

ROOT = Path(__file__).resolve().parents[2]


def _environment(database_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "QE_DATABASE_URL": database_url, "QE_ENV": "test",
            "QE_INPROCESS_WORKER": "false", "QE_LOG_LEVEL": "INFO", **extra}  # fmt: skip


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, stderr=output,
            stdout=output,
        )  # fmt: skip
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never answered 200: {log.read_text()[-2000:]}")


@pytest.fixture
def postgresql(database: Database, database_url: str) -> str:
    if not database.is_postgresql:
        pytest.skip("several server processes share PostgreSQL; SQLite is served by one")
    return database_url


def _sockets_on(port: int, state: str) -> set[str]:
    """Inodes of the IPv4 TCP sockets on local `port` in `state` (0A listening, 01 established)."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return {
        fields[9] for fields in map(str.split, rows)
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state
    }  # fmt: skip


def _listening(port: int, workers: int) -> set[str]:
    """The listening sockets on `port` once `workers` listen: the first worker up answers
    /readyz while the others may still be starting."""
    deadline = time.monotonic() + 60
    while len(listening := _sockets_on(port, "0A")) < workers and time.monotonic() < deadline:
        time.sleep(0.2)
    return listening


def _held_by(pid: int, inodes: set[str]) -> set[str]:
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:[") and target[8:-1] in inodes:
                held.add(target[8:-1])
    return held


def test_one_scrape_counts_every_process_of_the_server(postgresql: str, tmp_path: Path) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    port = free_port()
    env = _environment(postgresql, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    log = tmp_path / "serve.log"
    command = ["serve", "--port", str(port), "--workers", "2"]
    with _process(command, env, log) as server:
        base = f"http://127.0.0.1:{port}"
        _wait_for(f"{base}/readyz", server, log)
        _listening(port, 2)
        for _ in range(60):  # a new connection each: the kernel spreads them over both
            assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        scrape = httpx.get(f"{base}/metrics", timeout=5).text
    served_by = {path.name.split("_")[-1] for path in metrics_dir.glob("counter_*.db")}
    assert len(served_by) == 2, f"both processes counted requests: {served_by}"
    found = re.search(
        r'qingeban_http_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)',
        scrape,
    )
    assert found is not None, scrape[:2000]
    assert float(found.group(1)) == 60.0, "the sum of both processes, not one's share"


def test_each_worker_accepts_on_its_own_socket(postgresql: str, tmp_path: Path) -> None:
    """Kept-alive connections spread over both workers: each listens on a socket of its own
    (SO_REUSEPORT), so one awake worker cannot accept every waiting connection."""
    port, log = free_port(), tmp_path / "serve.log"
    command = ["serve", "--port", str(port), "--workers", "2"]
    with _process(command, _environment(postgresql), log) as server:
        _wait_for(f"http://127.0.0.1:{port}/readyz", server, log)
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        listening = _listening(port, 2)
        owners = {int(pid): _held_by(int(pid), listening) for pid in children}
        workers = {pid: held for pid, held in owners.items() if held}
        assert (len(workers), len(listening)) == (2, 2), (owners, listening)
        assert all(len(held) == 1 for held in workers.values()), "one socket each, not shared"
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}") for _ in range(32)]
        try:
            for client in clients:
                assert client.get("/healthz").status_code == 200
            kept = _sockets_on(port, "01")
            served = {pid: len(_held_by(pid, kept)) for pid in workers}
        finally:
            for client in clients:
                client.close()
    assert sum(served.values()) == 32, served
    assert all(served.values()), f"both workers hold kept-alive connections: {served}"


def test_workers_on_a_taken_port_fail_the_start(postgresql: str, tmp_path: Path) -> None:
    """A port another program listens on: the workers cannot bind their own sockets, and the
    server exits with uvicorn's start-up failure (3), not 0 as if it had stopped cleanly."""
    port, log = free_port(), tmp_path / "serve.log"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        command = ["serve", "--port", str(port), "--workers", "2"]
        with _process(command, _environment(postgresql), log) as server:
            assert server.wait(timeout=90) == 3
    assert "cannot listen on 127.0.0.1" in log.read_text()


def test_the_worker_logs_serves_its_metrics_and_stops_on_sigterm(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "worker.log"
    with _process(
        ["worker", "--metrics-port", str(port)], _environment(database_url), log
    ) as worker:
        _wait_for(f"http://127.0.0.1:{port}/metrics", worker, log)
        scrape = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    assert "qingeban_jobs_finished_total" in scrape
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    messages = [line["message"] for line in lines]
    assert "worker started" in messages
    assert "worker stopped" in messages
    assert all({"time", "level", "logger"} <= line.keys() for line in lines)


def test_a_request_in_flight_is_answered_after_sigterm(database_url: str, tmp_path: Path) -> None:
    """A rolling deploy stops a process: the request it is reading is still answered."""
    port = free_port()
    log = tmp_path / "serve.log"
    body = json.dumps({"license_no": "NOT-A-NUMBER-0000", "holder_name": "王晓明"}).encode()

    def trickle() -> Iterator[bytes]:
        yield body[:10]
        # The server must have read the request's head before the signal: uvicorn closes a
        # connection whose head it has not parsed yet, unanswered, as an idle one (a full run
        # on a busy machine once saw the connection closed so).
        time.sleep(0.5)
        server.send_signal(signal.SIGTERM)  # the deploy stops the process mid-request
        time.sleep(1.0)
        yield body[10:]

    with _process(["serve", "--port", str(port)], _environment(database_url), log) as server:
        _wait_for(f"http://127.0.0.1:{port}/readyz", server, log)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/licenses/verify", content=trickle(),
            headers={"Content-Type": "application/json"}, timeout=30,
        )  # fmt: skip
        # uvicorn shuts down gracefully, then re-raises the signal it caught: -15 is the end
        # of a clean stop here, not a kill.
        assert server.wait(timeout=30) in (0, -signal.SIGTERM)
    assert answer.status_code < 500, answer.text
    assert answer.headers["content-type"].startswith("application/")


def test_three_servers_started_at_once_on_an_empty_database(
    postgresql: str, tmp_path: Path
) -> None:
    """A deployment's replicas start together on a fresh database: all become ready, and the
    schema is migrated (and the catalog seeded) by exactly one of them."""
    empty = make_url(postgresql).set(database=f"{make_url(postgresql).database}_three")
    maintenance = make_url(postgresql).set(database="postgres")
    drop = f'DROP DATABASE IF EXISTS "{empty.database}" WITH (FORCE)'
    asyncio.run(_admin(maintenance, drop, f'CREATE DATABASE "{empty.database}"'))
    url = empty.render_as_string(hide_password=False)
    ports = [free_port() for _ in range(3)]
    try:
        with contextlib.ExitStack() as stack:
            servers = [
                (stack.enter_context(_process(["serve", "--port", str(port)], _environment(url),
                                              tmp_path / f"serve-{port}.log")), port)
                for port in ports
            ]  # fmt: skip
            for server, port in servers:
                _wait_for(f"http://127.0.0.1:{port}/readyz", server, tmp_path / f"serve-{port}.log")
            catalog = httpx.get(f"http://127.0.0.1:{ports[2]}/api/v1/services?q=公积金", timeout=10)
    finally:
        asyncio.run(_admin(maintenance, drop))
    prepared = [
        line for port in ports
        for line in (tmp_path / f"serve-{port}.log").read_text().splitlines()
        if '"database prepared"' in line
    ]  # fmt: skip
    assert len(prepared) == 1, prepared
    assert catalog.json()["items"], "every replica serves the real catalog"


async def _admin(url: URL, *statements: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()
