"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from app import migrate
from app.dependencies import DatabaseDep
from app.errors import ServiceUnavailable, error_responses
from app.jobs import service as jobs
from app.notifications import service as notifications
from app.ops.metrics import JOBS_BY_STATE, REGISTRY, WEBHOOK_PENDING

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    revision: str | None
    head: str | None


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
    summary="Readiness: the database is reachable and migrated",
    responses=error_responses(NotReady),
)
async def readyz(database: DatabaseDep) -> Readiness:
    """200 when the database answers and is at the newest migration; 503 otherwise."""
    head = migrate.head_revision()
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        revision = await migrate.current_revision(database.engine)
    except Exception as exc:  # any driver error means "not ready", never a 500
        raise NotReady("数据库不可达", "database unreachable") from exc
    if revision != head:
        raise NotReady(
            f"数据库版本 {revision} 落后于 {head}",
            f"database at revision {revision}, expected {head}",
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
    attempts by outcome, and the webhook deliveries waiting (the queue depth)."""
    async with database.session(write=False) as session:
        counts = await jobs.count_by_state(session)
        pending = await notifications.pending_deliveries(session)
    for state, count in counts.items():
        JOBS_BY_STATE.labels(state).set(count)
    WEBHOOK_PENDING.set(pending)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
