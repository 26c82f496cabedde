"""Idempotency-Key semantics (DESIGN §5): the same key with the same body gives the stored answer;
the same key with another body is refused (422); a key whose first request is still running is
refused (409).

A key belongs to one owner on one method and path, and lives 24 hours. The owner is whom the
verified bearer token speaks for, never the token itself: a retry with a refreshed token is the
same caller's retry. Requests without a verified token use no key at all (middleware.py).

The first request's answer is kept unless it was a server error, so that a retry after a 5xx
runs again. The answer is stored after the request's own transaction has committed and before
it is sent: if the process dies in between, the key stays "in flight" for `LOCK_SECONDS`, after
which a retry runs the request again — the one window where a duplicate is possible.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principals import Principal
from app.config import Settings
from app.db import Database
from app.idempotency import repository
from app.idempotency.models import IdempotencyRecord
from app.kit.clock import utcnow
from app.kit.crypto import FieldCipher, derive_key

KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
TTL = timedelta(hours=24)
LOCK_SECONDS = 60
_CIPHER_ID = "k1"


@dataclass(frozen=True, slots=True)
class Replay:
    """The stored answer to send again."""

    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Claimed:
    """This request is the key's first: run it, then `remember` or `release`."""

    record_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Refused:
    """The key cannot be used for this request."""

    reason: Literal["body_differs", "in_flight"]


Decision = Replay | Claimed | Refused


def owner_of(principal: Principal) -> str:
    """Whose keys a verified principal uses: the enterprise acted for, else the person, staff
    member or client-credentials client; and always the client application it came through."""
    # An enterprise's cases belong to the enterprise, whichever of its agents files them, so
    # its keys do too; the person keeps their own keys apart from the enterprise's.
    if principal.enterprise is not None:
        who = f"enterprise:{principal.enterprise}"
    else:
        who = f"{principal.kind}:{principal.id}"
    return f"{who}\nclient:{principal.client_id}"


def caller_of(owner: str, method: str, path: str) -> str:
    """The digest naming an owner's key space on one route (no identifier is stored as such)."""
    return hashlib.sha256(f"{owner}\n{method}\n{path}".encode()).hexdigest()


def _cipher(settings: Settings) -> FieldCipher:
    key = derive_key(settings.secret_key.get_secret_value(), "idempotency.k1")
    return FieldCipher({_CIPHER_ID: key}, _CIPHER_ID)


async def begin(
    database: Database, settings: Settings, *, caller: str, key: str, body: bytes
) -> Decision:
    """Claim the key for this request, or say why not, or give the stored answer."""
    digest = hashlib.sha256(body).hexdigest()
    now = utcnow()
    async with database.session() as session:
        record = await repository.find(session, caller, key)
        if record is not None and record.expires_at <= now:
            await repository.forget(session, record.id)
            record = None
        if record is not None:
            if record.request_hash != digest:
                return Refused("body_differs")
            if record.state == "done" and record.status_code is not None:
                stored = _cipher(settings).decrypt(
                    record.body_cipher or "", context=f"idempotency:{caller}:{key}"
                )
                return Replay(
                    record.status_code, record.content_type or "", stored.encode("latin-1")
                )
            if (now - record.created_at).total_seconds() < LOCK_SECONDS:
                return Refused("in_flight")
            await repository.forget(session, record.id)  # a stale claim: its process died
        fresh = IdempotencyRecord(
            id=uuid.uuid4(), caller=caller, key=key, request_hash=digest, state="in_flight",
            created_at=now, expires_at=now + TTL,
        )  # fmt: skip
        try:
            await repository.claim(session, fresh)
            await session.commit()
        except IntegrityError:
            # A twin request claimed it a moment ago. The failed flush leaves the session
            # needing a rollback before the unit of work can end.
            await session.rollback()
            return Refused("in_flight")
        return Claimed(fresh.id)


async def remember(
    database: Database,
    settings: Settings,
    claimed: Claimed,
    *,
    caller: str,
    key: str,
    status: int,
    content_type: str,
    body: bytes,
) -> None:
    """Keep the first request's answer (encrypted: it may hold personal data or a secret)."""
    cipher = _cipher(settings).encrypt(
        body.decode("latin-1"), context=f"idempotency:{caller}:{key}"
    )
    async with database.session() as session:
        await repository.finish(
            session, claimed.record_id, status=status, content_type=content_type, body=cipher
        )


async def release(database: Database, claimed: Claimed) -> None:
    """Forget the claim of a request that failed on the server's side: a retry runs again."""
    async with database.session() as session:
        await repository.forget(session, claimed.record_id)


async def purge_expired(session: AsyncSession) -> int:
    """Delete expired keys (`qingeban identity purge` runs it); return how many."""
    return await repository.purge(session, utcnow())
