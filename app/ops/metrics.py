"""Prometheus metrics: requests by route template, job outcomes, jobs by state.

One process counts in its own registry. `serve --workers N` sets PROMETHEUS_MULTIPROC_DIR before
its processes start, and each then counts in files there (prometheus_client's multi-process
mode), so that one scrape, whichever process answers it, adds up the work of all of them.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "qingeban_http_requests_total",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "qingeban_http_request_duration_seconds",
    "HTTP request latency by method and route template.",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
    registry=REGISTRY,
)


def count_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count and time one request."""
    counted, timed = _request_series(method, route, status)
    counted.inc()
    timed.observe(seconds)


@lru_cache(maxsize=1024)
def _request_series(method: str, route: str, status: int) -> tuple[Any, Any]:
    # A series is looked up once per method, route and status, not on every request: the
    # client's look-up validates and stringifies the labels under a lock (2 µs a request).
    # Routes are templates, so the series are few.
    return REQUESTS.labels(method, route, str(status)), REQUEST_SECONDS.labels(method, route)


JOBS_FINISHED = Counter(
    "qingeban_jobs_finished_total",
    "Jobs run by this process, by kind and outcome (done, retry, dead).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
JOBS_BY_STATE = Gauge(
    "qingeban_jobs",
    "Jobs in the database by state, read at scrape time.",
    ["state"],
    registry=REGISTRY,
    # Every process reads the same table: the latest reading is the figure, not their sum.
    multiprocess_mode="mostrecent",
)
SMS_SENT = Counter(
    "qingeban_sms_total",
    "Texts of events made by this process, by outcome (sent, capped).",
    ["outcome"],
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = Counter(
    "qingeban_webhook_attempts_total",
    "Webhook delivery attempts made by this process, by outcome (delivered, failed, dead).",
    ["outcome"],
    registry=REGISTRY,
)
WEBHOOK_PENDING = Gauge(
    "qingeban_webhook_deliveries_pending",
    "Webhook deliveries not yet made (the queue depth), read at scrape time.",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)


def exposition() -> bytes:
    """The Prometheus text of this process, or of every process of the server sharing the
    multi-process directory."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
