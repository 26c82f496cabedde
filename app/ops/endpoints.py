"""Operations endpoints: liveness, readiness, Prometheus metrics and the error catalogue."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from sqlalchemy import text

from app import migrate
from app.config import API_V1
from app.dependencies import DatabaseDep
from app.errors import ServiceUnavailable, error_catalogue, error_responses
from app.jobs import service as jobs
from app.notifications import service as notifications
from app.ops.errors import HeadersTooLarge, UriTooLong
from app.ops.metrics import JOBS_BY_STATE, WEBHOOK_PENDING, exposition

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    revision: str | None
    head: str | None


class ErrorCode(BaseModel):
    """A problem `code` the API answers, with the status it comes with and its titles."""

    code: str
    status: int
    title_zh: str
    title_en: str


class NotReady(ServiceUnavailable):
    code = "ops.not_ready"
    title_zh = "服务尚未就绪"
    title_en = "Not ready"


@router.get("/healthz", response_model=Health, summary="Liveness: the process is up")
async def healthz() -> Health:
    """Answers 200 as long as the process can serve requests; touches nothing else."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness: the database is reachable, migrated and seeded",
    responses=error_responses(NotReady),
)
async def readyz(database: DatabaseDep) -> Readiness:
    """200 when the database answers, is at the newest migration and holds the reference data
    (the catalog, license types and rulesets `qingeban migrate` seeds); 503 otherwise, so that
    a load balancer sends nothing to a replica that would answer with an empty catalog."""
    head = migrate.head_revision()
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        revision = await migrate.current_revision(database.engine)
        seeded = revision == head and await migrate.reference_data_seeded(database.engine)
    except Exception as exc:  # any driver error means "not ready", never a 500
        raise NotReady("数据库不可达", "database unreachable") from exc
    if revision != head:
        raise NotReady(
            f"数据库版本 {revision} 落后于 {head}",
            f"database at revision {revision}, expected {head}",
        )
    if not seeded:
        raise NotReady(
            "参考数据（事项目录、证照类型、规则）尚未导入，请运行 qingeban migrate",
            "the catalog, license types and rulesets are not seeded: run qingeban migrate",
        )
    return Readiness(status="ok", database=database.dialect, revision=revision, head=head)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
async def metrics(database: DatabaseDep) -> Response:
    """Request counts and latency by route template, jobs by state, texts and webhook
    attempts by outcome, and the webhook deliveries waiting (the queue depth); under `serve
    --workers N`, of all N processes."""
    async with database.session(write=False) as session:
        counts = await jobs.count_by_state(session)
        pending = await notifications.pending_deliveries(session)
    for state, count in counts.items():
        JOBS_BY_STATE.labels(state).set(count)
    WEBHOOK_PENDING.set(pending)
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


@router.get(
    f"{API_V1}/errors",
    response_model=list[ErrorCode],
    summary="The error catalogue: every problem code, its status and meaning",
    # What the edge answers before any route: a request target or header fields too long.
    responses=error_responses(UriTooLong, HeadersTooLarge),
)
async def errors(response: Response) -> list[dict[str, object]]:
    """Every `code` an `application/problem+json` answer of this API can carry, with its HTTP
    status and its titles in both languages (one entry per code and status). Clients branch on
    `code`, never on the title."""
    response.headers["Cache-Control"] = "public, max-age=3600"
    return error_catalogue()
