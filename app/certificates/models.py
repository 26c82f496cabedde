"""Electronic-license (电子证照) types; the license records themselves arrive with a later issue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class LicenseType(Base):
    """A kind of e-license (business license, hygiene permit, …) and the fields it carries."""

    __tablename__ = "license_types"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The letters inside a GB/T 36904 license identifier; unique so an identifier names one type.
    type_code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(400))
    issuer_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    # person | enterprise
    holder_kind: Mapped[str] = mapped_column(String(16))
    # None: the license does not expire
    validity_years: Mapped[int | None] = mapped_column(Integer)
    # [{name, label, type}], the fields a license of this type carries
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
