"""Verification that cannot be fooled: one verification behind the API and the CLI, and signed
checkpoints of the chain head kept outside the database, through the public API and CLI."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import ECKey
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import service, signing
from app.audit.canonical import RECORD_FIELDS, chain_hash, record_body
from app.audit.checkpoints import line_of
from app.audit.models import AuditChainHead, AuditRecord
from app.audit.schemas import Checkpoint
from app.auth.models import StaffRole
from app.config import Settings
from app.db import Database
from app.kit.clock import utcnow

MakeChain = Callable[[int], Awaitable[None]]
Tamper = Callable[[Callable[[AsyncConnection], Awaitable[None]]], Awaitable[None]]
Cli = Callable[..., Awaitable[tuple[int, Any]]]
StaffHeaders = Callable[..., Awaitable[dict[str, str]]]

VERIFY = "/api/v1/admin/audit/verify"
CHECKPOINTS = "/api/v1/audit/checkpoints"
JWKS = "/api/v1/audit/jwks"


def verdict(report: dict[str, Any]) -> tuple[Any, ...]:
    return report["ok"], report["first_broken_seq"], report["reason"]


async def records(connection: AsyncConnection) -> list[dict[str, Any]]:
    statement = select(AuditRecord.__table__).order_by(AuditRecord.seq)
    return [dict(row) for row in (await connection.execute(statement)).mappings()]


def rehash(record: dict[str, Any], prev_hash: str) -> None:
    record["prev_hash"] = prev_hash
    record["hash"] = chain_hash(prev_hash, record_body(**{k: record[k] for k in RECORD_FIELDS}))


async def forge_after_head(connection: AsyncConnection) -> None:
    """A record linked to the last one, inserted behind the head's back."""
    last = (await records(connection))[-1]
    forged = {**last, "seq": last["seq"] + 1, "id": uuid.uuid4(), "action": "license.issued"}
    rehash(forged, last["hash"])
    await connection.execute(insert(AuditRecord).values(**forged))


def rewrite(*, keep: int | None = None, extra: int = 0) -> Callable[[AsyncConnection], Any]:
    """What an attacker with the database does: edit record 2, recompute every hash after it
    so that every link holds, optionally cut the chain back to `keep` records or add `extra`
    forged ones, and move the head to the new end."""

    async def change(connection: AsyncConnection) -> None:
        chain = await records(connection)
        if keep is not None:
            await connection.execute(delete(AuditRecord).where(AuditRecord.seq > keep))
            chain = chain[:keep]
        chain[1]["action"] = "license.reinstated"
        prev = chain[0]["hash"]
        for record in chain[1:]:
            rehash(record, prev)
            await connection.execute(
                update(AuditRecord)
                .where(AuditRecord.seq == record["seq"])
                .values(action=record["action"], prev_hash=record["prev_hash"], hash=record["hash"])
            )
            prev = record["hash"]
        for _ in range(extra):
            forged = {**chain[-1], "seq": chain[-1]["seq"] + 1, "id": uuid.uuid4()}
            rehash(forged, prev)
            await connection.execute(insert(AuditRecord).values(**forged))
            chain.append(forged)
            prev = forged["hash"]
        await connection.execute(
            update(AuditChainHead).values(seq=chain[-1]["seq"], hash=chain[-1]["hash"])
        )

    return change


def store_lines(settings: Settings) -> list[dict[str, Any]]:
    assert settings.audit_checkpoint_path is not None
    return [json.loads(line) for line in settings.audit_checkpoint_path.read_text().splitlines()]


def replace_store(settings: Settings, lines: list[dict[str, Any]]) -> None:
    """Rewrite the store, as only a test (or someone past its append-only guard) can."""
    assert settings.audit_checkpoint_path is not None
    text = b"".join(line_of(Checkpoint.model_validate(line)) for line in lines)
    settings.audit_checkpoint_path.write_bytes(text)


async def checkpoint(cli: Cli, seq: int) -> dict[str, Any]:
    code, out = await cli("audit", "checkpoint")
    assert (code, out["written"], out["checkpoint"]["seq"]) == (0, True, seq)
    checkpoint: dict[str, Any] = out["checkpoint"]
    return checkpoint


@pytest.mark.parametrize("anchored", [False, True], ids=["whole-chain", "from-checkpoint"])
async def test_a_record_forged_after_the_head_is_caught_by_the_api_and_the_cli(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_chain: MakeChain,
    tamper: Tamper,
    cli: Cli,
    anchored: bool,
) -> None:
    await make_chain(3)
    if anchored:
        await checkpoint(cli, 3)
    await tamper(forge_after_head)

    response = await client.get(VERIFY, headers=admin_headers)
    code, printed = await cli("audit", "verify")

    assert response.status_code == 200
    body = response.json()
    assert verdict(body) == (False, 4, "head_mismatch")
    assert body["mode"] == ("from_checkpoint" if anchored else "full")
    assert code == 1
    assert printed == body  # one verification behind both
    full = (await client.get(VERIFY, params={"full": "true"}, headers=admin_headers)).json()
    assert verdict(full) == (False, 4, "head_mismatch")
    assert (await cli("audit", "verify", "--full"))[1] == full


@pytest.mark.parametrize(
    ("keep", "extra"),
    [(None, 0), (None, 3), (3, 0)],
    ids=["rewritten", "rewritten-head-moved-on", "rewritten-head-moved-back"],
)
async def test_a_rewritten_chain_with_recomputed_hashes_is_caught_against_the_checkpoint(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    settings: Settings,
    database: Database,
    make_chain: MakeChain,
    tamper: Tamper,
    cli: Cli,
    keep: int | None,
    extra: int,
) -> None:
    await make_chain(5)
    await checkpoint(cli, 5)
    await make_chain(2)
    await tamper(rewrite(keep=keep, extra=extra))

    # The chain alone holds together: without the checkpoint nothing is wrong to see.
    unanchored = settings.model_copy(update={"audit_checkpoint_path": None})
    blind = await service.verify_chain(database, unanchored, full=True)
    assert (blind.ok, blind.reason) == (True, None)

    for params, argv in (({}, ()), ({"full": "true"}, ("--full",))):
        body = (await client.get(VERIFY, params=params, headers=admin_headers)).json()
        assert verdict(body) == (False, 5, "checkpoint_mismatch")
        assert body["checkpoint"]["seq"] == 5
        code, printed = await cli("audit", "verify", *argv)
        assert (code, printed) == (1, body)

    # Nothing is signed over a chain that does not verify.
    code, out = await cli("audit", "checkpoint")
    assert (code, out["written"], verdict(out["report"])) == (1, False, verdict(body))
    assert [line["seq"] for line in store_lines(settings)] == [5]


def flip(text: str, at: int) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


def signed_elsewhere(line: dict[str, Any], *, claim_kid: bool) -> dict[str, Any]:
    """The same checkpoint signed with a key derived from another secret (an attacker's),
    naming that key or claiming the platform's."""
    other = signing.checkpoint_key("an-attacker-s-own-secret-of-40-characters")
    forged = signing.sign(
        other, seq=line["seq"], hash_=line["hash"], created_at=utcnow()
    ).model_dump(mode="json")
    if claim_kid:
        forged["kid"] = line["kid"]
    return forged


ALTERATIONS: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], str]] = {
    "signature-altered": (
        lambda line: {
            **line,
            "signature": flip(line["signature"], line["signature"].index("..") + 12),
        },
        "bad_signature",
    ),
    "position-altered": (lambda line: {**line, "seq": line["seq"] - 1}, "bad_signature"),
    "hash-altered": (lambda line: {**line, "hash": "e" * 64}, "bad_signature"),
    "another-key": (lambda line: signed_elsewhere(line, claim_kid=False), "unknown_key"),
    "another-key-claiming-ours": (
        lambda line: signed_elsewhere(line, claim_kid=True),
        "bad_signature",
    ),
}


@pytest.mark.parametrize("alteration", list(ALTERATIONS))
async def test_a_checkpoint_whose_signature_does_not_hold_is_refused(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    settings: Settings,
    make_chain: MakeChain,
    cli: Cli,
    alteration: str,
) -> None:
    await make_chain(3)
    await checkpoint(cli, 3)
    await make_chain(2)
    await checkpoint(cli, 5)
    alter, reason = ALTERATIONS[alteration]
    first, second = store_lines(settings)
    replace_store(settings, [first, alter(second)])

    body = (await client.get(VERIFY, headers=admin_headers)).json()
    # The chain is intact, but the altered line anchors nothing: verification falls back to
    # the checkpoint before it, and says what it refused.
    assert verdict(body) == (False, None, "checkpoint_refused")
    assert body["refused_checkpoints"] == [{"line": 2, "reason": reason}]
    assert (body["checkpoint"]["line"], body["from_seq"], body["records_checked"]) == (1, 3, 2)
    assert await cli("audit", "verify") == (1, body)
    full = (await client.get(VERIFY, params={"full": "true"}, headers=admin_headers)).json()
    assert verdict(full) == (False, None, "checkpoint_refused")
    assert (full["checkpoints_checked"], full["refused_checkpoints"]) == (
        1,
        [{"line": 2, "reason": reason}],
    )

    # Refused lines do not stop the anchoring: the next checkpoint is written after them.
    await make_chain(1)
    code, out = await cli("audit", "checkpoint")
    assert (code, out["written"], out["checkpoint"]["seq"]) == (1, True, 6)
    assert [line["seq"] for line in store_lines(settings)][-1] == 6


async def test_a_forged_checkpoint_for_a_rewritten_chain_anchors_nothing(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    settings: Settings,
    database: Database,
    make_chain: MakeChain,
    tamper: Tamper,
    cli: Cli,
) -> None:
    await make_chain(4)
    await checkpoint(cli, 4)
    await tamper(rewrite(extra=2))
    # The attacker appends a checkpoint of the rewritten head, without the platform's key.
    async with database.engine.connect() as connection:
        head = (await records(connection))[-1]
    forged = signed_elsewhere(head, claim_kid=False)
    assert settings.audit_checkpoint_path is not None
    with settings.audit_checkpoint_path.open("ab") as store:
        store.write(line_of(Checkpoint.model_validate(forged)))

    body = (await client.get(VERIFY, headers=admin_headers)).json()
    assert verdict(body) == (False, 4, "checkpoint_mismatch")
    assert body["checkpoint"]["line"] == 1
    assert body["refused_checkpoints"] == [{"line": 2, "reason": "unknown_key"}]


async def test_verification_from_a_checkpoint_reads_only_the_records_after_it(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_chain: MakeChain,
    tamper: Tamper,
    cli: Cli,
) -> None:
    await make_chain(6)
    await checkpoint(cli, 6)
    await make_chain(4)

    body = (await client.get(VERIFY, headers=admin_headers)).json()
    assert verdict(body) == (True, None, None)
    assert (body["mode"], body["from_seq"], body["records_checked"], body["head_seq"]) == (
        "from_checkpoint", 6, 4, 10)  # fmt: skip
    assert body["checkpoints_checked"] == 1
    assert await cli("audit", "verify") == (0, body)
    full = (await client.get(VERIFY, params={"full": "true"}, headers=admin_headers)).json()
    assert (full["ok"], full["mode"], full["from_seq"], full["records_checked"]) == (
        True, "full", 0, 10)  # fmt: skip

    # An edit before the checkpoint is out of reach of the quick walk, which never reads that
    # far back; the full walk finds it.
    async def edit(connection: AsyncConnection) -> None:
        await connection.execute(
            update(AuditRecord).where(AuditRecord.seq == 2).values(actor_id="clerk-99")
        )

    await tamper(edit)
    quick = (await client.get(VERIFY, headers=admin_headers)).json()
    assert (quick["ok"], quick["records_checked"]) == (True, 4)
    full = (await client.get(VERIFY, params={"full": "true"}, headers=admin_headers)).json()
    assert verdict(full) == (False, 2, "hash_mismatch")
    assert full["records_checked"] == 2
    assert await cli("audit", "verify", "--full") == (1, full)


async def test_checkpoints_are_published_to_auditors_and_verify_with_any_jose_library(
    client: httpx.AsyncClient,
    staff_headers: StaffHeaders,
    settings: Settings,
    make_chain: MakeChain,
    cli: Cli,
) -> None:
    await make_chain(2)
    await checkpoint(cli, 2)
    code, again = await cli("audit", "checkpoint")  # the head has not moved: nothing to add
    assert (code, again["written"], again["checkpoint"]["seq"]) == (0, False, 2)
    await make_chain(1)
    await checkpoint(cli, 3)
    assert [line["seq"] for line in store_lines(settings)] == [2, 3]

    auditor = await staff_headers("audit.wang", StaffRole.AUDITOR, department="xzsp")
    first = (await client.get(CHECKPOINTS, params={"limit": 1}, headers=auditor)).json()
    assert [(item["line"], item["seq"]) for item in first["items"]] == [(2, 3)]
    rest = await client.get(
        CHECKPOINTS, params={"limit": 1, "cursor": first["next_cursor"]}, headers=auditor
    )
    assert [(item["line"], item["seq"]) for item in rest.json()["items"]] == [(1, 2)]
    assert rest.json()["next_cursor"] is None
    keys = (await client.get(JWKS, headers=auditor)).json()["keys"]

    # An auditor needs nothing of ours but what was published: the key, pinned by its
    # thumbprint, and the checkpoint whose canonical fields are the detached payload.
    key = ECKey.import_key(keys[0])
    for item in [*first["items"], *rest.json()["items"]]:
        assert item["kid"] == keys[0]["kid"] == key.thumbprint()
        payload = json.dumps(
            {"created_at": item["created_at"], "hash": item["hash"], "seq": item["seq"]},
            sort_keys=True,
            separators=(",", ":"),
        )
        signed = jws.deserialize_compact(
            item["signature"], key, algorithms=["ES256"], payload=payload
        )
        assert signed.headers()["typ"] == "qe-audit-checkpoint"

    code, printed = await cli("audit", "checkpoints")
    assert code == 0
    assert printed["keys"] == keys
    assert printed["checkpoints"] == [*rest.json()["items"], *first["items"]]

    clerk = await staff_headers("gjj.clerk2", StaffRole.CLERK)
    assert (await client.get(CHECKPOINTS, headers=clerk)).status_code == 403
    assert (await client.get(JWKS, headers=clerk)).status_code == 403


async def test_a_torn_last_line_is_ignored_and_the_next_checkpoint_starts_a_line_of_its_own(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    settings: Settings,
    make_chain: MakeChain,
    cli: Cli,
) -> None:
    await make_chain(2)
    await checkpoint(cli, 2)
    assert settings.audit_checkpoint_path is not None
    with settings.audit_checkpoint_path.open("ab") as store:
        store.write(b'{"created_at": "2026-')  # a writer died here
    body = (await client.get(VERIFY, headers=admin_headers)).json()
    assert (body["ok"], body["refused_checkpoints"]) == (True, [])

    await make_chain(1)
    await checkpoint(cli, 3)
    body = (await client.get(VERIFY, headers=admin_headers)).json()
    assert verdict(body) == (False, None, "checkpoint_refused")
    assert body["refused_checkpoints"] == [{"line": 2, "reason": "malformed"}]
    assert (body["checkpoint"]["line"], body["checkpoint"]["seq"]) == (3, 3)


async def test_without_a_checkpoint_store(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    settings: Settings,
    make_chain: MakeChain,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    await make_chain(2)
    # A store that is configured but cannot be read is an outage, not "no checkpoints".
    settings.audit_checkpoint_path = tmp_path  # a directory
    unreadable = await client.get(VERIFY, headers=admin_headers)
    assert unreadable.status_code == 503
    assert unreadable.json()["code"] == "audit.checkpoint_store_unavailable"

    settings.audit_checkpoint_path = None
    body = (await client.get(VERIFY, headers=admin_headers)).json()
    assert (body["ok"], body["mode"], body["records_checked"], body["checkpoint"]) == (
        True, "full", 2, None)  # fmt: skip
    listed = await client.get(CHECKPOINTS, headers=admin_headers)
    assert listed.status_code == 404
    assert listed.json()["code"] == "audit.checkpoints_not_configured"
    monkeypatch.delenv("QE_AUDIT_CHECKPOINT_PATH")
    assert await cli("audit", "checkpoint") == (2, None)
    assert await cli("audit", "verify") == (0, body)
