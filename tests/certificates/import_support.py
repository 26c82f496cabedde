"""What the import tests share: rows as an issuing system writes them, the file, the command."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from license_support import ENTERPRISE_TYPE, PERSON_TYPE, enterprise_license, person_license
from sqlalchemy import select

from app.certificates.models import License
from app.cli import main
from app.config import Settings, get_settings
from app.db import Database


@pytest.fixture(autouse=True)
def cli_environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The command line sees the test's database and secret."""
    monkeypatch.setenv("QE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("QE_SECRET_KEY", settings.secret_key.get_secret_value())
    monkeypatch.setenv("QE_ENV", "test")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def person_row(source: str, holder_id: str, name: str = "李娜", **extra: Any) -> dict[str, Any]:
    """An NDJSON row of the scjg person type, from the API's request body."""
    body = person_license(holder_id, name)
    return {
        "type": PERSON_TYPE,
        "source_record_id": source,
        "holder_name": name,
        "holder_id_number": holder_id,
        "valid_from": "2026-03-01",
        "fields": body["fields"],
        **extra,
    }


def enterprise_row(source: str, uscc: str) -> dict[str, Any]:
    """An NDJSON row of the xzsp business licence."""
    body = enterprise_license(uscc)
    return {
        "type": ENTERPRISE_TYPE,
        "source_record_id": source,
        "holder_name": body["holder"]["name"],
        "holder_uscc": uscc,
        "valid_from": "2020-06-01",
        "fields": body["fields"],
    }


def write_ndjson(path: Path, rows: Sequence[dict[str, Any] | str]) -> Path:
    """Rows as lines (a str is written as it is, to make malformed lines)."""
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def run_cli(*args: str) -> tuple[int, dict[str, Any], str]:
    """Run `qingeban licenses import …` in a thread (it runs its own event loop): the exit
    code, the printed summary and what went to standard error."""
    out, err = io.StringIO(), io.StringIO()

    def run() -> int:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            return main(["licenses", "import", *args])

    code = await asyncio.to_thread(run)
    summary = json.loads(out.getvalue()) if out.getvalue().strip() else {}
    return code, summary, err.getvalue()


async def imported_licenses(database: Database) -> list[License]:
    async with database.session(write=False) as session:
        return list((await session.scalars(select(License).order_by(License.serial))).all())
