"""The audit chain's tables: the append-only records and the one-row head of the chain."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime


class AuditRecord(Base):
    """One link of the chain: who did what to which subject, why, and a digest of the change.

    `seq` is the position in the chain (1, 2, 3, …), assigned under the head's lock rather than
    by the database, so a deleted row leaves a visible gap. A record appended unsealed
    (`app.audit.sealer`) has no seq, prev_hash or hash yet but a `body_digest` of its content;
    sealing links it and clears the digest, which the chain's hash then supersedes.
    """

    __tablename__ = "audit_records"
    __table_args__ = (
        # Serves "history of this subject, newest first" without a sort.
        Index("ix_audit_records_subject_type", "subject_type", "subject_id", "seq"),
        # The sealer's queue: only the few unsealed records are in it.
        Index(
            "ix_audit_records_unsealed",
            "occurred_at",
            "id",
            postgresql_where=text("seq IS NULL"),
            sqlite_where=text("seq IS NULL"),
        ),
        CheckConstraint(
            "(seq IS NOT NULL AND prev_hash IS NOT NULL AND hash IS NOT NULL"
            " AND body_digest IS NULL) OR (seq IS NULL AND prev_hash IS NULL AND hash IS NULL"
            " AND body_digest IS NOT NULL)",
            name="sealed_or_pending",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor_type: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(100))
    subject_type: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(128))
    purpose: Mapped[str | None] = mapped_column(String(255))
    request_id: Mapped[str | None] = mapped_column(String(128))
    client_address: Mapped[str | None] = mapped_column(String(64))
    changes_digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    body_digest: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """The single row (id 1) naming the last sealed record; its row lock serialises sealing."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
