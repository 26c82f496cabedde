"""Failures of the uploads domain."""

from __future__ import annotations

from app.errors import AppError, InvalidInput, NotFound, RateLimited


class UploadNotFound(NotFound):
    code = "uploads.not_found"
    title_zh = "文件不存在"
    title_en = "Upload not found"


class UploadTooLarge(AppError):
    status = 413
    code = "uploads.too_large"
    title_zh = "文件过大"
    title_en = "The file is too large"


class UnsupportedUploadType(AppError):
    status = 415
    code = "uploads.unsupported_type"
    title_zh = "文件类型不受支持"
    title_en = "Unsupported file type"


class InvalidUpload(InvalidInput):
    code = "uploads.invalid"
    title_zh = "上传内容不符合要求"
    title_en = "The upload is invalid"


class TooManyUploads(RateLimited):
    code = "uploads.rate_limited"
    title_zh = "上传过于频繁，请稍后再试"
    title_en = "Too many uploads; try again later"


UPLOAD_ERRORS: tuple[type[AppError], ...] = (
    UploadTooLarge,
    UnsupportedUploadType,
    InvalidUpload,
    TooManyUploads,
)
