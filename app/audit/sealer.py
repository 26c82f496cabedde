"""The sealer: links records appended unsealed into the chain, in order, a batch at a time.

Appending under the chain head's lock serialises every transaction that audits: each waits for
the one before it to commit. With deferred sealing (`QE_AUDIT_SEALING`, the default on
PostgreSQL) a record is inserted without its link, with no lock, in the caller's transaction,
and carries `body_digest`, a digest of its content. The sealer — a loop in every API and worker
process, one pass at a time across all of them (an advisory try-lock on PostgreSQL, the write
lock on SQLite) — then takes the committed unsealed records, oldest first, and gives each its
seq, prev_hash and hash under the head's lock, as X-Road's message log batches its records
into signed hash chains after the fact. The sealed chain is exactly the chain inline appends
build (same encoding, same triggers, same verification).

What deferral changes, honestly stated:

* a record is in the chain (and in the records list, which shows sealed records) one sealing
  pass after its transaction commits: within `QE_AUDIT_SEAL_INTERVAL_SECONDS` while any process
  runs a sealer; `qingeban audit seal` seals by hand, and verification reports how many wait
  and since when;
* until sealed, a record is protected by the triggers (it can be neither deleted nor changed,
  except by sealing) and by its `body_digest`: an edit of its content is caught by the sealer,
  which then leaves it unsealed, and by verification (`unsealed_record_altered`). A forger with
  the table owner's rights can disable the triggers and recompute the digest, just as he can
  rewrite and rehash the chain's newest records: for both, only the signed checkpoints kept
  outside the database are proof, and they cover a record once it is sealed and checkpointed;
* chain order is sealing order: records committed close together may be sealed in a different
  order from their `occurred_at`, which was already the case under the head's lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from app.audit import repository
from app.config import Settings
from app.db import Database

logger = logging.getLogger("qingeban.audit")

# Records linked per transaction: enough to keep up with any burst, small enough that a pass
# holds the head's lock for milliseconds.
SEAL_BATCH = 500
_RETRY_AFTER_FAILURE_SECONDS = 5.0


@dataclass
class SealOutcome:
    """What a sealing run did: records linked, and unsealed records left as altered."""

    sealed: int = 0
    altered: list[str] = field(default_factory=list)
    busy: bool = False


async def seal(database: Database, *, batch_size: int = SEAL_BATCH) -> SealOutcome:
    """Seal every record waiting now, batch by batch; `busy` if another sealer was at work.

    A crash anywhere loses nothing: a batch commits whole or not at all, and what is left
    unsealed is taken by the next run.
    """
    outcome = SealOutcome()
    while True:
        async with database.session() as session:
            result = await repository.seal_pending(session, limit=batch_size)
        if result is None:
            outcome.busy = True
            return outcome
        sealed, altered = result
        outcome.sealed += sealed
        for fields in altered:
            if str(fields["id"]) not in outcome.altered:
                outcome.altered.append(str(fields["id"]))
        if sealed + len(altered) < batch_size or sealed == 0:
            return outcome


async def pending(database: Database) -> bool:
    """Whether any record waits for the sealer (a cheap probe before a sealing transaction;
    on PostgreSQL one round trip, without BEGIN and COMMIT)."""
    if database.is_postgresql:
        async with database.autocommit_session() as session:
            return await repository.has_unsealed(session)
    async with database.session(write=False) as session:
        return await repository.has_unsealed(session)


class Sealer:
    """Seals what is waiting every `interval` seconds, until stopped (one per process)."""

    def __init__(self, database: Database, *, interval: float) -> None:
        self._database = database
        self._interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._warned: set[str] = set()

    def start(self) -> None:
        """Start the loop on the running event loop."""
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="audit-sealer")

    async def stop(self) -> None:
        """Stop after the pass under way (whose batch commits or rolls back whole)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self) -> None:
        while not self._stop.is_set():
            delay = self._interval
            try:
                if await pending(self._database):
                    self._report(await seal(self._database))
            except Exception:
                # A database outage or a missing head: logged, and tried again a little later
                # (not five times a second into the log).
                logger.exception("sealing the audit chain failed")
                delay = max(self._interval, _RETRY_AFTER_FAILURE_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=delay)

    def _report(self, outcome: SealOutcome) -> None:
        for record_id in outcome.altered:
            if record_id not in self._warned:
                self._warned.add(record_id)
                logger.error(
                    "an unsealed audit record no longer matches its digest; left unsealed",
                    extra={"audit_record_id": record_id},
                )


def audit_sealer(database: Database, settings: Settings) -> Sealer | None:
    """The started sealer of a process whose `database` appends unsealed; None if it does not."""
    if database.audit_sealing != "deferred":
        return None
    sealer = Sealer(database, interval=settings.audit_seal_interval_seconds)
    sealer.start()
    return sealer
