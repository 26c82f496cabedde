"""The audit log's `qingeban` subcommands: `audit verify [--full]`, `audit checkpoint` (run it
periodically), `audit checkpoints` (what auditors are given) and `audit seal` (link records
appended unsealed now, rather than wait for a process's sealer).

Reports go to standard output as JSON; a store that is not configured or cannot be used is
said on standard error with exit code 2. Heavy imports happen inside the commands, so that the
command line starts fast.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from app.config import get_settings


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Verify the audit hash chain from the newest checkpoint (or all of it with --full); exit 1
    at the first broken link or a refused checkpoint, 2 when the checkpoint store is away."""
    from app.audit.errors import CheckpointStoreUnavailable
    from app.audit.service import verify_database

    settings = get_settings()
    try:
        report = asyncio.run(verify_database(settings, full=args.full))
    except CheckpointStoreUnavailable as exc:
        print(f"{exc.title_en}: {settings.audit_checkpoint_path}", file=sys.stderr)
        return 2
    print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False))
    return 0 if report.ok else 1


def cmd_audit_checkpoint(_: argparse.Namespace) -> int:
    """Verify the chain and sign its head into the checkpoint store; exit 1 when verification
    finds anything (nothing is signed over a broken chain), 2 without a usable store."""
    from app.audit.errors import CheckpointStoreNotConfigured, CheckpointStoreUnavailable
    from app.audit.service import checkpoint_database

    settings = get_settings()
    try:
        outcome = asyncio.run(checkpoint_database(settings))
    except CheckpointStoreNotConfigured as exc:
        print(f"{exc.title_en}: set QE_AUDIT_CHECKPOINT_PATH", file=sys.stderr)
        return 2
    except CheckpointStoreUnavailable as exc:
        print(f"{exc.title_en}: {settings.audit_checkpoint_path}", file=sys.stderr)
        return 2
    checkpoint = outcome.checkpoint
    document = {
        "written": outcome.written,
        "checkpoint": checkpoint.model_dump(mode="json") if checkpoint else None,
        "report": outcome.report.model_dump(mode="json"),
    }
    print(json.dumps(document, ensure_ascii=False))
    return 0 if outcome.report.ok else 1


def cmd_audit_checkpoints(_: argparse.Namespace) -> int:
    """Print the checkpoint key (a JWK Set) and every stored checkpoint, for auditors."""
    from app.audit import service
    from app.audit.errors import CheckpointStoreNotConfigured, CheckpointStoreUnavailable

    settings = get_settings()
    try:
        stored = asyncio.run(service.published_checkpoints(settings))
    except (CheckpointStoreNotConfigured, CheckpointStoreUnavailable) as exc:
        print(f"{exc.title_en}: {settings.audit_checkpoint_path}", file=sys.stderr)
        return 2
    document = {
        "keys": service.checkpoint_keys(settings).keys,
        "checkpoints": [checkpoint.model_dump(mode="json") for checkpoint in stored],
    }
    print(json.dumps(document, ensure_ascii=False, indent=2))
    return 0


def cmd_audit_seal(_: argparse.Namespace) -> int:
    """Seal every record waiting for the sealer; exit 1 when some no longer match their digest
    (they stay unsealed, and verification reports them)."""
    from app.audit.service import seal_database

    outcome = asyncio.run(seal_database(get_settings()))
    document = {"sealed": outcome.sealed, "altered": outcome.altered, "busy": outcome.busy}
    print(json.dumps(document, ensure_ascii=False))
    return 1 if outcome.altered else 0


def register(commands: Any) -> None:
    """Add the audit subcommands to the `qingeban` parser."""
    audit = commands.add_parser("audit", help="audit log tools")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser("verify", help="verify the hash chain")
    verify.add_argument(
        "--full",
        action="store_true",
        help="walk the whole chain and compare every checkpoint (default: from the newest one)",
    )
    verify.set_defaults(func=cmd_audit_verify)
    audit_commands.add_parser(
        "checkpoint", help="verify the chain and sign its head into the checkpoint store"
    ).set_defaults(func=cmd_audit_checkpoint)
    audit_commands.add_parser(
        "checkpoints", help="print the checkpoint key and the stored checkpoints"
    ).set_defaults(func=cmd_audit_checkpoints)
    audit_commands.add_parser(
        "seal", help="link the records appended unsealed into the chain now"
    ).set_defaults(func=cmd_audit_seal)
