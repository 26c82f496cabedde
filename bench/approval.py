"""Benchmark: 秒批 end to end — 50 concurrent lanes of citizens submitting auto applications.

Everything runs as its own process, as in production: a throwaway PostgreSQL database
(created first, dropped at the end) seeded by `qingeban seed --demo`; the department simulator
(`qingeban simulator --port <free>`); and `qingeban serve --workers 2` pointed at the simulator
for every department through QE_DEPARTMENT_URLS (no QE_DEPARTMENT_TOKENS: outside production a
department without a token is sent the simulator's published demo token, which is what the
simulator accepts), QE_APPROVAL_DEADLINE_SECONDS=1, no in-process job worker (the housing-fund
disbursement jobs the approvals queue wait in the outbox; a `qingeban worker` would take them).

The citizens: a withdrawal is granted once per entitlement period and a citizen has one open
case per service, so — as on a real deadline day — every submission is a different citizen's
first. The benchmark registers a pool of synthetic residents of the simulator's population
through the public API, as the app would: people the population says are eligible for
住房公积金租房提取 (alive, no home in Qingdao, not on the defaulter list, three or more months of
deposits, no fund loan, no withdrawal in the last three months) get an SMS code
(`POST /api/v1/auth/otp`, the code read with `qingeban demo sms`), register
(`POST /api/v1/auth/register`, public security matches name and ID number), log in and pass face
verification (L3, which the service asks for). The pool is sized for the phases (`--pool`); each
of the `--citizens` lanes takes the next unused citizen for each submission. The server's SMS and
login limits per address are raised for the set-up (every citizen comes from 127.0.0.1).

Then, through the simulator's /_admin/faults API, the departments the rent ruleset reads answer
in 100 (court), 200 (bdc) and 300 ms (gjj), each ±10% (as bench/fanout.py), and:

* latency phases, after a warm-up round, each for `--seconds`: each lane, on its own
  keep-alive connection, submits `gjj.withdraw.rent` for its next citizen — "saturated": again
  as soon as the last answer arrived (a closed loop: as many submissions as the machine can
  take); "paced": once every `--pace-seconds` (1, 2 and 4 s: 50, 25 and 12.5 submissions a
  second offered, the first ones spread over the pace). The figures of each: end-to-end
  decision latency (request written → 201 read) ÷ the slowest latency the ruleset needs
  (300 ms), p50 and p99 (goals ≤ 1.15 and ≤ 1.5); approvals per second; errors (anything but a
  201 with `approved`, goal 0);
* hang phase: the real-estate registry (bdc) hangs and every lane submits `--hang-rounds`
  times; the share answered as `pending_review` within the deadline + 100 ms (goal 1.0).

Each approval queues its disbursement (the outbox); no worker runs during the phases.

The load generator writes pre-built requests to raw sockets (bench/_load.py's approach: httpx
would cost ~3 ms of CPU per request on a 2-core machine); its CPU, the server's (all its
processes), the simulator's and the rest of the machine's (PostgreSQL) are reported per
submission. Prints one JSON object:

    .venv/bin/python bench/approval.py [--database-url URL] [--citizens 50] [--seconds 10]
                                       [--pace-seconds 1,2,4] [--hang-rounds 2] [--pool N]
                                       [--profile FILE]

`--profile FILE` samples the server's workers with py-spy during the saturated phase (raw
collapsed stacks; sampling slows them, so the phase's figures are not comparable then).

The server inherits the environment: `QE_AUDIT_SEALING=inline` runs it with the audit chain
appended under the head's lock, as before deferred sealing (the default on PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import uvloop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _load import tree_cpu_seconds  # noqa: E402
from _support import free_port, running, throwaway_database  # noqa: E402

from app.adapters.simulator.datasets import DEPARTMENTS  # noqa: E402
from app.adapters.simulator.population import Population  # noqa: E402
from app.adapters.simulator.records import Person  # noqa: E402
from app.adapters.simulator.settings import DEFAULT_ADMIN_TOKEN  # noqa: E402
from app.kit.clock import SHANGHAI, utcnow  # noqa: E402
from app.kit.masking import mask_phone  # noqa: E402

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/qe_bench_approval"
SERVICE = "gjj.withdraw.rent"
# The departments the rent ruleset reads, and how long each takes to answer.
LATENCY_MS = {"court": 100, "bdc": 200, "gjj": 300}
HANGING = "bdc"
PASSWORD = "Bench-Citizen-2026!"
SELFIE = "bench-selfie"
SIM_ADMIN = {"Authorization": f"Bearer {DEFAULT_ADMIN_TOKEN}"}
DEADLINE_SECONDS = 1.0
GOAL_P50, GOAL_P99 = 1.15, 1.5


def environment(url: str, **extra: str) -> dict[str, str]:
    """The environment of the CLI and the server."""
    return {
        **{name: value for name, value in os.environ.items() if name != "QE_REDIS_URL"},
        "QE_DATABASE_URL": url,
        "QE_INPROCESS_WORKER": "false",
        "QE_LOG_LEVEL": "WARNING",
        **extra,
    }


def cli(url: str, *args: str, **extra: str) -> str:
    """Run `qingeban …` against the database; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=environment(url, **extra),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"qingeban {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_cpu_seconds() -> float:
    """CPU seconds every CPU of the machine spent busy (not idle or waiting for I/O)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


# --- the citizens ----------------------------------------------------------------------------


def eligible(person: Person, today: date) -> bool:
    """What the rent ruleset asks, as the population records it (the qualifying round decides)."""
    fund = person.housing_fund
    last = fund.last_withdrawal
    return (
        person.alive
        and 20 <= person.age_on(today) <= 55
        and not person.court_defaulter
        and not person.properties
        and fund.account_number is not None
        and fund.consecutive_months >= 3
        and fund.loan is None
        and (last is None or (today - last).days > 100)
    )


def candidates(count: int) -> list[Person]:
    """`count` eligible residents with distinct masked phones (how the SMS inbox shows them)."""
    today = utcnow().astimezone(SHANGHAI).date()
    population = Population()  # as the simulator builds it (its reference date, its personas)
    personas = {persona.index for persona in population.personas}
    chosen: list[Person] = []
    masks: set[str] = set()
    step = 7919  # a prime: spread over the population
    for n in range(population.size):
        index = (12345 + n * step) % population.size
        if index in personas:
            continue
        person = population.person(index)
        if eligible(person, today) and mask_phone(person.phone) not in masks:
            chosen.append(person)
            masks.add(mask_phone(person.phone))
            if len(chosen) == count:
                break
    return chosen


def rent_form(person: Person) -> dict[str, Any]:
    """住房公积金提取（租赁住房）: the verified fields from the person, the rest typed (no
    account: the fund centre pays the card it holds)."""
    return {
        "applicant_name": person.name, "id_number": person.id_number, "phone": person.phone,
        "rent_basis": "按本市租房提取限额",
        "rental_address": "青岛市市南区香港中路 10 号 3 单元 501 户",
        "lease_start": "2026-09-01", "lease_end": "2027-08-31",
    }  # fmt: skip


def expect(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    """The JSON body of an expected answer; anything else stops the run."""
    if response.status_code not in statuses:
        raise SystemExit(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    body: dict[str, Any] = response.json() if response.content else {}
    return body


# SMS codes expire within minutes: a large pool registers in batches, each with fresh codes.
REGISTRATION_BATCH = 200


def register(url: str, http: httpx.Client, people: list[Person]) -> dict[int, str]:
    """Register, log in and face-verify each person through the API: index → access token."""
    tokens: dict[int, str] = {}
    for start in range(0, len(people), REGISTRATION_BATCH):
        tokens |= _register_batch(url, http, people[start : start + REGISTRATION_BATCH])
    return tokens


def _register_batch(url: str, http: httpx.Client, people: list[Person]) -> dict[int, str]:
    for person in people:
        expect(http.post("/api/v1/auth/otp", json={"phone": person.phone}), 202)
    texts = json.loads(cli(url, "demo", "sms", "--limit", str(4 * len(people)), QE_DEMO="true"))
    codes: dict[str, str] = {}
    for text in reversed(texts):  # oldest first: the newest code of a phone wins
        found = re.search(r"(?<!\d)(\d{6})(?!\d)", text["body"])
        if found is not None:
            codes[text["phone_masked"]] = found.group(1)

    def one(person: Person) -> tuple[int, str | None]:
        registration = {
            "phone": person.phone, "otp": codes[mask_phone(person.phone)], "password": PASSWORD,
            "name": person.name, "id_number": person.id_number,
        }  # fmt: skip
        answer = http.post("/api/v1/auth/register", json=registration)
        if answer.status_code != 201:
            raise SystemExit(f"registering person {person.index} ({person.name}): {answer.text}")
        login = {"method": "password", "login": person.phone, "password": PASSWORD}
        token = expect(http.post("/api/v1/auth/login", json=login), 200)["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        face = http.post(
            "/api/v1/auth/face-verification", json={"selfie_token": SELFIE}, headers=bearer
        )
        return person.index, token if face.status_code == 200 else None

    # Four at a time: the server has two workers, and each registration waits on departments.
    with ThreadPoolExecutor(max_workers=4) as pool:
        return {index: token for index, token in pool.map(one, people) if token is not None}


# --- the load generator ----------------------------------------------------------------------


@dataclass
class Citizen:
    """A registered resident: their pre-built submission."""

    person: Person
    request: bytes


@dataclass
class Tally:
    """Latencies (s) and outcomes of a phase."""

    samples: list[tuple[float, str]] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    # Why cases were referred: "criterion: result (reason)" of each criterion not passed.
    referrals: Counter[str] = field(default_factory=Counter)
    # When the referred submissions were sent: whole seconds since the phase began → count.
    referred_in_second: Counter[int] = field(default_factory=Counter)
    began: float = field(default_factory=time.perf_counter)


def build_request(host: str, token: str, person: Person) -> bytes:
    """The raw HTTP/1.1 request of one submission (nothing to upload: the ID card is the
    verified identity)."""
    payload = {"service_code": SERVICE, "form": rent_form(person), "materials": []}
    body = json.dumps(payload).encode()
    head = (
        f"POST /api/v1/applications HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    answer = await reader.readexactly(length)
    return time.perf_counter() - started, status, answer


def _outcome(status: int, answer: bytes) -> str:
    if status != 201:
        return f"http_{status}"
    found = re.search(rb'"status":"([a-z_]+)"', answer)
    return found.group(1).decode() if found else "unreadable"


def _referred_for(answer: bytes) -> list[str]:
    # "criterion: result (why)", the why being the reason's last part ("…: deadline").
    criteria = (json.loads(answer).get("decision") or {}).get("criteria") or []
    return [
        f"{c['id']}: {c['result']}"
        + (f" ({c['reason'].rsplit(':', 1)[-1].strip()})" if c.get("reason") else "")
        for c in criteria
        if c["result"] != "passed"
    ]


class Pool:
    """The registered citizens not yet used: each submission is a new citizen's first."""

    def __init__(self, citizens: list[Citizen]) -> None:
        self._unused = iter(citizens)
        self.used = 0

    def next(self) -> Citizen | None:
        """The next citizen, or None when the pool is spent."""
        citizen = next(self._unused, None)
        self.used += citizen is not None
        return citizen


async def citizen_loop(
    port: int,
    pool: Pool,
    tally: Tally,
    *,
    until: float | None,
    rounds: int | None,
    pace: float = 0.0,
    offset: float = 0.0,
) -> None:
    """One lane on one keep-alive connection: submit for its next citizen, read the answer,
    submit again — at once (`pace` 0), or `pace` seconds after the last submission started,
    from `offset`."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as exc:
        tally.outcomes[f"transport:{type(exc).__name__}"] += 1
        return
    done = 0
    await asyncio.sleep(offset)
    try:
        while (until is None or time.perf_counter() < until) and (rounds is None or done < rounds):
            citizen = pool.next()
            if citizen is None:
                tally.outcomes["pool_spent"] += 1
                break
            started = time.perf_counter()
            elapsed, status, answer = await _exchange(reader, writer, citizen.request)
            outcome = _outcome(status, answer)
            tally.samples.append((elapsed, outcome))
            tally.outcomes[outcome] += 1
            if outcome == "pending_review":
                tally.referrals.update(_referred_for(answer))
                tally.referred_in_second[int(started - tally.began)] += 1
            done += 1
            if pace:
                await asyncio.sleep(max(0.0, started + pace - time.perf_counter()))
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        tally.outcomes[f"transport:{type(exc).__name__}"] += 1
    finally:
        writer.close()


async def phase(
    port: int,
    pool: Pool,
    lanes: int,
    *,
    seconds: float | None = None,
    rounds: int | None = None,
    pace: float = 0.0,
) -> tuple[Tally, float]:
    """Every lane at once, for `seconds` or `rounds` submissions each: (tally, elapsed).
    Paced, the lanes' first submissions are spread evenly over one pace."""
    tally = Tally()
    started = time.perf_counter()
    until = started + seconds if seconds is not None else None
    await asyncio.gather(*(
        citizen_loop(port, pool, tally, until=until, rounds=rounds, pace=pace,
                     offset=pace * number / lanes)
        for number in range(lanes)
    ))  # fmt: skip
    return tally, time.perf_counter() - started


@dataclass
class Measured:
    """One latency phase: what the citizens saw and what it cost the machine."""

    tally: Tally
    elapsed: float
    server_cpu: float
    sim_cpu: float
    client_cpu: float
    busy: float

    def figures(self) -> dict[str, Any]:
        """The phase's figures, as printed."""
        samples = self.tally.samples
        slowest = max(LATENCY_MS.values()) / 1000
        ratios = [elapsed_s / slowest for elapsed_s, _ in samples]
        count = len(samples)
        approvals = self.tally.outcomes.get("approved", 0)
        errors = sum(n for outcome, n in self.tally.outcomes.items() if outcome != "approved")
        rest = self.busy - self.server_cpu - self.sim_cpu - self.client_cpu
        return {
            "seconds": round(self.elapsed, 2),
            "submissions": count,
            "ratio_p50": round(percentile(ratios, 50), 3),
            "ratio_p99": round(percentile(ratios, 99), 3),
            "ratio_max": round(max(ratios), 3),
            "latency_p50_ms": round(percentile([s for s, _ in samples], 50) * 1000, 1),
            "latency_p99_ms": round(percentile([s for s, _ in samples], 99) * 1000, 1),
            "approvals_per_s": round(approvals / self.elapsed, 1),
            "errors": errors,
            "outcomes": dict(self.tally.outcomes),
            "referred_for": dict(self.tally.referrals.most_common(5)),
            "referred_by_second_sent": dict(sorted(self.tally.referred_in_second.items())),
            "cpu_ms_per_submission": {
                "server": round(self.server_cpu * 1000 / count, 2),
                "simulator": round(self.sim_cpu * 1000 / count, 2),
                "load_generator": round(self.client_cpu * 1000 / count, 3),
                "rest": round(rest * 1000 / count, 2),
            },
            "busy_cpus": {
                "server": round(self.server_cpu / self.elapsed, 2),
                "simulator": round(self.sim_cpu / self.elapsed, 2),
                "load_generator": round(self.client_cpu / self.elapsed, 2),
                "rest": round(rest / self.elapsed, 2),
            },
        }

    def meets_goals(self) -> bool:
        """Ratio p50 ≤ 1.15, p99 ≤ 1.5, no errors."""
        figures = self.figures()
        return (figures["ratio_p50"] <= GOAL_P50 and figures["ratio_p99"] <= GOAL_P99
                and figures["errors"] == 0)  # fmt: skip


def measure(
    port: int, pool: Pool, lanes: int, server_pid: int, sim_pid: int, *, seconds: float,
    pace: float, profile: Path | None = None,
) -> Measured:  # fmt: skip
    """One latency phase with the machine's CPU accounted per process; with `profile`, the
    server's workers sampled by py-spy into that file (raw collapsed stacks)."""
    spy = None
    if profile is not None:
        spy = subprocess.Popen(
            [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(server_pid),
             "--subprocesses", "--duration", str(round(seconds)), "--rate", "200",
             "--format", "raw", "--output", str(profile)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(0.5)  # py-spy attaches
    cpu = (tree_cpu_seconds(server_pid), cpu_seconds(sim_pid), time.process_time())
    busy = busy_cpu_seconds()
    tally, elapsed = uvloop.run(phase(port, pool, lanes, seconds=seconds, pace=pace))
    if spy is not None:
        spy.wait()
    if tally.outcomes.get("pool_spent"):
        raise SystemExit("the registered citizens ran out mid-phase: a larger --pool, or none")
    return Measured(
        tally=tally, elapsed=elapsed, server_cpu=tree_cpu_seconds(server_pid) - cpu[0],
        sim_cpu=cpu_seconds(sim_pid) - cpu[1], client_cpu=time.process_time() - cpu[2],
        busy=busy_cpu_seconds() - busy,
    )  # fmt: skip


# The most submissions a second the saturated phase can take on this machine (bench runs of
# December 2026 saw 50-114): the pool is sized so that no phase runs out of citizens.
SATURATED_MAX_PER_S = 160


def pool_size(args: argparse.Namespace) -> int:
    """Citizens enough for the warm-up, every phase and the hang rounds, each used once."""
    paced = sum(args.citizens / pace for pace in args.pace_seconds) * args.seconds
    rounds = args.citizens * (1 + args.hang_rounds)
    return int(rounds + SATURATED_MAX_PER_S * args.seconds + paced * 1.05) + 1


def percentile(values: list[float], pct: float) -> float:
    """The `pct` percentile (inclusive method) of `values`."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(pct) - 1]


# --- the run ---------------------------------------------------------------------------------


@contextmanager
def simulator(port: int) -> Iterator[int]:
    """`qingeban simulator` as its own process, ready: its pid."""
    command = [sys.executable, "-m", "app.cli", "simulator", "--port", str(port)]
    with running(command, cwd=ROOT, env=environment("sqlite+aiosqlite://"), port=port,
                 ready_path="/_admin/faults", headers=SIM_ADMIN) as pid:  # fmt: skip
        yield pid


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Seed, start the simulator and the server, register citizens, measure."""
    busy = busy_cpu_seconds()
    time.sleep(1)
    background = busy_cpu_seconds() - busy
    started = time.perf_counter()
    cli(url, "seed", "--demo")
    sim_port, api_port = free_port(), free_port()
    sim_base = f"http://127.0.0.1:{sim_port}"
    serve_env = environment(
        url,
        QE_DEPARTMENT_URLS=json.dumps(dict.fromkeys(DEPARTMENTS, sim_base)),
        QE_APPROVAL_DEADLINE_SECONDS=str(DEADLINE_SECONDS),
        QE_ACCESS_TOKEN_SECONDS="3600",
        QE_SMS_CODES_PER_ADDRESS_PER_HOUR="100000",
        QE_LOGIN_ATTEMPTS_PER_ADDRESS="100000",
    )
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(api_port), "--workers", "2"]
    with (
        simulator(sim_port) as sim_pid,
        running(command, cwd=ROOT, env=serve_env, port=api_port) as server_pid,
        httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=60) as http,
        httpx.Client(base_url=sim_base, headers=SIM_ADMIN, timeout=10) as sim,
    ):
        lanes = args.citizens
        people = candidates(args.pool or pool_size(args))
        tokens = register(url, http, people)
        host = f"127.0.0.1:{api_port}"
        registered = [
            Citizen(p, build_request(host, tokens[p.index], p)) for p in people if p.index in tokens
        ]
        pool = Pool(registered)
        registration_seconds = time.perf_counter() - started
        for department, latency in LATENCY_MS.items():
            fault = {"latency_ms": latency, "jitter_ms": latency // 10}
            sim.put(f"/_admin/faults/{department}", json=fault).raise_for_status()
        setup_seconds = time.perf_counter() - started

        uvloop.run(phase(api_port, pool, lanes, rounds=1))  # warm-up: connections, caches
        saturated = measure(api_port, pool, lanes, server_pid, sim_pid,
                            seconds=args.seconds, pace=0.0, profile=args.profile)  # fmt: skip
        paced = [
            (pace, measure(api_port, pool, lanes, server_pid, sim_pid, seconds=args.seconds,
                           pace=pace))
            for pace in args.pace_seconds
        ]  # fmt: skip

        sim.put(f"/_admin/faults/{HANGING}", json={"hang": True}).raise_for_status()
        hang, _ = uvloop.run(phase(api_port, pool, lanes, rounds=args.hang_rounds))
        if hang.outcomes.get("pool_spent"):
            raise SystemExit("the registered citizens ran out in the hang phase: a larger --pool")
        sim.delete("/_admin/faults").raise_for_status()

    limit = DEADLINE_SECONDS + 0.1
    hang_ok = sum(1 for s, outcome in hang.samples if outcome == "pending_review" and s <= limit)
    hang_count = sum(hang.outcomes.values())
    hang_latencies = sorted(s for s, _ in hang.samples)
    return {
        "benchmark": "approval",
        "database": "postgresql",
        "server": "qingeban serve --workers 2 (uvloop + httptools), no in-process job worker",
        # QE_AUDIT_SEALING passes through to the server: inline against deferred is an A/B of
        # the audit chain's sealing on the same code.
        "audit_sealing": os.environ.get("QE_AUDIT_SEALING", "auto"),
        "cpus": os.cpu_count(),
        "background_busy_cpus": round(background, 2),
        "service": SERVICE,
        "department_latency_ms": LATENCY_MS,
        "jitter": "±10%",
        "slowest_needed_ms": max(LATENCY_MS.values()),
        "deadline_s": DEADLINE_SECONDS,
        "lanes": lanes,
        "citizens_registered": len(registered),
        "citizens_used": pool.used,
        "registration_seconds": round(registration_seconds, 1),
        # Closed loop: each lane submits again the moment an answer arrives.
        "saturated": saturated.figures(),
        # Each lane submits once every pace (offered load lanes / pace per second).
        "paced": [
            {"pace_s": pace, "offered_per_s": round(lanes / pace, 1), **one.figures()}
            for pace, one in paced
        ],
        "hang_department": HANGING,
        "hang_submissions": hang_count,
        "hang_outcomes": dict(hang.outcomes),
        "hang_referred_for": dict(hang.referrals.most_common(5)),
        "hang_within_deadline_share": round(hang_ok / hang_count, 3) if hang_count else None,
        "hang_p50_ms": round(percentile(hang_latencies, 50) * 1000, 1) if hang_count else None,
        "hang_max_ms": round(hang_latencies[-1] * 1000, 1) if hang_count else None,
        "goals_met": {
            "saturated": saturated.meets_goals(),
            "paced": {str(pace): one.meets_goals() for pace, one in paced},
            "hang": hang_ok == hang_count,
        },
        "setup_seconds": round(setup_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=DEFAULT_URL, help="a throwaway PostgreSQL database"
    )
    parser.add_argument("--citizens", type=int, default=50, help="concurrent lanes")
    parser.add_argument(
        "--pool", type=int, default=0,
        help="citizens to register (default: enough for every phase, see pool_size)",
    )  # fmt: skip
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--hang-rounds", type=int, default=2)
    parser.add_argument(
        "--pace-seconds", type=lambda text: [float(v) for v in text.split(",")],
        default=[1.0, 2.0, 4.0],
        help="paced phases, comma-separated: each citizen submits once every this many seconds",
    )  # fmt: skip
    parser.add_argument(
        "--profile", type=Path, help="py-spy the server during the saturated phase into this file"
    )
    args = parser.parse_args()
    with throwaway_database(args.database_url) as url:
        print(json.dumps(run(url, args), ensure_ascii=False))


if __name__ == "__main__":
    main()
