"""Benchmark and check: the production shape — two API processes and two workers on one
PostgreSQL, started at the same instant on an empty database (issue 19, item 8).

A throwaway PostgreSQL database is created empty; then two `qingeban serve` processes (one
uvicorn process each, no in-process worker, the issuer of the load balancer in front) and two
`qingeban worker --metrics-port` processes start at once, all with one Redis for the shared
counters. The demo world is seeded with `qingeban seed --demo`, and every request below goes
through a round-robin "load balancer" (a transport that sends each request to the next API
process in turn), so that consecutive steps of one person land on different processes:

* every demo 秒批 service is applied for as its persona would (`app/burden.py`'s walk: log in,
  face verification, act for the enterprise, prefill, submit), and each must be approved;
* a person signs in on one process through the login page, and the other process's authorize
  endpoint answers with a code at once (single sign-on across processes);
* SMS codes are asked for from one address over both processes: the per-address limit
  (`QE_SMS_CODES_PER_ADDRESS_PER_HOUR`, 6 here) holds in total, not per process;
* the approvals' jobs (disbursements, licenses, household moves) run on the two workers: each
  exactly once (done, one attempt), and the workers' own metrics add up to them;
* one metrics scrape per API process adds up to the requests the benchmark sent;
* throughput: license verifications by number and holder for `--seconds` with `--concurrency`
  clients, through one API process and then through both (requests/s and the ratio).

Prints one JSON object with `checks` (each true or false), the figures, and `ok`; exits 1 when
a check fails:

    .venv/bin/python bench/scaleout.py [--database-url URL] [--redis-url URL] [--seconds 5]
                                       [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import functools
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import free_port, throwaway_database  # noqa: E402

from app import burden  # noqa: E402
from app.adapters.simulator.personas import DEMO_PASSWORD  # noqa: E402

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/qe_bench_scaleout"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
SMS_PER_ADDRESS = 6
ADMIN = {"method": "password", "login": "admin", "password": "Demo@2026-staff",
         "scope": "openid admin"}  # fmt: skip
RP_REDIRECT = "https://rp.scaleout.example.gov.cn/callback"


class RoundRobin(httpx.AsyncBaseTransport):
    """A load balancer in a transport: each request to the next API process in turn."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.turn = 0
        self.sent: Counter[int] = Counter()
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        port = self.ports[self.turn % len(self.ports)]
        self.turn += 1
        self.sent[port] += 1
        request.url = request.url.copy_with(port=port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def environment(url: str, redis_url: str, issuer: str) -> dict[str, str]:
    return {
        **os.environ,
        "QE_DATABASE_URL": url,
        "QE_REDIS_URL": redis_url,
        "QE_ISSUER": issuer,
        "QE_INPROCESS_WORKER": "false",
        "QE_LOG_LEVEL": "INFO",
        "QE_JOB_POLL_SECONDS": "0.2",
        "QE_SMS_CODES_PER_ADDRESS_PER_HOUR": str(SMS_PER_ADDRESS),
        # Every request comes from 127.0.0.1: the per-address limits under test are the SMS
        # ones; logins and verifications are many here.
        "QE_LOGIN_ATTEMPTS_PER_ADDRESS": "100000",
        "QE_LICENSE_VERIFY_RATE_LIMIT": "1000000",
    }


@contextlib.contextmanager
def processes(commands: list[list[str]], env: dict[str, str], logs: Path) -> Iterator[list[Any]]:
    """Start every command at once (each logging to its own file); stop them all at the end."""
    started = []
    try:
        for number, command in enumerate(commands):
            log = (logs / f"process-{number}.log").open("wb")
            argv = [sys.executable, "-m", "app.cli", *command]
            process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=log)
            started.append((process, log))
        yield [process for process, _ in started]
    finally:
        for process, _ in started:
            process.terminate()
        for process, log in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


def wait_ready(urls: list[str], procs: list[Any]) -> float:
    """Seconds until every URL answered 200."""
    started = time.monotonic()
    pending = list(urls)
    while pending:
        if any(process.poll() is not None for process in procs):
            raise SystemExit("a process exited while starting")
        if time.monotonic() - started > 180:
            raise SystemExit(f"not ready: {pending}")
        for url in list(pending):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2).status_code == 200:
                    pending.remove(url)
        time.sleep(0.2)
    return time.monotonic() - started


def scrape(url: str) -> dict[tuple[str, str], float]:
    """(metric name, labels) → value of a Prometheus text page."""
    values = {}
    for line in httpx.get(url, timeout=10).text.splitlines():
        found = re.match(r"^([a-z_:]+)(\{.*\})? (\S+)$", line)
        if found:
            values[(found.group(1), found.group(2) or "")] = float(found.group(3))
    return values


def total(values: dict[tuple[str, str], float], name: str, *without: str) -> float:
    return sum(
        value for (metric, labels), value in values.items()
        if metric == name and not any(part in labels for part in without)
    )  # fmt: skip


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


async def single_sign_on(
    base_a: str, base_b: str, admin: dict[str, str], sent: Counter[str]
) -> bool:
    """Sign in on A through the login page; B's authorize answers with a code at once."""

    async def count(request: httpx.Request) -> None:
        sent[str(request.url.port)] += 1

    hooks = {"request": [count]}
    async with httpx.AsyncClient(base_url=base_b, timeout=30, event_hooks=hooks) as api:
        client = await api.post(
            "/api/v1/admin/clients", headers=admin,
            json={"name": "扩容检查系统", "kind": "department", "redirect_uris": [RP_REDIRECT],
                  "post_logout_redirect_uris": [RP_REDIRECT]},
        )  # fmt: skip
        client.raise_for_status()
        client_id = client.json()["client_id"]
    renter = next(p for p in burden_personas() if p.key == "renter")

    def params() -> dict[str, str]:
        return {"response_type": "code", "client_id": client_id, "redirect_uri": RP_REDIRECT,
                "scope": "openid profile", "state": secrets.token_urlsafe(8),
                "nonce": secrets.token_urlsafe(8), "code_challenge": pkce()[1],
                "code_challenge_method": "S256"}  # fmt: skip

    async with httpx.AsyncClient(timeout=30, event_hooks=hooks) as browser:
        page = await browser.get(f"{base_a}/oauth/authorize", params=params())
        hidden = r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">'
        fields = dict(re.findall(hidden, page.text))
        signed = await browser.post(
            f"{base_a}/oauth/login",
            data={**fields, "login": renter.login, "password": DEMO_PASSWORD},
        )
        if signed.status_code != 303:
            return False
        # Cookies are per host, not per port: the browser sends the SSO cookie to B too.
        again = await browser.get(f"{base_b}/oauth/authorize", params=params())
    location = again.headers.get("location", "")
    return again.status_code in (302, 303) and "code" in parse_qs(urlsplit(location).query)


@functools.cache
def burden_personas() -> tuple[Any, ...]:
    """The demo personas (the population is built once)."""
    from app.adapters.simulator.personas import build_personas
    from app.adapters.simulator.population import Population

    return tuple(build_personas(Population())[0])


async def sms_codes(http: httpx.AsyncClient) -> Counter[int]:
    """Twice the per-address limit of SMS codes, for new phones, over both processes."""
    statuses: Counter[int] = Counter()
    for number in range(2 * SMS_PER_ADDRESS):
        answer = await http.post("/api/v1/auth/otp", json={"phone": f"1770000{number:04d}"})
        statuses[answer.status_code] += 1
    return statuses


async def all_jobs(http: httpx.AsyncClient, admin: dict[str, str]) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
        page = (await http.get("/api/v1/admin/jobs", headers=admin, params=params)).json()
        jobs += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return jobs


def _due(job: dict[str, Any]) -> bool:
    """Whether a job was due by now (a commitment's check is scheduled weeks ahead)."""
    return datetime.fromisoformat(job["run_after"]) <= datetime.now(UTC)


async def jobs_settled(http: httpx.AsyncClient, admin: dict[str, str]) -> list[dict[str, Any]]:
    """The jobs once none that is due is queued or running any more (at most a minute)."""
    deadline = time.monotonic() + 60
    while True:
        jobs = await all_jobs(http, admin)
        settled = all(job["state"] in ("done", "dead") for job in jobs if _due(job))
        if settled or time.monotonic() > deadline:
            return jobs
        await asyncio.sleep(0.5)


async def verify_load(
    ports: list[int], license_no: str, holder: str, seconds: float, concurrency: int
) -> float:
    """License verifications per second through these API processes (round robin)."""
    transport = RoundRobin(ports)
    body = {"license_no": license_no, "holder_name": holder}
    done = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1",
                                 timeout=30, limits=limits) as http:  # fmt: skip

        async def loop(deadline: float) -> int:
            count = 0
            while time.monotonic() < deadline:
                answer = await http.post("/api/v1/licenses/verify", json=body)
                if answer.status_code != 200:
                    raise SystemExit(f"verification answered {answer.status_code}: {answer.text}")
                count += 1
            return count

        await asyncio.gather(*(loop(time.monotonic() + 1) for _ in range(concurrency)))  # warm
        started = time.monotonic()
        counts = await asyncio.gather(*(loop(started + seconds) for _ in range(concurrency)))
        done = sum(counts)
        elapsed = time.monotonic() - started
    return done / elapsed


async def drive(ports: list[int], args: argparse.Namespace) -> dict[str, Any]:
    """Everything after start-up, through the round-robin transport."""
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    balancer = RoundRobin(ports)
    checks: dict[str, bool] = {}
    figures: dict[str, Any] = {}
    async with httpx.AsyncClient(transport=balancer, base_url="http://127.0.0.1",
                                 timeout=60) as http:  # fmt: skip
        started = time.monotonic()
        report = await burden.walk(http)
        figures["demo_services"] = len(report)
        figures["demo_services_seconds"] = round(time.monotonic() - started, 1)
        outcomes = Counter(item.outcome for item in report)
        figures["outcomes"] = dict(outcomes)
        checks["every_demo_service_approved_across_both"] = outcomes == {"approved": len(report)}

        admin_login = await http.post("/api/v1/auth/login", json=ADMIN)
        admin = {"Authorization": f"Bearer {admin_login.json()['access_token']}"}
        browser_sent: Counter[str] = Counter()
        checks["sso_on_one_honoured_by_the_other"] = await single_sign_on(
            bases[0], bases[1], admin, browser_sent
        )
        sms = await sms_codes(http)
        figures["sms_codes_by_status"] = dict(sms)
        checks["sms_limit_holds_across_both"] = sms == {202: SMS_PER_ADDRESS, 429: SMS_PER_ADDRESS}

        jobs = await jobs_settled(http, admin)
        due = [job for job in jobs if _due(job)]
        figures["jobs"] = len(jobs)
        figures["jobs_due"] = len(due)
        figures["jobs_by_kind_and_state"] = dict(
            Counter(f"{job['kind']}:{job['state']}" for job in jobs)
        )
        checks["every_due_job_ran_exactly_once"] = bool(due) and all(
            job["state"] == "done" and job["attempts"] == 1 for job in due
        )
        license_no, holder = await _a_license(http)
    sent_before_scrapes = sum(balancer.sent.values()) + sum(browser_sent.values())
    return {"checks": checks, "figures": figures, "sent": sent_before_scrapes,
            "license": (license_no, holder), "admin": admin}  # fmt: skip


async def _person(http: httpx.AsyncClient, key: str) -> dict[str, str]:
    persona = next(p for p in burden_personas() if p.key == key)
    login = await http.post("/api/v1/auth/login",
                            json={"method": "password", "login": persona.login,
                                  "password": DEMO_PASSWORD})  # fmt: skip
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def _a_license(http: httpx.AsyncClient) -> tuple[str, str]:
    """A license number and its holder's name from a persona's wallet (the renter's deposit
    certificate, issued by his approval above)."""
    persona = next(p for p in burden_personas() if p.key == "renter")
    wallet = await http.get("/api/v1/me/licenses", headers=await _person(http, "renter"))
    items = wallet.json()["items"]
    if not items:
        raise SystemExit(f"the renter's wallet is empty: {wallet.text[:300]}")
    return items[0]["license_no"], persona.name


def run(url: str, args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    api_ports = [free_port(), free_port()]
    worker_ports = [free_port(), free_port()]
    redis.Redis.from_url(args.redis_url).flushdb()
    env = environment(url, args.redis_url, issuer=f"http://127.0.0.1:{api_ports[0]}")
    commands = [["serve", "--port", str(port)] for port in api_ports] + [
        ["worker", "--metrics-port", str(port)] for port in worker_ports
    ]
    with processes(commands, env, logs) as procs:
        ready = wait_ready(
            [f"http://127.0.0.1:{port}/readyz" for port in api_ports]
            + [f"http://127.0.0.1:{port}/metrics" for port in worker_ports],
            procs,
        )
        subprocess.run([sys.executable, "-m", "app.cli", "seed", "--demo"], cwd=ROOT,
                       env={**env, "QE_DEMO": "true", "QE_LOG_LEVEL": "WARNING"},
                       check=True, capture_output=True)  # fmt: skip
        driven = asyncio.run(drive(api_ports, args))
        checks, figures = driven["checks"], driven["figures"]
        api = [scrape(f"http://127.0.0.1:{port}/metrics") for port in api_ports]
        counted = sum(
            total(values, "qingeban_http_requests_total", '"/readyz"', '"/metrics"')
            for values in api
        )
        figures["requests_sent"] = driven["sent"]
        figures["requests_counted_by_the_two_scrapes"] = counted
        checks["one_scrape_per_process_adds_up"] = counted == driven["sent"]
        per_worker = [
            total(scrape(f"http://127.0.0.1:{port}/metrics"), "qingeban_jobs_finished_total")
            for port in worker_ports
        ]
        figures["jobs_finished_per_worker"] = per_worker
        checks["workers_metrics_add_up_to_the_jobs"] = sum(per_worker) == figures["jobs_due"]
        license_no, holder = driven["license"]
        one = asyncio.run(verify_load(api_ports[:1], license_no, holder, args.seconds,
                                      args.concurrency))  # fmt: skip
        two = asyncio.run(verify_load(api_ports, license_no, holder, args.seconds,
                                      args.concurrency))  # fmt: skip
    prepared = sum(
        1 for log in logs.glob("process-*.log") for line in log.read_text().splitlines()
        if '"database prepared"' in line
    )  # fmt: skip
    checks["schema_migrated_once"] = prepared == 1
    figures["processes_ready_seconds"] = round(ready, 1)
    figures["verifications_per_s"] = {"one_api_process": round(one, 1),
                                      "two_api_processes": round(two, 1),
                                      "ratio": round(two / one, 2)}  # fmt: skip
    return {"benchmark": "scaleout", "cpus": os.cpu_count(), "api_processes": 2, "workers": 2,
            "concurrency": args.concurrency, "seconds": args.seconds, "checks": checks,
            **figures, "ok": all(checks.values())}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a throwaway PostgreSQL DB")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="a Redis database to flush")
    parser.add_argument("--seconds", type=float, default=5.0, help="each throughput phase")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--logs", type=Path, help="keep the processes' logs in this directory")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.logs is None:
            import tempfile

            logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qe-scaleout-")))
        else:
            logs = args.logs
            logs.mkdir(parents=True, exist_ok=True)
        with throwaway_database(args.database_url) as url:
            result = run(url, args, logs)
    print(json.dumps(result, ensure_ascii=False))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
