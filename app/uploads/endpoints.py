"""HTTP endpoints of uploads: send a file (multipart), read one's own back.

The body is read here as a stream and handed to the service, which cuts it off at the limit;
FastAPI's `UploadFile` would have taken in the whole body first. Downloads are attachments the
browser must not sniff or cache: the bytes are the applicant's documents.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request, Response, status

from app.audit.dependencies import AuditContextDep
from app.auth.dependencies import CITIZEN_AUTH_ERRORS, CitizenApiPrincipal
from app.config import API_V1
from app.dependencies import SessionDep, SettingsDep
from app.errors import error_responses
from app.uploads import service as uploads
from app.uploads.errors import UPLOAD_ERRORS, UploadNotFound
from app.uploads.reading import FIELD
from app.uploads.schemas import UploadContent, UploadRead
from app.uploads.sniff import EXTENSIONS

router = APIRouter(prefix=API_V1, tags=["uploads"], responses=error_responses(*CITIZEN_AUTH_ERRORS))
UploadId = Annotated[str, Path(max_length=64, description="The upload's id")]

_MULTIPART_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FIELD],
                    "properties": {
                        FIELD: {
                            "type": "string",
                            "format": "binary",
                            "description": "The file: PDF, JPEG or PNG, at most "
                            "QE_UPLOAD_MAX_BYTES (10 MiB by default)",
                        }
                    },
                }
            }
        },
    }
}

DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file's bytes, as an attachment",
        "content": {media_type: {"schema": {"type": "string", "format": "binary"}}
                    for media_type in sorted(EXTENSIONS)},
    }
}  # fmt: skip


def download_response(content: UploadContent) -> Response:
    """The bytes as a download: the stored type, never sniffed, never cached."""
    # RFC 6266 / 8187: the name percent-encoded as UTF-8, for names in Chinese.
    disposition = f"attachment; filename*=UTF-8''{quote(content.file_name, safe='')}"
    return Response(
        content=content.data,
        media_type=content.content_type,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.post(
    "/uploads",
    response_model=UploadRead,
    status_code=status.HTTP_201_CREATED,
    summary="Upload a material",
    responses=error_responses(*UPLOAD_ERRORS),
    openapi_extra=_MULTIPART_BODY,
)
async def create_upload(
    request: Request,
    principal: CitizenApiPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
) -> UploadRead:
    """Upload a file (`multipart/form-data`, field `file`) for a material no e-license stands
    in for, then name its `id` as the material's `upload_id` when applying. Only PDF, JPEG and
    PNG are accepted, as found from the bytes (415 otherwise; the declared type and name are
    not trusted); at most QE_UPLOAD_MAX_BYTES (413). An upload not attached to an application
    within 24 hours is deleted."""
    return await uploads.upload(
        session, settings, principal,
        content_type=request.headers.get("content-type"),
        content_length=request.headers.get("content-length"),
        chunks=request.stream(), audit_context=audit,
    )  # fmt: skip


@router.get(
    "/uploads/{upload_id}",
    response_class=Response,
    status_code=200,
    summary="Download my upload",
    responses={**DOWNLOAD_RESPONSES, **error_responses(UploadNotFound)},
)
async def download_upload(
    upload_id: UploadId, principal: CitizenApiPrincipal, session: SessionDep
) -> Response:
    """The bytes of one of the caller's uploads (as an attachment); 404 for anyone else's."""
    return download_response(await uploads.owners_content(session, principal, upload_id))
