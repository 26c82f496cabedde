"""Prometheus metrics of this process: requests by route template, job outcomes."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

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
)
