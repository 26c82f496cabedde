"""Stored ruleset versions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime
from app.kit.ids import new_id


class StoredRuleset(Base):
    """One version of a service's ruleset, as published or as a draft; never changed once
    written (a correction is a new version), so a decision's `ruleset_version` always names
    exactly the rules it was made by."""

    __tablename__ = "rulesets"
    __table_args__ = (
        UniqueConstraint("service_code", "version"),
        CheckConstraint("state IN ('draft', 'published')", name="state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    service_code: Mapped[str] = mapped_column(ForeignKey("services.code"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # draft | published (publishing is the one change a row ever sees)
    state: Mapped[str] = mapped_column(String(16))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    # The ruleset with its templates resolved (app.rules.model.Ruleset as JSON).
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published_by: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
