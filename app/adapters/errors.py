"""Errors of the data exchange that reach the caller: reads refused for want of a purpose."""

from __future__ import annotations

from app.errors import AppError, Forbidden


class PurposeRequired(AppError):
    """A read of a person's or enterprise's data named no purpose."""

    status = 400
    code = "exchange.purpose_required"
    title_zh = "调取数据须说明用途"
    title_en = "A purpose is required to read department data"


class PurposeNotAllowed(Forbidden):
    """The stated purpose may not read this department's dataset."""

    code = "exchange.purpose_not_allowed"
    title_zh = "该用途无权调取此数据"
    title_en = "This purpose may not read this dataset"
