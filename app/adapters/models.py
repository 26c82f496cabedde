"""The data-access log: one row per read of a person's or enterprise's data from a department."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime
from app.kit.ids import new_id


class DataAccessRecord(Base):
    """Who read whose data from which department, why, for which case, and what came back.

    The subject is kept only as a keyed blind index (to list a citizen's records) and a masked
    form (to show); the full ID number or USCC is never stored here.
    """

    __tablename__ = "data_access_records"
    __table_args__ = (
        # Serves "who read my data", newest first, keyset-paginated on (occurred_at, id).
        Index("ix_data_access_records_subject", "subject_index", "occurred_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    calling_system: Mapped[str] = mapped_column(String(64))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(128))
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_index: Mapped[str] = mapped_column(String(64))
    subject_masked: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(32))
    dataset: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(255))
    case_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(255))
    request_id: Mapped[str | None] = mapped_column(String(128))
    # A read of many datasets at once (a campaign's batch), listed comma-separated: one record
    # per person and campaign rather than one per feed.
    datasets: Mapped[str | None] = mapped_column(Text)
