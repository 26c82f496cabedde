"""Checking a submitted form against its service's JSON Schema (draft 2020-12)."""

from __future__ import annotations

import functools
import json
from typing import Any

from jsonschema import (  # type: ignore[import-untyped]
    Draft202012Validator,
    FormatChecker,
    ValidationError,
)

from app.services.applications.errors import InvalidApplication

_MAX_ERRORS = 20


@functools.lru_cache(maxsize=512)
def _validator(schema_json: str) -> Draft202012Validator:
    # Keyed by the schema's text: services are few, schemas change only with a re-seed.
    return Draft202012Validator(json.loads(schema_json), format_checker=FormatChecker())


def check_form(schema: dict[str, Any], form: dict[str, Any]) -> None:
    """InvalidApplication (422) naming every field that does not fit the schema."""
    if not schema:
        return
    validator = _validator(json.dumps(schema, sort_keys=True, ensure_ascii=False))
    errors = sorted(validator.iter_errors(form), key=lambda error: list(error.path))
    if not errors:
        return
    params = list({_param(error)["name"]: _param(error) for error in errors[:_MAX_ERRORS]}.values())
    raise InvalidApplication(
        "申请表填写有误", "the form does not fit the service", extra={"invalid_params": params}
    )


def _param(error: ValidationError) -> dict[str, str]:
    # The keyword that failed, never the message: messages quote the value (an ID number).
    path = "body.form" + "".join(f".{part}" for part in error.path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        return {"name": f"{path}.{missing[0]}" if missing else path, "reason": "required"}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        # Name the field the form does not have (its name, never its value).
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = sorted(name for name in error.instance if name not in known)
        return {"name": f"{path}.{extra[0]}" if extra else path, "reason": "unexpected"}
    return {"name": path, "reason": str(error.validator)}
