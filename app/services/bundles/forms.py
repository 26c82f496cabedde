"""The merged form of a bundle: checking what the initiator sent against what prefill knows,
each step's form against its service's schema, and what a confirming party fills in.

The server checks what the app shows (DESIGN §2, principle 3): a locked field must carry its
verified value, a field filled when a party confirms cannot be sent by another, and every
step's form, as the bundle maps it, must fit its service. Errors name fields, never values.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.schemas import VerifiedPerson
from app.kit.resident_id import InvalidResidentId, parse_resident_id
from app.services.bundles.definitions import AtRun, Bundle, Constant
from app.services.bundles.errors import InvalidBundleForm
from app.services.bundles.schemas import BundlePrefillRead
from app.services.catalog import service as catalog

_IDENTITY = {"name": "name", "id_number": "id_number", "phone": "phone"}


def _param(name: str, reason: str) -> dict[str, str]:
    return {"name": f"body.form.{name}", "reason": reason}


def _refuse(params: list[dict[str, str]]) -> None:
    if params:
        raise InvalidBundleForm(
            "联办申请表填写有误", "the merged form is invalid", extra={"invalid_params": params}
        )


def _same(given: Any, verified: Any) -> bool:
    if isinstance(given, str) and isinstance(verified, str):
        return given.strip().upper() == verified.strip().upper()
    return bool(given == verified)


def merged(
    bundle: Bundle, filled: BundlePrefillRead, given: dict[str, Any], person: VerifiedPerson
) -> dict[str, Any]:
    """The merged form to keep: locked fields as verified, the rest as sent or prefilled."""
    known = {f.name: f for f in filled.fields}
    params = [_param(name, "unexpected") for name in given if name not in known]
    params += [
        _param(name, "filled_at_confirmation")
        for name in given
        if name in known and known[name].fill == "at_confirmation"
    ]
    form: dict[str, Any] = {}
    for f in filled.fields:
        if f.fill == "at_confirmation":
            continue
        if not f.editable:
            if f.name in given and not _same(given[f.name], f.value):
                params.append(_param(f.name, "locked"))
            form[f.name] = f.value
            continue
        value = given.get(f.name, f.value)
        if value is None or (isinstance(value, str) and not value.strip()):
            params.append(_param(f.name, "required"))
        else:
            form[f.name] = value.strip() if isinstance(value, str) else value
    for party in bundle.parties:
        if party.named_by is None:
            continue
        number = form.get(party.named_by.id_number)
        if not isinstance(number, str):
            continue
        try:
            parse_resident_id(number.strip().upper())
        except InvalidResidentId:
            params.append(_param(party.named_by.id_number, "invalid_id_number"))
            continue
        if number.strip().upper() == person.id_number.upper():
            params.append(_param(party.named_by.id_number, "names_the_initiator"))
    _refuse(params)
    return form


@functools.lru_cache(maxsize=64)
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json), format_checker=FormatChecker())


async def check_steps(session: AsyncSession, bundle: Bundle, form: dict[str, Any]) -> None:
    """Every step's form as the bundle maps it fits its service's schema; a field filled only
    when a party confirms may be missing now."""
    pending = {f.name for f in bundle.fields if f.identity and f.party != bundle.initiator.role}
    params: dict[str, dict[str, str]] = {}
    for step in bundle.steps:
        service = await catalog.cached_service(session, step.service)
        mapped = {name: (w if isinstance(w, str) else None) for name, w in step.form.items()}
        at_run = {name for name, w in step.form.items() if isinstance(w, AtRun)}
        values: dict[str, Any] = {}
        for name, wanted in step.form.items():
            value = (
                form.get(wanted)
                if isinstance(wanted, str)
                else wanted.value
                if isinstance(wanted, Constant)
                else None
            )
            if value is not None:
                values[name] = value
        schema = json.dumps(service.form_schema, sort_keys=True, ensure_ascii=False)
        for error in _validator(schema).iter_errors(values):
            if error.validator == "required":
                missing = [n for n in error.validator_value if n not in values]
                for name in missing:
                    source = mapped.get(name)
                    if source in pending or name in at_run:
                        continue
                    where = source or f"{step.key}.{name}"
                    params[where] = _param(where, "required")
                continue
            field = str(error.path[0]) if error.path else ""
            where = mapped.get(field) or f"{step.key}.{field}"
            params[where] = _param(where, str(error.validator))
    _refuse(list(params.values()))


def with_party(
    bundle: Bundle, role: str, form: dict[str, Any], person: VerifiedPerson
) -> dict[str, Any]:
    """The form with the confirming party's verified name and identity fields filled in."""
    updated = dict(form)
    party = next(p for p in bundle.parties if p.role == role)
    if party.named_by is not None:
        updated[party.named_by.name] = person.name
    for f in bundle.fields:
        if f.party == role and f.identity is not None:
            updated[f.name] = getattr(person, _IDENTITY[f.identity])
    return updated


def name_field(bundle: Bundle, role: str) -> str | None:
    """The merged form's field holding a party's name."""
    party = next(p for p in bundle.parties if p.role == role)
    if party.named_by is not None:
        return party.named_by.name
    return next((f.name for f in bundle.fields if f.party == role and f.identity == "name"), None)
