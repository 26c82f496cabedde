"""The uses of city codes: one row per code ever verified, keyed by the code's `jti`."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime


class CityCodeUse(Base):
    """A city code's one verification, and the clerk's on-behalf ticket it may have opened.

    The primary key is the code's `jti`: a code is verified by inserting its row, so two
    verifications of one code, however they race, insert one row and the second is refused
    (the database decides, not a check before the write). Codes are not stored when issued;
    a row is needed only from a code's first use until its `expires_at`, after which the
    signature refuses the code anyway and the row may be purged.
    """

    __tablename__ = "city_code_uses"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[uuid.UUID]
    purpose: Mapped[str] = mapped_column(String(64))
    verifier_type: Mapped[str] = mapped_column(String(16))
    verifier_id: Mapped[str] = mapped_column(String(128))
    verified_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The code's own end (its `exp`).
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    # A counter clerk's single-use ticket to open the person's prefilled form: its keyed digest,
    # until when it works, and when (and for which service) it was used.
    ticket_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticket_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ticket_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ticket_service: Mapped[str | None] = mapped_column(String(100))
