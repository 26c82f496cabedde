"""The identity domain's `qingeban` subcommands: clients, staff, keys and the demo SMS inbox.

Secrets (a client secret, a generated staff password) are printed once and never again; they
are stored only as digests and hashes. Heavy imports happen inside the commands, so that the
command line starts fast.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from app.config import get_settings

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.auth.schemas import ClientCreated, StaffCreated

T = TypeVar("T")
Created = TypeVar("Created", bound="BaseModel")
CLI_ACTOR: tuple[Literal["system"], str] = ("system", "cli")


def _in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from app.db import Database

    async def run() -> T:
        database = Database.from_url(get_settings().database_url, pool_size=1)
        try:
            async with database.session() as session:
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _fail(error: Exception) -> int:
    from app.errors import AppError

    if isinstance(error, AppError):
        print(f"error: {error.code}: {error.detail_en or error.title_en}", file=sys.stderr)
        for param in error.extra.get("invalid_params", []):
            print(f"  {param['name']}: {param['reason']}", file=sys.stderr)
        return 2
    raise error


def _create(work: Callable[[AsyncSession], Awaitable[Created]], as_json: bool) -> Created | int:
    """Run a creating service call; the created record (printed as JSON when asked), or the
    exit code of a refusal (already reported)."""
    from app.errors import AppError

    try:
        created = _in_session(work)
    except AppError as exc:
        return _fail(exc)
    if as_json:
        print(json.dumps(created.model_dump(mode="json"), ensure_ascii=False))
    return created


def cmd_clients_create(args: argparse.Namespace) -> int:
    """Register a client and print its client_id and one-time client_secret."""
    from pydantic import ValidationError

    from app.audit.schemas import AuditContext
    from app.auth import service
    from app.auth.schemas import ClientCreate

    try:
        data = ClientCreate(
            name=args.name,
            kind=args.kind,
            redirect_uris=args.redirect_uri or [],
            post_logout_redirect_uris=args.post_logout_redirect_uri or [],
            backchannel_logout_uri=args.backchannel_logout_uri,
            grant_types=args.grant or None,
            scopes=args.scope or None,
            subject_type=args.subject_type,
            department_code=args.department,
        )
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = get_settings()

    async def work(session: AsyncSession) -> ClientCreated:
        return await service.register_client(
            session, settings, data, audit_context=AuditContext(), actor=CLI_ACTOR
        )

    created = _create(work, args.json)
    if isinstance(created, int):
        return created
    if not args.json:
        print(f"client_id: {created.client_id}")
        print(f"client_secret: {created.client_secret or '(none: a public client uses PKCE)'}")
        if created.client_secret:
            print("The secret is shown only now; store it safely.", file=sys.stderr)
    return 0


def cmd_staff_create(args: argparse.Namespace) -> int:
    """Create a staff member; prints the generated password once unless one came on stdin."""
    from pydantic import ValidationError

    from app.audit.schemas import AuditContext
    from app.auth import service
    from app.auth.schemas import StaffCreate

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    try:
        data = StaffCreate(
            login=args.login,
            name=args.name,
            role=args.role,
            department_code=args.department,
            password=password or None,
        )
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = get_settings()

    async def work(session: AsyncSession) -> StaffCreated:
        return await service.create_staff(
            session, settings, data, audit_context=AuditContext(), actor=CLI_ACTOR
        )

    created = _create(work, args.json)
    if isinstance(created, int):
        return created
    if not args.json:
        print(f"id: {created.id}")
        print(f"login: {created.login}")
        if created.initial_password:
            print(f"initial_password: {created.initial_password}")
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    """Promote the published next key, retire the signing key, publish a new next key."""
    from app.audit.schemas import AuditContext
    from app.auth import keys, service
    from app.errors import AppError

    settings = get_settings()

    async def work(session: AsyncSession) -> Any:
        await keys.ensure_keys(session, settings)
        return await service.rotate_keys(
            session, settings, force=args.force, audit_context=AuditContext(), actor=CLI_ACTOR
        )

    try:
        rotations = _in_session(work)
    except AppError as exc:
        return _fail(exc)
    print(json.dumps([dataclasses.asdict(rotation) for rotation in rotations]))
    return 0


def cmd_keys_list(_: argparse.Namespace) -> int:
    """Print every signing key with its state."""
    from app.auth import keys
    from app.auth.schemas import SigningKeyRead

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        found = await keys.list_keys(session)
        return [SigningKeyRead.model_validate(key).model_dump(mode="json") for key in found]

    print(json.dumps(_in_session(work), indent=2))
    return 0


def cmd_identity_purge(_: argparse.Namespace) -> int:
    """Delete expired identity records, Idempotency-Keys and uploads no case took (run it
    hourly, e.g. from cron); prints what went."""
    from app.auth import service
    from app.idempotency import service as idempotency
    from app.uploads import service as uploads

    async def purge(session: AsyncSession) -> dict[str, int]:
        counts = await service.purge_expired(session)
        counts["idempotency_records"] = await idempotency.purge_expired(session)
        counts["uploads"] = await uploads.purge_expired(session)
        return counts

    print(json.dumps(_in_session(purge)))
    return 0


def cmd_demo_sms(args: argparse.Namespace) -> int:
    """Print the texts the demo SMS gateway "sent", newest first (demo mode only)."""
    from app.auth import sms
    from app.auth.accounts import phone_number
    from app.auth.schemas import DemoSmsRead
    from app.errors import AppError

    settings = get_settings()
    if not settings.demo:
        print(
            "error: the demo SMS inbox is readable only in demo mode (QE_DEMO=true)",
            file=sys.stderr,
        )
        return 2
    try:
        phone = phone_number(args.phone) if args.phone else None
    except AppError as exc:
        return _fail(exc)

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        found = await sms.demo_messages(session, settings, phone, args.limit)
        return [
            DemoSmsRead.model_validate(m, from_attributes=True).model_dump(mode="json")
            for m in found
        ]

    print(json.dumps(_in_session(work), ensure_ascii=False, indent=2))
    return 0


def register(commands: Any, demo_commands: Any) -> None:
    """Add the identity subcommands to the `qingeban` parser."""
    kinds = ["department", "first_party", "partner"]
    clients = commands.add_parser("clients", help="OAuth clients")
    client_commands = clients.add_subparsers(dest="clients_command", required=True)
    create = client_commands.add_parser("create", help="register a client, print its secret once")
    create.add_argument("--name", required=True)
    create.add_argument("--kind", choices=kinds, default="department")
    create.add_argument("--redirect-uri", action="extend", nargs="+", metavar="URI")
    create.add_argument("--post-logout-redirect-uri", action="extend", nargs="+", metavar="URI")
    create.add_argument("--backchannel-logout-uri", metavar="URI")
    create.add_argument(
        "--grant",
        action="extend",
        nargs="+",
        choices=["authorization_code", "refresh_token", "client_credentials"],
    )
    create.add_argument("--scope", action="extend", nargs="+", metavar="SCOPE")
    create.add_argument("--subject-type", choices=["public", "pairwise"])
    create.add_argument(
        "--department", help="department code of a department system (needed for licenses:issue)"
    )
    create.add_argument("--json", action="store_true", help="print the client as JSON")
    create.set_defaults(func=cmd_clients_create)

    staff = commands.add_parser("staff", help="staff members")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    create_staff = staff_commands.add_parser("create", help="create a staff member")
    create_staff.add_argument("--login", required=True)
    create_staff.add_argument("--name", required=True)
    create_staff.add_argument(
        "--role", required=True, choices=["clerk", "department_admin", "platform_admin", "auditor"]
    )
    create_staff.add_argument("--department", required=True, help="department code, e.g. gjj")
    create_staff.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    create_staff.add_argument("--json", action="store_true")
    create_staff.set_defaults(func=cmd_staff_create)

    keys = commands.add_parser("keys", help="token signing keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    rotate = key_commands.add_parser("rotate", help="rotate the signing key")
    rotate.add_argument(
        "--force", action="store_true", help="even if the next key was published only just now"
    )
    rotate.set_defaults(func=cmd_keys_rotate)
    key_commands.add_parser("list", help="list the signing keys").set_defaults(func=cmd_keys_list)

    identity = commands.add_parser("identity", help="identity housekeeping")
    identity_commands = identity.add_subparsers(dest="identity_command", required=True)
    identity_commands.add_parser(
        "purge",
        help="delete expired codes, tokens, sessions, SMS codes, Idempotency-Keys and "
        "unattached uploads (hourly)",
    ).set_defaults(func=cmd_identity_purge)

    sms_inbox = demo_commands.add_parser("sms", help="texts the demo SMS gateway sent")
    sms_inbox.add_argument("--phone", help="only texts to this phone number")
    sms_inbox.add_argument("--limit", type=int, default=20)
    sms_inbox.set_defaults(func=cmd_demo_sms)
