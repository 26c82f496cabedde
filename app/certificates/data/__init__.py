"""Seed data of the e-license wallet: the license types and their fields."""

from __future__ import annotations

from app.certificates.data.license_types import LICENSE_TYPES, LICENSE_TYPES_BY_CODE

__all__ = ["LICENSE_TYPES", "LICENSE_TYPES_BY_CODE"]
