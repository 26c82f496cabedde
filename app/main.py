"""The application factory: routers, middleware, error handlers and the lifespan."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError

from app import (
    migrate,
    tasks,  # noqa: F401  (registers every job handler with the registry)
)
from app.adapters.client import close_shared_client
from app.adapters.endpoints import router as exchange_router
from app.audit.endpoints import auditors_router as audit_checkpoints_router
from app.audit.endpoints import router as audit_router
from app.audit.sealer import audit_sealer
from app.auth import service as auth
from app.auth.endpoints_admin import router as identity_admin_router
from app.auth.endpoints_app import router as first_party_router
from app.auth.endpoints_login import router as login_router
from app.auth.endpoints_logout import router as logout_router
from app.auth.endpoints_oidc import direct_endpoints as oidc_direct_endpoints
from app.auth.endpoints_oidc import router as oidc_router
from app.auth.ratelimit_batched import batched_limiter
from app.certificates import service as certificates
from app.certificates.endpoints import router as certificates_router
from app.certificates.endpoints_licenses import public_router as credentials_router
from app.certificates.endpoints_licenses import router as licenses_router
from app.certificates.endpoints_sharing import public_router as verification_router
from app.certificates.endpoints_sharing import router as shares_router
from app.codes.endpoints import router as codes_router
from app.config import API_V1, Settings, get_settings
from app.console import endpoints as console
from app.db import Database
from app.errors import (
    install_error_handlers,
)
from app.idempotency.middleware import IdempotencyMiddleware
from app.jobs.endpoints import router as jobs_router
from app.jobs.worker import Worker
from app.kit.clock import to_shanghai, utcnow
from app.notifications import templates as message_templates
from app.notifications.endpoints import router as notifications_router
from app.notifications.endpoints_webhooks import admin_router as webhooks_admin_router
from app.notifications.endpoints_webhooks import router as webhooks_router
from app.openapi import install_openapi
from app.ops import docs
from app.ops.direct_routes import DirectRoutesMiddleware
from app.ops.edge import EdgeMiddleware
from app.ops.endpoints import router as ops_router
from app.ops.headers import SecurityHeadersMiddleware
from app.ops.logging import configure_logging
from app.ops.middleware import RequestContextMiddleware
from app.ops.proxies import TrustedProxiesMiddleware
from app.proactive.campaigns.endpoints import router as campaigns_router
from app.proactive.campaigns.endpoints_review import router as campaigns_review_router
from app.proactive.offers.endpoints import callbacks_router as courier_callbacks_router
from app.proactive.offers.endpoints import router as offers_router
from app.reference import license_types
from app.services.applications import field_sources, material_sources
from app.services.applications.endpoints import router as applications_router
from app.services.applications.endpoints_prefill import router as prefill_router
from app.services.bundles.endpoints import review_router as bundle_review_router
from app.services.bundles.endpoints import router as bundles_router
from app.services.catalog.endpoints import router as catalog_router
from app.services.review.endpoints import router as review_router
from app.services.rulesets.endpoints import router as rulesets_router
from app.stats.endpoints import router as stats_router
from app.uploads.endpoints import router as uploads_router

logger = logging.getLogger("qingeban")

DESCRIPTION = """
Qing e-ban (青e办) — one-stop government e-services: real-name identity, the service catalog,
applications approved in seconds (秒批) from shared department data, electronic licenses, and
the city code (一码通城): a person's short-lived, single-use signed code that a partner or clerk
verifies for a stated purpose, seeing only what that purpose allows.

Errors are RFC 9457 `application/problem+json` with a stable dotted `code`; titles are zh-CN by
default and English with `Accept-Language: en`; every code, its status and meaning are listed
at `GET /api/v1/errors` (the error catalogue). Lists are cursor-paginated
(`?cursor=&limit=` → `{items, next_cursor}`).

Every request is checked before anything else runs: the request target, and the header fields
together, each at most `QE_MAX_HEADER_BYTES` (16 KiB by default; 414 `request.uri_too_long`, 431
`request.headers_too_large`); a body at most `QE_MAX_BODY_BYTES` (1 MiB; 413
`request.too_large`), uploads excepted (`QE_UPLOAD_MAX_BYTES`); and no NUL character (U+0000)
in the path, query, header fields, cookies or body (422 `request.invalid`, each place named in
`invalid_params` with the reason `nul`).
"""


def _operation_id(route: APIRoute) -> str:
    """Stable, readable operation ids for generated clients: `<tag>-<function name>`."""
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


async def _bootstrap_identity(database: Database, settings: Settings) -> None:
    """Create the signing keys (identity's and the credentials') and the first-party client on
    the first start of a migrated database. An unmigrated or unreachable database is left
    alone: /readyz reports it."""
    try:
        if await migrate.current_revision(database.engine) != migrate.head_revision():
            return
        await auth.bootstrap(database, settings)
        await certificates.bootstrap(database, settings)
    except (OSError, SQLAlchemyError):
        logger.warning("identity bootstrap skipped: database unavailable", exc_info=True)


def _read_data_files() -> None:
    """Read the data files requests consult before the first request, not in it: a worker's
    first 秒批 read four of them (57 ms of CPU; about 400 ms with the pure-Python loader) out of
    its one second."""
    license_types.license_types()
    field_sources.sources_table()
    material_sources.sources()
    message_templates.templates()


def _warn_about_provisional_years(settings: Settings) -> None:
    """Say at start-up when this year or the next has no official holiday calendar: deadlines
    reaching into it count only the statutory holidays with fixed dates."""
    this_year = to_shanghai(utcnow()).year
    years = settings.working_calendar().provisional_years_between(
        date(this_year, 1, 1), date(this_year + 1, 12, 31)
    )
    if years:
        named = ", ".join(str(year) for year in years)
        logger.warning(
            f"no official holiday calendar for {named}: working-day deadlines count only "
            "元旦, 劳动节 and 国庆节 there; enter the State Council's arrangement with "
            "QE_HOLIDAYS and QE_MAKEUP_WORKDAYS, then list the year in QE_OFFICIAL_CALENDAR_YEARS",
            extra={"provisional_years": list(years), "setting": "QE_OFFICIAL_CALENDAR_YEARS"},
        )


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    """Build the ASGI app; the lifespan opens the database and starts the in-process worker."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_database = database is None
        db = database or Database.from_url(
            settings.database_url,
            pool_size=settings.database_pool_size,
            audit_sealing=settings.audit_sealing_mode,
        )
        app.state.database = db
        app.state.batched_limiter = batched_limiter(db, settings)
        _warn_about_provisional_years(settings)
        _read_data_files()
        await _bootstrap_identity(db, settings)
        worker = Worker(db, settings) if settings.inprocess_worker else None
        if worker is not None:
            worker.start()
        sealer = audit_sealer(db, settings)
        try:
            yield
        finally:
            if sealer is not None:
                await sealer.stop()
            if worker is not None:
                await worker.stop()
            await close_shared_client()
            await app.state.batched_limiter.close()
            if own_database:
                await db.dispose()

    app = FastAPI(
        title="Qing e-ban API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        docs_url=None,  # app/ops/docs.py serves both pages with local assets
        redoc_url=None,
        # The platform's metrics and logs are its own (app.ops.metrics, app.ops.logging); no
        # OpenTelemetry provider is configured, and FastAPI would look for one on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    install_error_handlers(app)
    # Innermost first. Idempotency keys go to the routes' callers; the edge refuses what is
    # too large or holds a NUL before that, so no key, token check or route ever works for it;
    # CORS and the default headers dress every answer, the edge's refusals too; the request
    # context (request id, access log, crash containment) is around that, and the client's
    # address is settled before anything reads it. The machines' token and introspection
    # requests skip the router inside all of that.
    app.add_middleware(
        DirectRoutesMiddleware, endpoints=oidc_direct_endpoints, routes=oidc_router.routes
    )
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(
        EdgeMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_header_bytes=settings.max_header_bytes,
        # Uploads read their own body as it streams, under QE_UPLOAD_MAX_BYTES.
        streaming_paths=frozenset({f"{API_V1}/uploads"}),
        path_templates=lambda: app.openapi()["paths"],
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept-Language", "Idempotency-Key",
                           "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After", "Location"],
            max_age=600,
        )  # fmt: skip
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware)
    if settings.trusted_proxies:
        app.add_middleware(TrustedProxiesMiddleware, trusted=settings.trusted_proxies)
    # License verification first: the busiest public route, matched against every route
    # before it (a seventh of its CPU when it came thirtieth). Nothing before it shares its
    # path, so it answers nothing it did not answer before.
    app.include_router(verification_router)
    # Then the machines' token and introspection endpoints, for the same reason; none before
    # them shares their paths.
    app.include_router(oidc_router)
    # Then the citizens' busiest: the app's own account (`/api/v1/me`, on every screen) and
    # their applications (a 秒批 submission, its status). FastAPI matches a request against
    # each route before its own at several microseconds a route: behind some 70 routes (the
    # docs and the console's among them), `/api/v1/me` spent a sixth of its CPU on matching.
    # The staff's pages and the docs now come last. tests/ops/test_ops_route_order.py holds
    # that no route answers what a route declared after it would.
    app.include_router(first_party_router)
    app.include_router(applications_router)
    app.include_router(ops_router)
    app.include_router(login_router)
    app.include_router(logout_router)
    app.include_router(bundles_router)
    app.include_router(bundle_review_router)
    app.include_router(catalog_router)
    app.include_router(prefill_router)
    app.include_router(uploads_router)
    app.include_router(notifications_router)
    app.include_router(offers_router)
    app.include_router(courier_callbacks_router)
    app.include_router(webhooks_router)
    app.include_router(webhooks_admin_router)
    app.include_router(review_router)
    app.include_router(stats_router)
    app.include_router(rulesets_router)
    app.include_router(certificates_router)
    app.include_router(credentials_router)
    app.include_router(licenses_router)
    app.include_router(shares_router)
    app.include_router(codes_router)
    app.include_router(jobs_router)
    app.include_router(audit_router)
    app.include_router(audit_checkpoints_router)
    app.include_router(exchange_router)
    app.include_router(identity_admin_router)
    app.include_router(campaigns_router)
    app.include_router(campaigns_review_router)
    docs.install(app)
    console.install(app)
    install_openapi(app)
    return app


def app_from_environment() -> FastAPI:
    """The app of a `qingeban serve` process, from the QE_* environment (a factory, so that
    each of several worker processes builds its own)."""
    app = create_app(get_settings())
    # Everything imported and built so far lives as long as the process: keep it out of the
    # garbage collector's full passes, which otherwise pause every request in flight for tens
    # of milliseconds (bench/fanout.py's p99).
    gc.freeze()
    return app
