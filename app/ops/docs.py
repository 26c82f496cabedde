"""The API's documentation pages (Swagger UI and ReDoc), served with their assets.

FastAPI's defaults load the pages' scripts from a CDN, so an intranet deployment or an offline
laptop shows a blank page; the assets ship in the `fastapi-offline` package and are served from
here instead, and ReDoc is told not to fetch Google's fonts.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

ASSETS = "/docs/assets"
_ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))
_OPENAPI_URL = "/openapi.json"
_OAUTH2_REDIRECT = "/docs/oauth2-redirect"
_TITLE = "Qing e-ban API"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    """Swagger UI on the served OpenAPI document."""
    return get_swagger_ui_html(
        openapi_url=_OPENAPI_URL,
        title=f"{_TITLE} — Swagger UI",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
        oauth2_redirect_url=_OAUTH2_REDIRECT,
        init_oauth={"usePkceWithAuthorizationCodeGrant": True},
    )


@router.get(_OAUTH2_REDIRECT)
async def swagger_ui_redirect() -> HTMLResponse:
    """Where Swagger UI's "Authorize" returns from the login page."""
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    """ReDoc on the served OpenAPI document."""
    return get_redoc_html(
        openapi_url=_OPENAPI_URL,
        title=f"{_TITLE} — ReDoc",
        redoc_js_url=f"{ASSETS}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS}/favicon.png",
        with_google_fonts=False,
    )


class _CachedAssets(StaticFiles):
    """The assets change only with the installed package: a day in any cache is fine."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"cache-control", b"public, max-age=86400"))
                message["headers"] = headers
            await send(message)

        await super().__call__(scope, receive, send_cached)


def install(app: FastAPI) -> None:
    """Serve the documentation pages and their assets (call with docs_url=redoc_url=None)."""
    app.include_router(router)
    app.mount(ASSETS, _CachedAssets(directory=_ASSETS_DIR), name="docs-assets")
