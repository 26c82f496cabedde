"""Gathering facts from departments: in parallel, bounded by a deadline, logged with a purpose.

`gather_facts` is what other domains call. It never raises for a department fault: each
dataset comes back as a `Fact` (record plus provenance) or `Unavailable(reason)`. The guards
(breaker, bulkhead, latency window) live per department in a process-wide `Exchange`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import access_log
from app.adapters.client import (
    CONNECTIONS_PER_DEPARTMENT,
    DepartmentClient,
    Fact,
    Subject,
    is_transient,
    shared_client,
)
from app.adapters.purposes import check_purpose, check_scope
from app.adapters.resilience import (
    Bulkhead,
    CircuitBreaker,
    Deadline,
    ExchangeUnavailable,
    LatencyWindow,
    RetryPolicy,
    call_department,
)
from app.adapters.schemas import AccessOutcome, ActorType, DataAccessEntry
from app.adapters.simulator.datasets import DEPARTMENTS
from app.adapters.status import BreakerRead, DepartmentStatus, ExchangeStatus
from app.config import Settings, get_settings
from app.kit.crypto import BlindIndex

DatasetKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Unavailable:
    """No answer for a dataset; `reason` is e.g. deadline, timeout, error, circuit_open."""

    reason: str


FactResult = Fact | Unavailable


@dataclass(frozen=True, slots=True)
class Actor:
    """Who the read is for: a citizen, a clerk, a partner client or a system job."""

    type: ActorType
    id: str

    @property
    def header(self) -> str:
        """The X-End-User value sent to the department."""
        return f"{self.type}:{self.id}"


@dataclass
class _Guards:
    breaker: CircuitBreaker
    bulkhead: Bulkhead
    window: LatencyWindow


class Exchange:
    """Per-department breakers, bulkheads and latency windows, and the client they guard.

    Create it inside the event loop that uses it (bulkheads hold asyncio primitives).
    """

    def __init__(
        self,
        *,
        blind_index: BlindIndex,
        client: DepartmentClient | None = None,
        retry: RetryPolicy | None = None,
        call_timeout: float = 2.0,
        failure_threshold: int = 5,
        open_seconds: float = 10.0,
        bulkhead_size: int = CONNECTIONS_PER_DEPARTMENT,
        window_seconds: float = 60.0,
        slow_call_seconds: float = 0.5,
    ) -> None:
        self.blind_index = blind_index
        self._client = client
        self.retry = retry or RetryPolicy()
        # Per-call timeout; the gathering's deadline shortens it (see Deadline.timeout_for).
        self.call_timeout = call_timeout
        self.failure_threshold = failure_threshold
        self.open_seconds = open_seconds
        self.bulkhead_size = bulkhead_size
        self.window_seconds = window_seconds
        # A call the deadline cut off earlier than this says nothing against the department.
        self.slow_call_seconds = slow_call_seconds
        self._guards: dict[str, _Guards] = {}

    @classmethod
    def from_settings(cls, settings: Settings, **options: object) -> Exchange:
        """An exchange on the shared client, logging with the platform's blind index, its
        bulkheads as large as the client's pools (QE_EXCHANGE_CALLS_PER_DEPARTMENT)."""
        options.setdefault("bulkhead_size", settings.exchange_calls_per_department)
        return cls(blind_index=access_log.blind_index_from_settings(settings), **options)  # type: ignore[arg-type]

    @property
    def client(self) -> DepartmentClient:
        """The explicit client, else the process-wide one."""
        return self._client if self._client is not None else shared_client()

    def guards(self, department: str) -> _Guards:
        """The guards of one department, created on first use."""
        guards = self._guards.get(department)
        if guards is None:
            guards = _Guards(
                breaker=CircuitBreaker(
                    department,
                    failure_threshold=self.failure_threshold,
                    open_seconds=self.open_seconds,
                ),
                bulkhead=Bulkhead(department, self.bulkhead_size),
                window=LatencyWindow(self.window_seconds),
            )
            self._guards[department] = guards
        return guards

    async def fetch(
        self, key: DatasetKey, subject: Subject, *, purpose: str, actor: Actor,
        case_id: str | None, deadline: Deadline,
    ) -> FactResult:  # fmt: skip
        """One dataset through every guard; a department fault becomes Unavailable."""
        department, dataset = key
        guards = self.guards(department)
        client = self.client

        async def call() -> Fact:
            return await client.lookup(department, dataset, subject, purpose=purpose,
                                       end_user=actor.header, case_id=case_id)  # fmt: skip

        try:
            return await call_department(
                call, breaker=guards.breaker, bulkhead=guards.bulkhead, retry=self.retry,
                deadline=deadline, call_timeout=self.call_timeout, idempotent=True,
                is_transient=is_transient, window=guards.window,
                slow_call_seconds=self.slow_call_seconds,
            )  # fmt: skip
        except ExchangeUnavailable as exc:
            return Unavailable(exc.reason)

    def status(self) -> ExchangeStatus:
        """Breaker, latency and error rate of every known department."""
        registry = self.client.registry
        names = sorted(set(DEPARTMENTS) | set(registry.urls) | set(self._guards))
        return ExchangeStatus(departments=[self._department_status(name) for name in names])

    def _department_status(self, department: str) -> DepartmentStatus:
        guards = self.guards(department)
        snapshot = guards.breaker.snapshot()
        summary = guards.window.summary()
        return DepartmentStatus(
            department=department,
            base_url=self.client.registry.endpoint(department).base_url,
            breaker=BreakerRead(
                state=snapshot["state"],
                consecutive_failures=snapshot["consecutive_failures"],
                opened_at=snapshot["opened_at"],
                retry_in_seconds=snapshot["retry_in"],
            ),
            calls=summary["count"], p50_ms=summary["p50_ms"], p95_ms=summary["p95_ms"],
            error_rate=summary["error_rate"], in_flight=guards.bulkhead.in_use,
            window_seconds=guards.window.window_seconds,
        )  # fmt: skip


_exchange: Exchange | None = None


def get_exchange() -> Exchange:
    """The process-wide exchange (created on first use from the settings)."""
    global _exchange
    if _exchange is None:
        _exchange = Exchange.from_settings(get_settings())
    return _exchange


def reset_exchange() -> None:
    """Forget the process-wide exchange's breakers and windows (tests, reconfiguration)."""
    global _exchange
    _exchange = None


def _outcome(result: FactResult) -> tuple[AccessOutcome, str | None]:
    if isinstance(result, Unavailable):
        return "unavailable", result.reason
    return ("found" if result.found else "not_found"), None


async def gather_facts(
    session: AsyncSession | None,
    subject: Subject,
    datasets: Sequence[DatasetKey],
    *,
    purpose: str | None,
    actor: Actor,
    case_id: str | None = None,
    deadline_seconds: float = 1.0,
    exchange: Exchange | None = None,
) -> dict[DatasetKey, FactResult]:
    """Fetch datasets about one subject in parallel; log each read in `session` (None: don't).

    Raises PurposeRequired/PurposeNotAllowed before any call if the purpose may not read one of
    the datasets; department faults never raise, they come back as Unavailable.
    """
    checked = [check_purpose(purpose, department, dataset) for department, dataset in datasets]
    code = checked[0].code if checked else ""
    if checked:
        names = [f"{department}/{dataset}" for department, dataset in datasets]
        await check_scope(session, checked[0], subject.value, names)
    exchange = exchange or get_exchange()
    deadline = Deadline.after(deadline_seconds)
    keys = list(dict.fromkeys(datasets))
    results = await asyncio.gather(*(
        exchange.fetch(key, subject, purpose=code, actor=actor, case_id=case_id,
                       deadline=deadline)
        for key in keys
    ))  # fmt: skip
    facts = dict(zip(keys, results, strict=True))
    if session is not None and facts:
        ref = access_log.subject_ref(subject.kind, subject.value, exchange.blind_index)
        entries = []
        for (department, dataset), result in facts.items():
            outcome, reason = _outcome(result)
            entries.append(DataAccessEntry(
                calling_system=exchange.client.registry.caller_system, actor_type=actor.type,
                actor_id=actor.id, subject=ref, department=department, dataset=dataset,
                purpose=code, case_id=case_id, outcome=outcome, reason=reason,
            ))  # fmt: skip
        await access_log.record_many(session, entries)
    return facts
