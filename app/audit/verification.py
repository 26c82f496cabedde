"""Walking the chain: recompute every link from a starting point to the head, in one snapshot.

The walk proves that nothing between its start and the head was edited, deleted, reordered or
inserted, and that nothing lies past the head. Where it starts from a checkpoint, it first
holds the chain to it: the record at the checkpoint's position must still have the signed hash,
so a chain rewritten with recomputed hashes, or cut back behind the checkpoint, is reported
even though it links up again. In a full walk every trusted checkpoint is compared the same way
as the walk passes it.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import repository
from app.audit.canonical import GENESIS_HASH, RECORD_FIELDS, chain_hash, record_body
from app.audit.schemas import BreakReason, ChainReport, CheckpointRead

# Past the head there is nothing, so the highest possible position bounds a headless walk.
_MAX_SEQ = 2**63 - 1


async def walk(
    session: AsyncSession,
    *,
    anchor: CheckpointRead | None,
    compare: Sequence[CheckpointRead],
    batch_size: int,
) -> ChainReport:
    """Walk from `anchor` (None: from the first record) to the head, in constant memory,
    comparing the checkpoints in `compare` (sorted by seq) with the records they name.

    The session must read one snapshot (see `service.verify_chain`): a record past the head is
    then a forgery, not one appended while the walk ran.
    """
    head = await repository.read_head(session)
    upto = head[0] if head is not None else _MAX_SEQ
    newest = anchor if anchor is not None else (compare[-1] if compare else None)
    checked, compared = 0, 0

    def report(seq: int | None, reason: BreakReason | None) -> ChainReport:
        return ChainReport(
            ok=reason is None,
            mode="from_checkpoint" if anchor is not None else "full",
            from_seq=anchor.seq if anchor is not None else 0,
            records_checked=checked,
            first_broken_seq=seq,
            reason=reason,
            head_seq=head[0] if head is not None else None,
            head_hash=head[1] if head is not None else None,
            checkpoint=newest,
            checkpoints_checked=compared,
        )

    expected_seq, expected_prev = 1, GENESIS_HASH
    if anchor is not None:
        compared = 1
        if head is not None and head[0] < anchor.seq:
            return report(anchor.seq, "checkpoint_mismatch")  # the head was moved back
        if await repository.record_hash(session, anchor.seq) != anchor.hash:
            return report(anchor.seq, "checkpoint_mismatch")
        expected_seq, expected_prev = anchor.seq + 1, anchor.hash
    pending = deque(compare)

    while True:
        rows = await repository.chain_batch(
            session, after_seq=expected_seq - 1, upto_seq=upto, limit=batch_size
        )
        for fields in rows:
            checked += 1
            seq = fields["seq"]
            if seq != expected_seq:
                return report(seq, "sequence_gap")
            if fields["prev_hash"] != expected_prev:
                return report(seq, "prev_hash_mismatch")
            body = record_body(**{name: fields[name] for name in RECORD_FIELDS})
            if chain_hash(expected_prev, body) != fields["hash"]:
                return report(seq, "hash_mismatch")
            while pending and pending[0].seq == seq:
                compared += 1
                if pending.popleft().hash != fields["hash"]:
                    return report(seq, "checkpoint_mismatch")
            expected_seq, expected_prev = seq + 1, fields["hash"]
        if len(rows) < batch_size:
            break

    if head is None:
        return report(None, "head_missing")
    head_seq, head_hash = head
    if expected_seq - 1 < head_seq:
        return report(expected_seq, "head_mismatch")
    if expected_prev != head_hash:
        return report(head_seq, "head_mismatch")
    beyond = await repository.first_seq_after(session, head_seq)
    if beyond is not None:
        return report(beyond, "head_mismatch")
    if pending:
        # Checkpoints past the head name records the chain no longer has: it was cut back.
        return report(pending[0].seq, "checkpoint_mismatch")
    return report(None, None)


@dataclass(frozen=True, slots=True)
class UnsealedReport:
    """The records waiting for the sealer: how many, the oldest, the first one altered."""

    count: int
    oldest_at: datetime | None
    first_altered: uuid.UUID | None


async def check_unsealed(session: AsyncSession, *, batch_size: int) -> UnsealedReport:
    """Check every unsealed record against the digest it was appended with, in the walk's
    snapshot (there are few: the sealer takes them within seconds)."""
    count, oldest, altered = 0, None, None
    after = None
    while True:
        rows = await repository.unsealed_batch(session, after=after, limit=batch_size)
        for fields in rows:
            count += 1
            if oldest is None:
                oldest = fields["occurred_at"]
            digest = repository.unsealed_template(fields).body_digest()
            if altered is None and digest != fields["body_digest"]:
                altered = fields["id"]
        if len(rows) < batch_size:
            return UnsealedReport(count, oldest, altered)
        after = (rows[-1]["occurred_at"], rows[-1]["id"])
