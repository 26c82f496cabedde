"""Failures of the service catalog."""

from __future__ import annotations

from app.errors import InvalidInput, NotFound


class ServiceNotFound(NotFound):
    code = "catalog.service_not_found"
    title_zh = "服务事项不存在"
    title_en = "Service not found"


class BundleNotFound(NotFound):
    code = "catalog.bundle_not_found"
    title_zh = "联办事项不存在"
    title_en = "Bundle not found"


class UnknownDepartment(InvalidInput):
    code = "catalog.unknown_department"
    title_zh = "部门不存在"
    title_en = "Unknown department"


class UnknownDistrict(InvalidInput):
    code = "catalog.unknown_district"
    title_zh = "区（市）不存在"
    title_en = "Unknown district"
