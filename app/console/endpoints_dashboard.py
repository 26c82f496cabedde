"""The city-brain screen: the statistics overview (the same service as GET
/api/v1/stats/overview, so the figures are the same) and the exchange's health, as large
figures and server-drawn SVG charts, refreshing itself every 30 seconds with htmx.

For platform admins and auditors signed in to the console, and for a wall screen's client
holding `stats.read` (its bearer token in the Authorization header).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from app.adapters.service import get_exchange
from app.auth import console_client
from app.console import charts, rendering
from app.console import dependencies as deps
from app.dependencies import SettingsDep, WriteSessionDep
from app.stats import service as stats

router = APIRouter(prefix="/console/dashboard", include_in_schema=False)
REFRESH_SECONDS = 30


async def screen_viewer(
    request: Request, session: WriteSessionDep, settings: SettingsDep
) -> tuple[str, deps.ConsoleUser | None]:
    """The page's locale and console user (None for a `stats.read` bearer token)."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        principal = await console_client.bearer_principal(session, settings, authorization[7:])
        if principal is not None and principal.has_scopes(deps.STATS_READ):
            return deps.locale(request), None
        raise deps.no_console(deps.locale(request))
    user = await deps.console_user(request, session, settings)
    return user.locale, deps.require(user, *deps.SCREEN_READERS)


Viewer = Annotated[tuple[str, deps.ConsoleUser | None], Depends(screen_viewer)]


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


async def _figures(session: Any) -> dict[str, Any]:
    overview = await stats.overview(session)
    exchange = get_exchange().status()
    automation = charts.bars(
        [(s.service_code, s.rate, _percent(s.rate)) for s in overview.automation.by_service],
        maximum=1.0,
    )
    backlog = charts.bars(
        [(d.department_code, float(d.total), str(d.total)) for d in overview.pending_by_department]
    )
    latency = charts.bars(
        [(d.department, d.p50_ms or 0.0, "—" if d.p50_ms is None else f"{d.p50_ms:.0f} ms")
         for d in exchange.departments]
    )  # fmt: skip
    return {
        "overview": overview, "exchange": exchange, "automation_chart": automation,
        "backlog_chart": backlog, "latency_chart": latency, "percent": _percent,
        "seconds": _seconds, "refresh": REFRESH_SECONDS,
    }  # fmt: skip


@router.get("")
async def dashboard(viewer: Viewer, session: WriteSessionDep) -> Response:
    """The whole screen."""
    page_locale, user = viewer
    context = {"user": user, **await _figures(session)}
    return rendering.render("dashboard.html", context, locale=page_locale)


@router.get("/figures")
async def figures(viewer: Viewer, session: WriteSessionDep) -> Response:
    """The figures alone: what the screen's htmx polling swaps in."""
    page_locale, user = viewer
    context = {"user": user, **await _figures(session)}
    return rendering.render("dashboard_figures.html", context, locale=page_locale)
