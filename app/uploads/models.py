"""Uploads: a file's bytes, kept in the database with what was learnt about them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime
from app.kit.ids import new_id

CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")


class Upload(Base):
    """A file an applicant uploaded, as a citizen or acting for an enterprise.

    The bytes live in the database, not on a local disk, so that any API process can serve
    them (DESIGN §2, principle 7); they are deferred, and a query that did not ask for them
    fails rather than loading megabytes by accident. An upload not yet attached to a case
    expires (`expires_at`) and is purged; attaching it clears the expiry.
    """

    __tablename__ = "uploads"
    __table_args__ = (CheckConstraint(f"content_type IN {CONTENT_TYPES!r}", name="content_type"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_account_id: Mapped[uuid.UUID] = mapped_column(index=True)
    # Set when the owner uploaded acting for an enterprise.
    owner_uscc: Mapped[str | None] = mapped_column(String(18))
    # Found from the bytes, never taken from the client.
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # For display only, made safe (app/uploads/names.py).
    file_name: Mapped[str] = mapped_column(String(128))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True, deferred_raiseload=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    attached_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
