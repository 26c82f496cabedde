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
from base64 import b64encode
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import uvloop
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _load import Shape, Tally, latency_figures, run_phase, tree_cpu_seconds  # noqa: E402
from _support import free_port, running, throwaway_database  # noqa: E402

from app.config import Settings  # noqa: E402

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/qe_bench_tokens"
ADMIN_LOGIN = "bench.admin"
ADMIN_PASSWORD = "Bench-Admin-2026!"
PERSONA = "renter"
PARTNER_SCOPES = ["licenses.verify", "stats.read"]
PERSON_SCOPE = "openid profile phone realname"

FORM = "application/x-www-form-urlencoded"
PEER_DIR = ROOT / "bench" / "peer"
PEER_VERSION = json.loads((PEER_DIR / "package.json").read_text())["dependencies"]["oidc-provider"]
PEER_CLIENT = "bench-partner"
PEER_SECRET = "bench-peer-secret-" + "0123456789abcdef" * 2


@cache
def NODE_VERSION() -> str:  # noqa: N802 - read once, like a constant
    """The Node.js the peer runs on."""
    return subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()


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
def server(url: str, port: int, workers: int = 1) -> Iterator[tuple[str, int]]:
    """`qingeban serve` as a subprocess, ready to serve: (base URL, pid)."""
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
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


@dataclass(frozen=True)
class Phase:
    """One measured kind of request against one server."""

    name: str
    shape: Shape
    body: bytes | Callable[[], bytes]  # a callable is asked once, when the phase starts
    check: Callable[[int, bytes], str]


def _basic(client_id: str, secret: str) -> tuple[str, str]:
    return ("Authorization", "Basic " + b64encode(f"{client_id}:{secret}".encode()).decode())


def _form(path: str, client_id: str, secret: str) -> Shape:
    return Shape(path, content_type=FORM, headers=(_basic(client_id, secret),))


def answered(marker: bytes) -> Callable[[int, bytes], str]:
    def check(status: int, answer: bytes) -> str:
        if not 200 <= status < 300:
            return str(status)
        return "ok" if marker in answer else "unexpected_body"

    return check


def our_phases(credentials: dict[str, str], *, peer_only: bool) -> list[Phase]:
    """client_credentials and introspection (and, alone, `GET /api/v1/me`) on the platform."""
    client_id, secret = credentials["client_id"], credentials["client_secret"]
    introspect = urlencode(
        {"token": credentials["partner_token"], "token_type_hint": "access_token"}
    )
    phases = [
        Phase("client_credentials", _form("/oauth/token", client_id, secret),
              b"grant_type=client_credentials", answered(b'"access_token"')),
        Phase("introspect", _form("/oauth/introspect", client_id, secret),
              introspect.encode(), answered(b'"active":true')),
    ]  # fmt: skip
    if not peer_only:
        bearer = ("Authorization", f"Bearer {credentials['person_token']}")
        phases.append(
            Phase("me", Shape("/api/v1/me", method="GET", headers=(bearer,)), b"",
                  answered(b'"account_id"'))
        )  # fmt: skip
    return phases


def peer_phases(base: str) -> list[Phase]:
    """The same two requests on oidc-provider (its introspection answers `"active":true`)."""
    form = {"grant_type": "client_credentials", "scope": "api"}

    def introspect() -> bytes:
        # Asked for when the phase starts: the quick-start in-memory store keeps only the
        # newest tokens, and the token phase before it issues tens of thousands.
        answer = httpx.post(f"{base}/token", data=form, auth=(PEER_CLIENT, PEER_SECRET))
        access = expect(answer, 200)["access_token"]
        return urlencode({"token": access, "token_type_hint": "access_token"}).encode()

    return [
        Phase("client_credentials", _form("/token", PEER_CLIENT, PEER_SECRET),
              urlencode(form).encode(), answered(b'"access_token"')),
        Phase("introspect", _form("/token/introspection", PEER_CLIENT, PEER_SECRET),
              introspect, answered(b'"active":true')),
    ]  # fmt: skip


async def measure_phase(
    port: int, pid: int, phase: Phase, args: argparse.Namespace, profile: Path | None
) -> dict[str, Any]:
    """Warm up, then `--concurrency` keep-alive connections for `--seconds`; the figures."""
    body = phase.body() if callable(phase.body) else phase.body

    async def load(seconds: float) -> Tally:
        return await run_phase("127.0.0.1", port, phase.shape, lambda: body, phase.check,
                               clients=args.concurrency, seconds=seconds)  # fmt: skip

    await load(args.warmup)
    spy = None
    if profile is not None:
        spy = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "py-spy"),
            "record", "--pid", str(pid), "--subprocesses", "--duration", str(round(args.seconds)),
            "--rate", "250", "--nonblocking", "--format", "raw", "--output", str(profile),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await asyncio.sleep(0.5)  # py-spy attaches
    server_cpu, client_cpu = tree_cpu_seconds(pid), time.process_time()
    busy = busy_cpu_seconds()
    started = time.perf_counter()
    tally = await load(args.seconds)
    elapsed = time.perf_counter() - started
    server_cpu, client_cpu = tree_cpu_seconds(pid) - server_cpu, time.process_time() - client_cpu
    busy = busy_cpu_seconds() - busy
    count = max(len(tally.timings), 1)
    errors = {kind: n for kind, n in tally.outcomes.items() if kind != "ok"}
    figures: dict[str, Any] = {
        **latency_figures(tally, elapsed),
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
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
    if spy is not None and profile is not None:
        await spy.wait()
        figures["hot_spots"] = hot_spots(profile)
    return figures


async def measure(
    port: int, pid: int, phases: list[Phase], args: argparse.Namespace, label: str
) -> dict[str, Any]:
    """Each phase in turn against one server."""
    results: dict[str, Any] = {}
    for phase in phases:
        profile = args.profile / f"{label}-{phase.name}.txt" if args.profile else None
        results[phase.name] = await measure_phase(port, pid, phase, args, profile)
    return results


@contextlib.contextmanager
def peer_server() -> Iterator[tuple[str, int, int]]:
    """oidc-provider from npm (installed from bench/peer's lock file on first use):
    (base URL, port, pid)."""
    if not (PEER_DIR / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=PEER_DIR,
                       check=True)  # fmt: skip
    port = free_port()
    env = {**os.environ, "PORT": str(port), "CLIENT_ID": PEER_CLIENT, "CLIENT_SECRET": PEER_SECRET,
           "NODE_ENV": "production"}  # fmt: skip
    command = ["node", "server.mjs"]
    with running(command, cwd=PEER_DIR, env=env, port=port,
                 ready_path="/.well-known/openid-configuration") as pid:  # fmt: skip
        yield f"http://127.0.0.1:{port}", port, pid


def _median(rounds: list[dict[str, Any]], phase: str, figure: str) -> float:
    return round(statistics.median(r[phase][figure] for r in rounds), 3)


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Seed, create the actors, serve, measure (alternating with the peer); the figures."""
    busy = busy_cpu_seconds()
    time.sleep(1)
    background = busy_cpu_seconds() - busy
    started = time.perf_counter()
    cli(url, "seed")
    staff = [ADMIN_LOGIN, "--name", "压测管理员", "--role", "platform_admin"]
    cli(url, "staff", "create", "--login", *staff, "--department", "xzsp", "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n")  # fmt: skip
    ours: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    port = free_port()
    with contextlib.ExitStack() as stack:
        base, pid = stack.enter_context(server(url, port, args.workers))
        with httpx.Client(base_url=base, timeout=30) as http:
            credentials = set_up(url, http)
        plan = our_phases(credentials, peer_only=args.peer)
        peer_plan: list[Phase] = []
        peer_port = peer_pid = 0
        if args.peer:
            peer_base, peer_port, peer_pid = stack.enter_context(peer_server())
            peer_plan = peer_phases(peer_base)
        setup_seconds = time.perf_counter() - started
        # Alternating, so that whatever else the machine does falls on both alike.
        for round_ in range(args.rounds if args.peer else 1):
            ours.append(uvloop.run(measure(port, pid, plan, args, f"ours{round_}")))
            if args.peer:
                theirs.append(
                    uvloop.run(measure(peer_port, peer_pid, peer_plan, args, f"peer{round_}"))
                )
    settings = Settings(database_url=url)
    errors = sum(f["errors"] for r in ours + theirs for f in r.values())
    report: dict[str, Any] = {
        "benchmark": "tokens",
        "database": make_url(url).get_backend_name(),
        "server": f"qingeban serve --workers {args.workers} (uvicorn, uvloop + httptools)",
        "server_workers": args.workers,
        "load_generator": "bench/_load.py (raw keep-alive sockets)",
        "cpus": os.cpu_count(),
        "background_busy_cpus": round(background, 2),
        "database_pool_size": None if settings.is_sqlite else settings.database_pool_size,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "person_realname_level": credentials["person_level"],
        "partner_scopes": " ".join(PARTNER_SCOPES),
    }
    if not args.peer:
        report.update(ours[0])
    else:
        report["peer"] = (
            "oidc-provider " + PEER_VERSION + " (Node " + NODE_VERSION() + ", 1 process)"
        )
        report["rounds"] = {"ours": ours, "peer": theirs}
        for phase in ("client_credentials", "introspect"):
            mine = _median(ours, phase, "requests_per_s")
            peer = _median(theirs, phase, "requests_per_s")
            report[phase] = {
                "ours_requests_per_s": mine,
                "peer_requests_per_s": peer,
                "ratio": round(mine / peer, 3) if peer else None,
                "ours_server_cpu_ms": _median(ours, phase, "server_cpu_ms_per_request"),
                "peer_server_cpu_ms": _median(theirs, phase, "server_cpu_ms_per_request"),
                "ours_p99_ms": _median(ours, phase, "p99_ms"),
                "peer_p99_ms": _median(theirs, phase, "p99_ms"),
            }
    report.update(errors=errors, ok=errors == 0, setup_seconds=round(setup_seconds, 2))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a throwaway database")
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="measured time per phase (tokens live 10 min)"
    )
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up time per phase")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", type=Path, help="py-spy the server into this directory")
    parser.add_argument("--workers", type=int, default=1, help="serve --workers (PostgreSQL)")
    parser.add_argument("--peer", action="store_true", help="alternate with oidc-provider")
    parser.add_argument("--rounds", type=int, default=2, help="alternations with --peer")
    args = parser.parse_args()
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    with throwaway_database(args.database_url) as url:
        print(json.dumps(run(url, args), ensure_ascii=False))


if __name__ == "__main__":
    main()
