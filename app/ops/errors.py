"""Refusals at the edge: requests too large, or holding what no field may hold."""

from __future__ import annotations

from app.errors import AppError, InvalidInput

# What invalid_params gives as the reason for a NUL: short and stable, for clients to match.
NUL_REASON = "nul"


class BodyTooLarge(AppError):
    status = 413
    code = "request.too_large"
    title_zh = "请求内容过大"
    title_en = "Request body too large"


class UriTooLong(AppError):
    status = 414
    code = "request.uri_too_long"
    title_zh = "请求地址过长"
    title_en = "Request URI too long"


class HeadersTooLarge(AppError):
    status = 431
    code = "request.headers_too_large"
    title_zh = "请求头过大"
    title_en = "Request header fields too large"


def body_too_large(max_bytes: int) -> BodyTooLarge:
    """413 for a body over `max_bytes`; the connection is closed, so that what is left of the
    body is not read for nothing."""
    return BodyTooLarge(
        f"请求内容不能超过 {max_bytes} 字节", f"the request body may be at most {max_bytes} bytes",
        extra={"max_bytes": max_bytes}, headers={"Connection": "close"},
    )  # fmt: skip


def uri_too_long(max_bytes: int) -> UriTooLong:
    """414 for a path and query longer than `max_bytes`."""
    return UriTooLong(
        f"请求地址不能超过 {max_bytes} 字节", f"the request URI may be at most {max_bytes} bytes",
        extra={"max_bytes": max_bytes},
    )  # fmt: skip


def headers_too_large(max_bytes: int) -> HeadersTooLarge:
    """431 for header fields over `max_bytes` together."""
    return HeadersTooLarge(
        f"请求头合计不能超过 {max_bytes} 字节",
        f"the request's header fields may be at most {max_bytes} bytes together",
        extra={"max_bytes": max_bytes}, headers={"Connection": "close"},
    )  # fmt: skip


def nul_found(names: list[str]) -> InvalidInput:
    """422 `request.invalid` naming each place a NUL character was found."""
    return InvalidInput(
        "请求参数不能包含空字符（U+0000）",
        "no parameter may contain a NUL character (U+0000)",
        extra={"invalid_params": [{"name": name, "reason": NUL_REASON} for name in names]},
    )
