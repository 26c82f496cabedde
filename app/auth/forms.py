"""The OAuth machine endpoints' forms, read without FastAPI's per-field form machinery.

OAuth sends `application/x-www-form-urlencoded` bodies (RFC 6749 §4.4.2, RFC 7662 §2.1). On
the token and introspection endpoints, the machines' hot path, FastAPI's reading of each
`Form()` field (a form parser, then a validator per field) was an eighth of the CPU of a
request. These endpoints read their form here instead, as `Form()` would have, and document
the same body through `documented` (app.openapi adds the schemas to the document).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import HTTPException, Request
from pydantic import BaseModel

_URLENCODED = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


async def read(request: Request) -> dict[str, str]:
    """The form's fields as FastAPI's `Form()` reads them: a repeated field's last value, an
    empty field absent; a multipart body through Starlette's parser (its files ignored); any
    other body has no fields."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type == _URLENCODED:
        # Starlette decodes the body as latin-1 before it unquotes each part as UTF-8.
        fields = dict(parse_qsl((await request.body()).decode("latin-1"), keep_blank_values=True))
    elif media_type == _MULTIPART:
        try:
            form = await request.form()
        except Exception as exc:
            raise HTTPException(400, "There was an error parsing the body") from exc
        fields = {name: value for name, value in form.multi_items() if isinstance(value, str)}
    else:
        return {}
    return {name: value for name, value in fields.items() if value}


def documented(model: type[BaseModel]) -> dict[str, Any]:
    """The `openapi_extra` of a route whose form is `model` (its title names the schema)."""
    reference = {"$ref": f"#/components/schemas/{model.model_config['title']}"}
    return {"requestBody": {"content": {_URLENCODED: {"schema": reference}}}}
