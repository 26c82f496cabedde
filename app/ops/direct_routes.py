"""A few hot routes answered without FastAPI's router.

FastAPI matches a request against every route before its own, wraps it in its exception and
exit-stack layers and solves the endpoint's dependencies before the endpoint runs: on the token
endpoint, the machines' hot path, that was a sixth of a request's CPU (`bench/tokens.py
--profile`). An endpoint that takes only the request (it reads its form and opens its session
itself) can be called directly. This middleware sits innermost of the app's own, so the edge's
checks, the request id, the access log and the default headers are done for it as for any other
route; it answers the endpoint's errors with the app's exception handlers, as Starlette's
ExceptionMiddleware would. The routes stay in the router, for the OpenAPI document and for
every other method on their paths.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]


class DirectRoutesMiddleware:
    """Call `endpoints[path]` for a POST to `path`; pass everything else on."""

    def __init__(
        self, app: ASGIApp, *, endpoints: Mapping[str, Endpoint], routes: list[BaseRoute]
    ) -> None:
        self.app = app
        self.endpoints = dict(endpoints)
        # The router's own route objects, so the access log and the metrics name the route
        # by its template as they do for routed requests.
        self.routes = {
            path: next(r for r in routes if getattr(r, "path", None) == path)
            for path in self.endpoints
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = (
            self.endpoints.get(scope["path"])
            if scope["type"] == "http" and scope["method"] == "POST"
            else None
        )
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = self.routes[scope["path"]]
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except Exception as exc:
            handler = _handler_for(scope["app"].exception_handlers, exc)
            if handler is None:
                raise  # the request context's crash containment answers it, as for any route
            if inspect.iscoroutinefunction(handler):
                response = await handler(request, exc)
            else:
                response = await run_in_threadpool(handler, request, exc)
        await response(scope, receive, send)


def _handler_for(handlers: Mapping[Any, Callable[..., Any]], exc: Exception) -> Any:
    """The handler Starlette's ExceptionMiddleware would choose: by status for an HTTP
    exception, else by the closest class; never the catch-all (500, Exception), which belongs
    to the outermost layer."""
    if isinstance(exc, HTTPException) and exc.status_code != 500 and exc.status_code in handlers:
        return handlers[exc.status_code]
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            return handlers[cls]
    return None
