"""The error hierarchy and the RFC 9457 problem+json rendering of every failure.

A domain raises a subclass of `AppError` with a stable dotted `code` and titles in both
languages; the handlers here turn it, FastAPI's validation errors, unknown routes and wrong
methods into `application/problem+json`. Unexpected exceptions are answered by the request
middleware (app/ops/middleware.py) with a 500 that carries only an incident id.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope, Send

from app.kit import pagination

PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    """A failure the caller can understand and act on."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "request.bad"
    title_zh: ClassVar[str] = "请求有误"
    title_en: ClassVar[str] = "Bad request"
    # Most failures undo the request's writes. A failure that is itself a fact to remember (a
    # wrong password counts towards a lockout, a rate-limited attempt still counts) sets this,
    # and the request's session commits what was written before it was raised.
    keeps_changes: ClassVar[bool] = False

    def __init__(
        self,
        detail_zh: str | None = None,
        detail_en: str | None = None,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail_zh = detail_zh
        self.detail_en = detail_en or detail_zh
        self.extra = extra or {}
        self.headers = headers or {}
        super().__init__(self.detail_en or self.title_en)


class NotFound(AppError):
    status = 404
    code = "resource.not_found"
    title_zh = "资源不存在"
    title_en = "Not found"


class Unauthorized(AppError):
    status = 401
    code = "auth.unauthenticated"
    title_zh = "未登录或凭证无效"
    title_en = "Authentication required"


class Forbidden(AppError):
    status = 403
    code = "auth.forbidden"
    title_zh = "无权执行此操作"
    title_en = "Forbidden"


class Conflict(AppError):
    status = 409
    code = "request.conflict"
    title_zh = "请求与当前状态冲突"
    title_en = "Conflict"


class InvalidInput(AppError):
    status = 422
    code = "request.invalid"
    title_zh = "请求参数不合法"
    title_en = "Invalid request"


class InvalidCursor(InvalidInput):
    code = "pagination.invalid_cursor"
    title_zh = "分页游标无效"
    title_en = "Invalid pagination cursor"


class MalformedBody(AppError):
    """A request body that cannot be read at all: not JSON where JSON is expected, not UTF-8,
    or a form or multipart body that does not parse. (A body that parses but does not fit the
    operation's schema is 422 `request.invalid`.)"""

    status = 400
    code = "request.malformed_body"
    title_zh = "请求体无法解析"
    title_en = "Malformed request body"


class RateLimited(AppError):
    """Too many requests; says when to try again (Retry-After) and nothing else.

    The hit that exceeded the limit still counts (`keeps_changes`), so that retrying at once
    never resets the window.
    """

    status = 429
    code = "request.rate_limited"
    title_zh = "请求过于频繁"
    title_en = "Too many requests"
    keeps_changes = True

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"请 {retry_after} 秒后再试",
            f"try again in {retry_after} s",
            extra={"retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


class ServiceUnavailable(AppError):
    status = 503
    code = "service.unavailable"
    title_zh = "服务暂不可用"
    title_en = "Service unavailable"


class InternalError(AppError):
    status = 500
    code = "internal.error"
    title_zh = "服务器内部错误"
    title_en = "Internal server error"


def prefers_english(accept_language: str | None) -> bool:
    """Whether the caller's most preferred language is English (zh-CN is the default)."""
    if not accept_language:
        return False
    best, best_q = "", -1.0
    for part in accept_language.split(","):
        lang, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if q > best_q:
            best, best_q = lang.strip().lower(), q
    return best.startswith("en")


def problem_body(
    request: Request | None,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The problem+json document shared by every error response."""
    body: dict[str, Any] = {
        "type": f"urn:qingeban:problem:{code}",
        "title": title,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    body.update(extra or {})
    return body


def problem_response(
    request: Request,
    error: AppError | type[AppError],
    *,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Render an AppError (instance or class) in the caller's language."""
    english = prefers_english(request.headers.get("accept-language"))
    detail: str | None = None
    if isinstance(error, AppError):
        detail = error.detail_en if english else error.detail_zh
        extra = {**error.extra, **(extra or {})}
        headers = {**error.headers, **(headers or {})}
    body = problem_body(
        request,
        status=error.status,
        code=error.code,
        title=error.title_en if english else error.title_zh,
        detail=detail,
        extra=extra,
    )
    return JSONResponse(body, status_code=error.status, media_type=PROBLEM_JSON, headers=headers)


async def send_problem(scope: Scope, send: Send, error: AppError) -> None:
    """Answer with `error` from plain ASGI middleware, where no route (and no Request) exists
    yet: the same document, language and headers as `problem_response`."""
    english = prefers_english(Headers(scope=scope).get("accept-language"))
    where: dict[str, Any] = {"instance": scope["path"]}
    request_id = scope.get("state", {}).get("request_id")
    if request_id:
        where["request_id"] = request_id
    body = problem_body(
        None,
        status=error.status,
        code=error.code,
        title=error.title_en if english else error.title_zh,
        detail=error.detail_en if english else error.detail_zh,
        extra={**where, **error.extra},
    )
    # Compact, as JSONResponse renders the other problems.
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(payload)).encode()),
        *((name.lower().encode("latin-1"), value.encode("latin-1"))
          for name, value in error.headers.items()),
    ]  # fmt: skip
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class _RouteNotFound(NotFound):
    code = "http.not_found"
    title_zh = "请求的地址不存在"
    title_en = "No such endpoint"


class _MethodNotAllowed(AppError):
    status = 405
    code = "http.method_not_allowed"
    title_zh = "不支持该请求方法"
    title_en = "Method not allowed"


def _invalid_params(error: RequestValidationError) -> list[dict[str, str]]:
    params = []
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ())]
        params.append({"name": ".".join(location), "reason": str(item.get("msg", "invalid"))})
    return params


async def _on_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(request, exc)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    # FastAPI reports a body that is not JSON as a validation error; it is the same failure as
    # a body that is not UTF-8 or a broken form (400 below), so it gets the same answer.
    if errors and all(item.get("type") == "json_invalid" for item in errors):
        reason = str(errors[0].get("ctx", {}).get("error", "not JSON"))
        return problem_response(
            request,
            MalformedBody(f"请求体不是合法的 JSON：{reason}", f"the body is not JSON: {reason}"),
        )
    return problem_response(request, InvalidInput, extra={"invalid_params": _invalid_params(exc)})


class DatabaseUnavailable(ServiceUnavailable):
    code = "service.database_unavailable"
    title_zh = "数据库连接中断，请稍后重试"
    title_en = "The database connection was lost; try again"


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    # Pooled connections are not pinged before use (a round trip on every request): after a
    # database restart each stale connection fails once. SQLAlchemy then drops the pool's
    # connections, and the caller is told to retry rather than shown a 500.
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        error = DatabaseUnavailable("数据库连接已重建，请重试", "reconnected; retry the request")
        error.headers["Retry-After"] = "1"
        return problem_response(request, error)
    raise exc


async def _on_kit_cursor(request: Request, exc: Exception) -> JSONResponse:
    # Services decode cursors with app.kit.pagination; a malformed one is the caller's mistake.
    return problem_response(request, InvalidCursor("分页游标无效", str(exc)))


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        return problem_response(request, _RouteNotFound, headers=headers)
    if exc.status_code == 405:
        return problem_response(request, _MethodNotAllowed, headers=headers)
    if exc.status_code == 400:
        # Raised by FastAPI and Starlette only when they cannot parse the body (bytes that are
        # not UTF-8 in a JSON body, a multipart body without its boundary, ...).
        detail_zh = "请求体无法解析：须为 UTF-8 编码的 JSON，或完整的表单、multipart 数据"
        detail_en = str(exc.detail) if exc.detail else "the body cannot be parsed"
        return problem_response(request, MalformedBody(detail_zh, detail_en), headers=headers)
    english = prefers_english(request.headers.get("accept-language"))
    body = problem_body(
        request,
        status=exc.status_code,
        code=f"http.{exc.status_code}",
        title="Request failed" if english else "请求失败",
        detail=str(exc.detail) if exc.detail else None,
    )
    return JSONResponse(body, status_code=exc.status_code, media_type=PROBLEM_JSON, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every expected failure with problem+json."""
    app.add_exception_handler(AppError, _on_app_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(pagination.InvalidCursor, _on_kit_cursor)


def error_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the errors a route can answer with."""
    responses: dict[int | str, dict[str, Any]] = {}
    listed: tuple[type[AppError], ...] = (*errors, InvalidInput)
    for error in listed:
        _document(responses, error.status, error.title_en)
    return responses


def error_catalogue() -> list[dict[str, Any]]:
    """Every problem `code` the API can answer, with its status and titles (one entry per code
    and status), from the error classes themselves so that the list cannot fall behind."""
    seen: dict[tuple[str, int], dict[str, Any]] = {}
    pending: list[type[AppError]] = [AppError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        seen.setdefault(
            (cls.code, cls.status),
            {"code": cls.code, "status": cls.status, "title_zh": cls.title_zh,
             "title_en": cls.title_en},
        )  # fmt: skip
    return [seen[key] for key in sorted(seen)]


def document_problem(operation: dict[str, Any], status: int, title: str) -> None:
    """Add a problem answer to an operation of a generated OpenAPI document, beside what its
    route declared: for the failures that every route of a kind can answer (a body that does
    not parse, a lost database connection), documented once rather than on every route."""
    _document(operation.setdefault("responses", {}), str(status), title)


def _document(responses: dict[Any, dict[str, Any]], status: int | str, title: str) -> None:
    entry = responses.setdefault(status, {"description": title})
    # Beside what the status already documents (an OAuth error, a page): this one is a problem.
    entry.setdefault("content", {}).setdefault(PROBLEM_JSON, {"schema": _PROBLEM_SCHEMA})
    if title not in entry["description"]:
        entry["description"] += f"; {title}"


_PROBLEM_SCHEMA: dict[str, Any] = {"$ref": "#/components/schemas/Problem"}
