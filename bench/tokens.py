"""Benchmark: identity throughput through a real server process (issue 4).

Sets up a fresh database through the command line and the public API only: a throwaway
PostgreSQL database by default (created first, dropped at the end), or SQLite with
`--database-url sqlite+aiosqlite:///<new file>` (removed at the end; `sqlite+aiosqlite://`
alone means a temporary file). `qingeban seed` migrates and seeds it, `qingeban staff create`
makes a platform admin; then `qingeban serve` (one uvicorn process, no in-process worker) runs
on a free port, the admin logs in (`POST /api/v1/auth/login`) and registers a partner client
with the client_credentials grant (`POST /api/v1/admin/clients`), and a demo persona registers
(`POST /api/v1/auth/otp`, the code from `qingeban demo sms`, `POST /api/v1/auth/register`,
which asks the in-process public-security simulator) and logs in for a bearer token.

Three phases, each warmed up and then measured for a fixed time with a fixed number of
concurrent requests on keep-alive connections (one httpx client on uvloop):

* `client_credentials`: `POST /oauth/token`, grant_type=client_credentials, client_secret_basic;
* `introspect`: `POST /oauth/introspect` of the partner's own client-credentials token, as the
  partner (an answer without `"active": true` counts as an error);
* `me`: `GET /api/v1/me` with the person's bearer token.

Each phase reports requests/s, p50/p99/max latency, errors (any non-2xx or transport failure,
by status), the CPU time per request of the server and of the load generator, and how many
CPUs the server, the load generator and everything else kept busy; `background_busy_cpus` is
the machine's load in the second before set-up (other work skews the figures). `--profile
DIR` records the server with py-spy during each measured phase (raw collapsed stacks in DIR)
and adds the hottest functions to the output. Prints one JSON object:

    .venv/bin/python bench/tokens.py [--database-url URL] [--seconds 5] [--warmup 1]
                                     [--concurrency 16] [--profile DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import uvloop
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import free_port, running, throwaway_database  # noqa: E402

from app.config import Settings  # noqa: E402

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/qe_bench_tokens"
ADMIN_LOGIN = "bench.admin"
ADMIN_PASSWORD = "Bench-Admin-2026!"
PERSONA = "renter"
PARTNER_SCOPES = ["licenses.verify", "stats.read"]
PERSON_SCOPE = "openid profile phone realname"

Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]
Check = Callable[[httpx.Response], bool]


def environment(url: str, **extra: str) -> dict[str, str]:
    """The environment of the CLI and the server: this database, quiet logs, no worker.

    Without QE_REDIS_URL the rate limits count in the throwaway database, so that repeated runs
    do not use up the persona's SMS codes (10 a day, one a minute); the measured endpoints are
    not rate-limited either way."""
    return {
        **{name: value for name, value in os.environ.items() if name != "QE_REDIS_URL"},
        "QE_DATABASE_URL": url,
        "QE_INPROCESS_WORKER": "false",
        "QE_LOG_LEVEL": "WARNING",
        **extra,
    }


def cli(url: str, *args: str, stdin: str | None = None, **extra: str) -> str:
    """Run `qingeban …` against the database; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=environment(url, **extra),
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"qingeban {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


@contextlib.contextmanager
def server(url: str, port: int) -> Iterator[tuple[str, int]]:
    """`qingeban serve` as a subprocess, ready to serve: (base URL, pid)."""
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    with running(command, cwd=ROOT, env=environment(url), port=port) as pid:
        yield f"http://127.0.0.1:{port}", pid


def expect(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    """The JSON body of an expected answer; anything else stops the run with the body."""
    if response.status_code not in statuses:
        raise SystemExit(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    body: dict[str, Any] = response.json() if response.content else {}
    return body


def set_up(url: str, http: httpx.Client) -> dict[str, str]:
    """The partner's credentials and token, and the person's access token, via the API."""
    login = {"method": "password", "login": ADMIN_LOGIN, "password": ADMIN_PASSWORD}
    admin_token = expect(
        http.post("/api/v1/auth/login", json={**login, "scope": "openid admin"}), 200
    )["access_token"]
    partner = expect(
        http.post(
            "/api/v1/admin/clients",
            json={
                "name": "压测合作方",
                "kind": "partner",
                "grant_types": ["client_credentials"],
                "scopes": PARTNER_SCOPES,
            },
            headers={"Authorization": f"Bearer {admin_token}"},
        ),
        201,
    )
    basic = (partner["client_id"], partner["client_secret"])
    form = {"grant_type": "client_credentials"}
    partner_token = expect(http.post("/oauth/token", data=form, auth=basic), 200)["access_token"]

    personas = json.loads(cli(url, "demo", "personas"))
    persona = next(p for p in personas if p["key"] == PERSONA)
    expect(http.post("/api/v1/auth/otp", json={"phone": persona["login"]}), 202)
    texts = json.loads(cli(url, "demo", "sms", "--phone", persona["login"], QE_DEMO="true"))
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", texts[0]["body"])
    if found is None:
        raise SystemExit(f"no code in the demo text {texts[0]['body']!r}")
    registration = {
        "phone": persona["login"],
        "otp": found.group(1),
        "password": persona["password"],
        "name": persona["name"],
        "id_number": persona["id_number"],
    }
    # 409: the persona already has an account (a demo seed that creates them): log in anyway.
    expect(http.post("/api/v1/auth/register", json=registration), 201, 409)
    person = {"method": "password", "login": persona["login"], "password": persona["password"]}
    person_token = expect(
        http.post("/api/v1/auth/login", json={**person, "scope": PERSON_SCOPE}), 200
    )["access_token"]
    me = expect(http.get("/api/v1/me", headers={"Authorization": f"Bearer {person_token}"}), 200)
    return {
        "client_id": partner["client_id"],
        "client_secret": partner["client_secret"],
        "partner_token": partner_token,
        "person_token": person_token,
        "person_level": me["realname_level"],
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_cpu_seconds() -> float:
    """CPU seconds every CPU of the machine spent busy (not idle or waiting for I/O)."""
    ticks = [int(field) for field in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def hot_spots(path: Path, top: int = 8) -> list[dict[str, Any]]:
    """The functions most often on top of the stack in a py-spy raw (collapsed) profile, and
    the share of samples each appears anywhere in (`inclusive`)."""
    leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        frames = stack.split(";")
        total += samples
        leaf[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    return [
        {
            "frame": frame,
            "self_pct": round(100 * samples / total, 1),
            "inclusive_pct": round(100 * inclusive[frame] / total, 1),
        }
        for frame, samples in leaf.most_common(top)
    ]


async def phase(
    http: httpx.AsyncClient,
    send: Send,
    check: Check,
    *,
    concurrency: int,
    seconds: float,
    warmup: float,
    pid: int,
    profile: Path | None,
    name: str,
) -> dict[str, Any]:
    """Warm up, then `concurrency` loops of `send` for `seconds`; the figures."""

    async def loops(duration: float, timings: list[float], errors: Counter[str]) -> None:
        deadline = time.perf_counter() + duration

        async def loop() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    response = await send(http)
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                finally:
                    timings.append((time.perf_counter() - started) * 1000)
                if not 200 <= response.status_code < 300:
                    errors[str(response.status_code)] += 1
                elif not check(response):
                    errors["unexpected_body"] += 1

        await asyncio.gather(*(loop() for _ in range(concurrency)))

    await loops(warmup, [], Counter())
    spy, output = None, profile / f"{name}.txt" if profile is not None else None
    if output is not None:
        spy = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "py-spy"),
            "record", "--pid", str(pid), "--duration", str(round(seconds)), "--rate", "250",
            "--nonblocking", "--format", "raw", "--output", str(output),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await asyncio.sleep(0.5)  # py-spy attaches
    timings: list[float] = []
    errors: Counter[str] = Counter()
    server_cpu, client_cpu = cpu_seconds(pid), time.process_time()
    busy = busy_cpu_seconds()
    started = time.perf_counter()
    await loops(seconds, timings, errors)
    elapsed = time.perf_counter() - started
    server_cpu, client_cpu = cpu_seconds(pid) - server_cpu, time.process_time() - client_cpu
    busy = busy_cpu_seconds() - busy
    timings.sort()
    count = len(timings)
    figures: dict[str, Any] = {
        "requests": count,
        "requests_per_s": round(count / elapsed, 1),
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(statistics.quantiles(timings, n=100, method="inclusive")[98], 2),
        "max_ms": round(timings[-1], 2),
        "errors": sum(errors.values()),
        "errors_by_kind": dict(errors),
        "server_cpu_ms_per_request": round(server_cpu * 1000 / count, 3),
        "client_cpu_ms_per_request": round(client_cpu * 1000 / count, 3),
        # CPUs kept busy: the server, the load generator, and the rest (PostgreSQL, the
        # kernel, and whatever else runs on the machine).
        "busy_cpus": {
            "server": round(server_cpu / elapsed, 2),
            "load_generator": round(client_cpu / elapsed, 2),
            "rest": round((busy - server_cpu - client_cpu) / elapsed, 2),
        },
    }
    if spy is not None and output is not None:
        await spy.wait()
        figures["hot_spots"] = hot_spots(output)
    return figures


async def measure(
    base: str, pid: int, credentials: dict[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    """The three phases, one after the other, on one keep-alive connection pool."""
    basic = httpx.BasicAuth(credentials["client_id"], credentials["client_secret"])
    bearer = {"Authorization": f"Bearer {credentials['person_token']}"}
    token_form = {"grant_type": "client_credentials"}
    introspect_form = {"token": credentials["partner_token"], "token_type_hint": "access_token"}
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    plan: list[tuple[str, Send, Check]] = [
        (
            "client_credentials",
            lambda http: http.post("/oauth/token", data=token_form, auth=basic),
            lambda response: b'"access_token"' in response.content,
        ),
        (
            "introspect",
            lambda http: http.post("/oauth/introspect", data=introspect_form, auth=basic),
            lambda response: response.json().get("active") is True,
        ),
        (
            "me",
            lambda http: http.get("/api/v1/me", headers=bearer),
            lambda response: b'"account_id"' in response.content,
        ),
    ]
    results: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        for name, send, check in plan:
            results[name] = await phase(
                http, send, check, concurrency=args.concurrency, seconds=args.seconds,
                warmup=args.warmup, pid=pid, profile=args.profile, name=name,
            )  # fmt: skip
    return results


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Seed, create the actors, serve, measure; the figures as a dict."""
    busy = busy_cpu_seconds()
    time.sleep(1)
    background = busy_cpu_seconds() - busy
    started = time.perf_counter()
    cli(url, "seed")
    staff = [ADMIN_LOGIN, "--name", "压测管理员", "--role", "platform_admin"]
    cli(url, "staff", "create", "--login", *staff, "--department", "xzsp", "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n")  # fmt: skip
    with server(url, free_port()) as (base, pid):
        with httpx.Client(base_url=base, timeout=30) as http:
            credentials = set_up(url, http)
        setup_seconds = time.perf_counter() - started
        phases = uvloop.run(measure(base, pid, credentials, args))
    settings = Settings(database_url=url)
    errors = sum(figures["errors"] for figures in phases.values())
    return {
        "benchmark": "tokens",
        "database": make_url(url).get_backend_name(),
        "server": "qingeban serve (1 uvicorn process, uvloop + httptools)",
        "server_workers": 1,
        "cpus": os.cpu_count(),
        "background_busy_cpus": round(background, 2),
        # QE_DATABASE_POOL_SIZE (as many again may overflow); SQLite keeps its own pool.
        "database_pool_size": None if settings.is_sqlite else settings.database_pool_size,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "person_realname_level": credentials["person_level"],
        "partner_scopes": " ".join(PARTNER_SCOPES),
        **phases,
        "errors": errors,
        "ok": errors == 0,
        "setup_seconds": round(setup_seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a throwaway database")
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="measured time per phase (tokens live 10 min)"
    )
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up time per phase")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", type=Path, help="py-spy the server into this directory")
    args = parser.parse_args()
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    with throwaway_database(args.database_url) as url:
        print(json.dumps(run(url, args), ensure_ascii=False))


if __name__ == "__main__":
    main()
