"""Electronic licenses (电子证照): their types, the records, serial counters and status lists."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime, key_string
from app.kit.ids import new_id
from app.sealing import SealedJSON

# What a license's sealed fields are bound to (the bulk import seals them itself).
FIELDS_CONTEXT = "licenses.fields"


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


class LicenseStatus(StrEnum):
    """The stored status; "expired" is derived from `valid_until` when a license is read."""

    VALID = "valid"
    SUSPENDED = "suspended"  # 暂扣
    REVOKED = "revoked"  # 撤销 / 吊销
    CANCELLED = "cancelled"  # 注销
    SUPERSEDED = "superseded"  # replaced by a renewal


class StatusPurpose(StrEnum):
    """What a status list's bits mean (W3C Bitstring Status List `statusPurpose`)."""

    REVOCATION = "revocation"
    SUSPENSION = "suspension"


class StatusList(Base):
    """A bitstring status list; every license holds one slot in a revocation and a suspension list.

    The slots are reserved at issuance, so that the credentials of a later issue can point to
    them without touching the licenses again.
    """

    __tablename__ = "status_lists"
    __table_args__ = (
        CheckConstraint("purpose IN ('revocation', 'suspension')", name="purpose"),
        CheckConstraint("allocated <= size", name="allocated"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(String(16), index=True)
    size: Mapped[int] = mapped_column(Integer)
    # Slots handed out; the list is full when this reaches `size` and a new list is opened.
    allocated: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LicenseSerial(Base):
    """The last serial number given to a license type (the serial segment of identifiers)."""

    __tablename__ = "license_serials"

    type_code: Mapped[str] = mapped_column(ForeignKey("license_types.code"), primary_key=True)
    # Serials have ten digits: more than a 32-bit integer holds.
    last_serial: Mapped[int] = mapped_column(BigInteger)


class License(Base):
    """One version of an e-license held by a person or an enterprise.

    A person holder's ID number is stored encrypted, with the platform's blind index (the same
    as an account's `id_number_index`, so a citizen's wallet is one indexed look-up) and a
    masked form for display; an enterprise holder is its USCC, which is public. The fields are
    sealed (app/sealing.py): they name other people too, both spouses' ID numbers on a
    marriage certificate, an account number on a housing-fund certificate.
    """

    __tablename__ = "licenses"
    __table_args__ = (
        CheckConstraint(
            "status IN ('valid', 'suspended', 'revoked', 'cancelled', 'superseded')",
            name="status",
        ),
        CheckConstraint(
            "(holder_kind = 'person' AND holder_id_index IS NOT NULL AND holder_uscc IS NULL)"
            " OR (holder_kind = 'enterprise' AND holder_uscc IS NOT NULL"
            " AND holder_id_index IS NULL)",
            name="holder",
        ),
        CheckConstraint("version >= 1", name="version"),
        # Bulk import is idempotent on the issuer's own record id.
        UniqueConstraint("issuer_code", "source_record_id"),
        UniqueConstraint("revocation_list_id", "revocation_index"),
        UniqueConstraint("suspension_list_id", "suspension_index"),
        # "Valid licenses expiring in the next N days", run daily for proactive renewals.
        Index("ix_licenses_status_valid_until", "status", "valid_until"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # The GB/T 36904 identifier; every version has its own.
    license_no: Mapped[str] = mapped_column(key_string(80), unique=True)
    type_code: Mapped[str] = mapped_column(
        key_string(64), ForeignKey("license_types.code"), index=True
    )
    # Not indexed alone: the unique key (issuer_code, source_record_id) leads with it (0028).
    issuer_code: Mapped[str] = mapped_column(key_string(32), ForeignKey("departments.code"))
    # person | enterprise
    holder_kind: Mapped[str] = mapped_column(String(16))
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_id_cipher: Mapped[str | None] = mapped_column(String(255))
    holder_id_index: Mapped[str | None] = mapped_column(key_string(64), index=True)
    holder_id_masked: Mapped[str | None] = mapped_column(String(32))
    holder_uscc: Mapped[str | None] = mapped_column(key_string(18), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column("fields_cipher", SealedJSON(FIELDS_CONTEXT))
    valid_from: Mapped[date] = mapped_column(Date)
    # None: the license does not expire.
    valid_until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(key_string(16))
    version: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(BigInteger)
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("licenses.id"), index=True)
    source_record_id: Mapped[str | None] = mapped_column(key_string(128))
    revocation_list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("status_lists.id"))
    revocation_index: Mapped[int] = mapped_column(Integer)
    suspension_list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("status_lists.id"))
    suspension_index: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CredentialKey(Base):
    """A P-256 key that signs license and status-list credentials (ES256).

    The private half is encrypted with a key derived from QE_SECRET_KEY for this purpose only;
    the public half is published in the licenses' JWKS. The newest key signs; every key stays
    published so that credentials it signed still verify.
    """

    __tablename__ = "credential_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    private_key_cipher: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class LicenseShare(Base):
    """A holder's consent to show a license (用证授权): to whom-ever scans it, for a stated
    purpose (用证事由), which fields, and until when.

    The QR code carries a short signed token naming the share's id (see sharing.py), not the
    license: a verifier learns only what the holder chose, and a revoked or expired share
    shows nothing. Every verification of a share goes to the holder's data-access log.
    """

    __tablename__ = "license_shares"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    license_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("licenses.id"), index=True)
    # The account that made it (a citizen, or a person acting for the holding enterprise).
    created_by: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(200))
    # Names of the license's fields the holder agreed to show.
    fields: Mapped[list[str]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
