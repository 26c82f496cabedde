"""Test fixtures: a fresh, migrated, catalog-seeded database for every test.

Each pytest process migrates and seeds one template database once (which also tests the
migrations on every run); every test then gets its own copy — a file copy on SQLite,
`CREATE DATABASE … TEMPLATE` on PostgreSQL — so tests commit for real, run concurrent
requests and workers, and never see each other's rows. Set QE_TEST_DATABASE_URL to a
PostgreSQL URL to run the suite there.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher, profiles
from http_checks import designed_unavailable
from persona_support import PERSONAS, Headers, SignIn
from settings_support import make_settings
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app import migrate
from app.adapters.service import reset_exchange
from app.adapters.simulator.personas import DEMO_PASSWORD
from app.auth import passwords
from app.auth import service as auth
from app.auth.models import StaffMember, StaffRole
from app.auth.passwords import hash_password
from app.certificates import service as certificates
from app.config import Settings
from app.db import Database
from app.demo import seed_demo_world
from app.kit import clock
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.main import create_app
from app.seed import seed_reference_data

_counter = itertools.count()


@dataclass(frozen=True)
class TestDatabases:
    """Where the template lives and how to make a per-test copy of it."""

    dialect: str
    template: str  # SQLite: a file path; PostgreSQL: a database name
    admin_url: str  # PostgreSQL: a URL to the maintenance database
    workdir: Path

    def new_url(self) -> str:
        """Copy the template and return the copy's URL."""
        n = next(_counter)
        if self.dialect == "sqlite":
            target = self.workdir / f"test-{n}.db"
            shutil.copyfile(self.template, target)
            return f"sqlite+aiosqlite:///{target}"
        name = f"{self.template}_{n}"
        asyncio.run(_admin(self.admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Remove a per-test copy."""
        if self.dialect == "sqlite":
            Path(make_url(url).database or "").unlink(missing_ok=True)
            return
        name = make_url(url).database
        asyncio.run(_admin(self.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(url: str, *statements: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _build_template(url: str) -> None:
    database = Database.from_url(url)
    try:
        await migrate.upgrade(database.engine)
        await seed_reference_data(database)
        # Signing keys and the first-party client, made once here rather than by every app.
        settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
        await auth.bootstrap(database, settings)
        await certificates.bootstrap(database, settings)
    finally:
        await database.dispose()


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes() -> Iterator[None]:
    """argon2id with its cheapest parameters: production's cost 50-100 ms per hash, which the
    suite would pay a few hundred times over. Hashes record their parameters, so verification
    is unaffected; tests of lockouts count attempts, not milliseconds."""
    original = passwords.hasher
    passwords.hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    yield
    passwords.hasher = original


Travel = Callable[[str], None]


@pytest.fixture
def travel() -> Iterator[Travel]:
    """Move the platform's clock: `travel("2026-11-24T09:00:00+08:00")`; it keeps running from
    there, and is back to the machine's after the test. Tests that compare dates travel first,
    so that none depends on the day the suite runs."""

    def to(moment: str) -> None:
        clock.travel_to(datetime.fromisoformat(moment))

    yield to
    clock.back_to_real_time()


@pytest.fixture(scope="session")
def test_databases() -> Iterator[TestDatabases]:
    """The per-process template database, migrated and seeded once."""
    workdir = Path(tempfile.mkdtemp(prefix="qingeban-tests-"))
    configured = os.environ.get("QE_TEST_DATABASE_URL", "")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if configured.startswith("postgresql"):
        base = make_url(configured)
        admin_url = base.set(database="postgres").render_as_string(hide_password=False)
        template = f"qe_test_{os.getpid()}_{worker}"
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
        asyncio.run(_admin(admin_url, f'CREATE DATABASE "{template}"'))
        asyncio.run(
            _build_template(base.set(database=template).render_as_string(hide_password=False))
        )
        databases = TestDatabases("postgresql", template, admin_url, workdir)
    else:
        template_path = workdir / "template.db"
        asyncio.run(_build_template(f"sqlite+aiosqlite:///{template_path}"))
        databases = TestDatabases("sqlite", str(template_path), "", workdir)
    yield databases
    if databases.dialect == "postgresql":
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def database_url(test_databases: TestDatabases) -> Iterator[str]:
    """A fresh copy of the template database for this test."""
    url = test_databases.new_url()
    yield url
    test_databases.drop(url)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Test settings: the test's database, no background worker unless a test starts one."""
    return make_settings(database_url)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    """The test's Database."""
    db = Database.from_url(settings.database_url)
    yield db
    await db.dispose()


async def _refuse_server_errors(response: httpx.Response) -> None:
    # No request in the suite may end in a 500: every failure has a problem+json answer, and
    # the only 5xx the service means is a problem+json 503 ("a department is down, retry").
    # (Tests of the 500 path itself and of 503 readiness build their own client.)
    if response.status_code >= 500:
        await response.aread()
        if designed_unavailable(response):
            return
        raise AssertionError(
            f"{response.request.method} {response.request.url} answered "
            f"{response.status_code}: {response.text[:500]}"
        )


@pytest.fixture
async def client(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the ASGI app, lifespan included; any 5xx answer fails the test."""
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            event_hooks={"response": [_refuse_server_errors]},
        ) as http,
    ):
        yield http


STAFF_PASSWORD = "Staff-Pass-2026!"


async def staff_token(
    database: Database,
    settings: Settings,
    *,
    login: str,
    role: StaffRole,
    department: str,
    scope: str,
) -> str:
    """An access token of a new staff member signed in to the first-party app.

    The member is inserted directly rather than through the (audited) admin service, so that
    tests counting audit records see only their own.
    """
    now = utcnow()
    async with database.session() as session:
        session.add(
            StaffMember(
                id=new_id(),
                login=login,
                name="测试人员",
                role=role.value,
                department_code=department,
                password_hash=await hash_password(STAFF_PASSWORD),
                created_at=now,
                updated_at=now,
            )
        )
        await session.flush()
        verified = await auth.verify_password_login(
            session, settings, login=login, password=STAFF_PASSWORD, client_address="tests"
        )
        tokens = await auth.issue_tokens(
            session, settings, client_id=auth.FIRST_PARTY_APP_ID, login=verified, scope=scope
        )
    return tokens.access_token


StaffHeaders = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
def staff_headers(database: Database, settings: Settings) -> StaffHeaders:
    """Make a staff member and return the Authorization header of their access token:
    `await staff_headers("gjj.clerk", StaffRole.CLERK, department="gjj", scope="openid")`."""

    async def make(
        login: str, role: StaffRole, *, department: str = "gjj", scope: str = "openid"
    ) -> dict[str, str]:
        token = await staff_token(
            database, settings, login=login, role=role, department=department, scope=scope
        )
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
async def admin_headers(database: Database, settings: Settings) -> dict[str, str]:
    """The Authorization header of a platform admin signed in to the first-party app with the
    `admin` scope: what every /api/v1/admin route requires."""
    token = await staff_token(
        database,
        settings,
        login="platform.admin",
        role=StaffRole.PLATFORM_ADMIN,
        department="xzsp",
        scope="openid admin",
    )
    return {"Authorization": f"Bearer {token}"}


# The simulated departments' world is dated 2026-11-23 (app.adapters.simulator.population):
# tests that use it run on the next morning, a Tuesday, whatever day the suite runs.
WORLD_DAY = "2026-11-24T09:00:00+08:00"


@pytest.fixture
def on_world_day(travel: Travel) -> None:
    """The platform's clock on the demo world's next working morning (WORLD_DAY)."""
    travel(WORLD_DAY)


@pytest.fixture
async def world(database: Database, settings: Settings, on_world_day: None) -> AsyncIterator[None]:
    """The demo world on its day (WORLD_DAY): the personas' accounts (L2) and licenses, and the
    demo staff. The data exchange is fresh before and after (registration, act-as and decisions
    ask the simulated departments; no breaker state or injected fault crosses tests)."""
    reset_exchange()
    await seed_demo_world(database, settings)
    yield
    reset_exchange()


@pytest.fixture
def sign_in(client: httpx.AsyncClient, world: None) -> SignIn:
    """`await sign_in("renter", face=True, enterprise=False)`: the persona's bearer header as
    the app gets it; `face` raises them to L3 by face verification, `enterprise` acts for the
    enterprise they represent."""

    async def make(key: str, *, face: bool = False, enterprise: bool = False) -> Headers:
        persona = PERSONAS[key]
        login = await client.post(
            "/api/v1/auth/login",
            json={"method": "password", "login": persona.login, "password": DEMO_PASSWORD},
        )
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        if face:
            verified = await client.post(
                "/api/v1/auth/face-verification", headers=headers,
                json={"selfie_token": "selfie-2026-11-24"},
            )  # fmt: skip
            assert verified.status_code == 200, verified.text
        if enterprise:
            acting = await client.post(
                "/api/v1/auth/act-as", headers=headers, json={"uscc": persona.enterprise_uscc}
            )
            assert acting.status_code == 200, acting.text
            headers = {"Authorization": f"Bearer {acting.json()['access_token']}"}
        return headers

    return make
