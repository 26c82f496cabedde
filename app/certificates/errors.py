"""Failures of the e-license domain."""

from __future__ import annotations

from app.errors import NotFound


class LicenseTypeNotFound(NotFound):
    code = "certificates.license_type_not_found"
    title_zh = "证照类型不存在"
    title_en = "License type not found"
