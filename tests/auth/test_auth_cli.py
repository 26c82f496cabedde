"""The identity commands: clients create, staff create, keys rotate/list, demo sms."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator

import pytest
from oidc_support import publish_next_key_now

from app.auth import service
from app.cli import main
from app.config import Settings, get_settings
from app.db import Database


@pytest.fixture
def configured(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The commands read the test database from QE_DATABASE_URL, as in production."""
    monkeypatch.setenv("QE_DATABASE_URL", database_url)
    monkeypatch.delenv("QE_DEMO", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_clients_create_prints_the_id_and_the_secret_once(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "clients", "create",
        "--name", "住房公积金业务系统",
        "--redirect-uri", "https://gjj.example.gov.cn/callback", "https://gjj.example.gov.cn/cb2",
        "--grant", "authorization_code", "refresh_token",
        "--scope", "openid", "profile",
        "--backchannel-logout-uri", "https://gjj.example.gov.cn/logout",
    )  # fmt: skip
    assert code == 0
    lines = dict(line.split(": ", 1) for line in out.strip().splitlines())
    assert lines["client_id"].startswith("dept-")
    assert len(lines["client_secret"]) >= 43
    assert "shown only now" in err

    code, out, _ = run(
        capsys,
        "clients", "create", "--name", "合作伙伴", "--kind", "partner",
        "--scope", "licenses.verify", "--json",
    )  # fmt: skip
    assert code == 0
    created = json.loads(out)
    assert created["kind"] == "partner"
    assert created["subject_type"] == "pairwise"
    assert created["grant_types"] == ["client_credentials"]
    assert created["client_secret"]


def test_clients_create_registers_an_issuing_department_system(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "clients", "create", "--name", "市场监管业务系统", "--grant", "client_credentials",
        "--scope", "licenses:issue", "--department", "scjg", "--json",
    )  # fmt: skip
    assert code == 0
    created = json.loads(out)
    assert (created["department_code"], created["scopes"]) == ("scjg", ["licenses:issue"])
    code, _, err = run(
        capsys,
        "clients", "create", "--name", "无部门", "--grant", "client_credentials",
        "--scope", "licenses:issue",
    )  # fmt: skip
    assert code == 2
    assert "department_code" in err


def test_clients_create_refuses_what_the_api_refuses(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "clients", "create", "--name", "x", "--redirect-uri", "ftp://nope/cb"
    )
    assert code == 2
    assert "auth.invalid_client_registration" in err


def test_staff_create_generates_a_password_or_reads_one_from_stdin(
    configured: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(
        capsys,
        "staff", "create", "--login", "xzsp.admin", "--name", "管理员",
        "--role", "platform_admin", "--department", "xzsp",
    )  # fmt: skip
    assert code == 0
    assert "initial_password: " in out
    monkeypatch.setattr("sys.stdin", io.StringIO("Chosen-Password-2026\n"))
    code, out, _ = run(
        capsys,
        "staff", "create", "--login", "gjj.wang", "--name", "王芳", "--role", "clerk",
        "--department", "gjj", "--password-stdin", "--json",
    )  # fmt: skip
    assert code == 0
    created = json.loads(out)
    assert created["initial_password"] is None
    assert created["department_code"] == "gjj"
    code, _, err = run(
        capsys,
        "staff", "create", "--login", "gjj.li", "--name", "李", "--role", "clerk",
        "--department", "no-such-department",
    )  # fmt: skip
    assert code == 2
    assert "catalog.unknown_department" in err


def test_keys_rotate_refuses_too_soon_then_rotates_with_force(
    configured: None, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    asyncio.run(_publish_next_key_now(database_url))
    code, out, _ = run(capsys, "keys", "list")
    before = {(key["algorithm"], key["state"]): key["kid"] for key in json.loads(out)}
    code, _, err = run(capsys, "keys", "rotate")
    assert code == 2
    assert "auth.key_rotation_too_soon" in err
    code, out, _ = run(capsys, "keys", "rotate", "--force")
    assert code == 0
    rotations = json.loads(out)
    assert {rotation["algorithm"] for rotation in rotations} == {"RS256", "ES256"}
    code, out, _ = run(capsys, "keys", "list")
    states = {key["kid"]: key["state"] for key in json.loads(out)}
    for rotation in rotations:
        assert rotation["active"] == before[(rotation["algorithm"], "next")]
        assert rotation["retired"] == before[(rotation["algorithm"], "active")]
        assert states[rotation["next"]] == "next"
        assert states[rotation["retired"]] == "retired"


async def _publish_next_key_now(database_url: str) -> None:
    database = Database.from_url(database_url)
    try:
        await publish_next_key_now(database)
    finally:
        await database.dispose()


def test_demo_sms_lists_texts_only_in_demo_mode(
    configured: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    settings: Settings,
) -> None:
    async def send_codes() -> None:
        database = Database.from_url(database_url)
        try:
            async with database.session() as session:
                for phone in ("13912340000", "13912341111"):
                    await service.send_sms_code(
                        session, settings, phone=phone, client_address="198.51.100.1"
                    )
        finally:
            await database.dispose()

    asyncio.run(send_codes())
    code, _, err = run(capsys, "demo", "sms")
    assert code == 2
    assert "demo mode" in err

    monkeypatch.setenv("QE_DEMO", "true")
    get_settings.cache_clear()
    code, out, _ = run(capsys, "demo", "sms", "--phone", "139 1234 0000")
    assert code == 0
    (message,) = json.loads(out)
    assert message["phone_masked"] == "139****0000"
    assert "【青e办】" in message["body"]
    code, out, _ = run(capsys, "demo", "sms")
    assert len(json.loads(out)) == 2
    assert "13912340000" not in out
