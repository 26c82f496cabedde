"""Which license types are renewed by offer, read from data/renewals.yaml and checked at load."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.kit.data_files import read_yaml

RENEWALS_FILE = Path(__file__).resolve().parent / "data" / "renewals.yaml"
DEFAULT_WINDOW_DAYS = 60


@dataclass(frozen=True, slots=True)
class FormField:
    """A renewal form field taken from one of the license's fields."""

    source: str
    split: str | None = None


@dataclass(frozen=True, slots=True)
class Commitment:
    """What accepting the offer promises (a form field set to true)."""

    field: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Renewal:
    """How one license type is renewed by offer."""

    license_type: str
    service: str
    mode: str
    window_days: int
    form: dict[str, FormField] = field(default_factory=dict)
    commitments: tuple[Commitment, ...] = ()

    @property
    def offered(self) -> bool:
        """Whether the scan offers it (the renewal service is `auto`)."""
        return self.mode == "auto"

    def form_from(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The renewal form's fields taken from the license's fields, and the commitments."""
        form: dict[str, Any] = {}
        for name, spec in self.form.items():
            value = fields.get(spec.source)
            if value is None:
                continue
            form[name] = [v for v in str(value).split(spec.split) if v] if spec.split else value
        form.update({c.field: True for c in self.commitments})
        return form


def _fail(key: str, why: str) -> ValueError:
    return ValueError(f"{RENEWALS_FILE.name}: {key}: {why}")


def _form_field(key: str, raw: object) -> FormField:
    if isinstance(raw, str):
        return FormField(raw)
    if isinstance(raw, dict) and isinstance(raw.get("field"), str):
        split = raw.get("split")
        return FormField(raw["field"], split if isinstance(split, str) else None)
    raise _fail(key, "a form field is a license field name or {field, split}")


def _parse(raw: object) -> dict[str, Renewal]:
    if not isinstance(raw, dict) or not isinstance(raw.get("renewals"), dict):
        raise ValueError(f"{RENEWALS_FILE.name}: expected a mapping `renewals`")
    found: dict[str, Renewal] = {}
    for key, spec in raw["renewals"].items():
        if not isinstance(spec, dict) or not isinstance(spec.get("service"), str):
            raise _fail(key, "needs `service`")
        window = spec.get("window_days", DEFAULT_WINDOW_DAYS)
        if not isinstance(window, int) or not 1 <= window <= 366:
            raise _fail(key, "`window_days` is a whole number of days, 1 to 366")
        commitments = []
        for name, text in (spec.get("commitments") or {}).items():
            if not isinstance(text, dict) or not {"zh", "en"} <= set(text):
                raise _fail(key, f"commitment {name} needs zh and en")
            commitments.append(Commitment(str(name), str(text["zh"]), str(text["en"])))
        found[str(key)] = Renewal(
            license_type=str(key),
            service=spec["service"],
            mode=str(spec.get("mode", "manual")),
            window_days=window,
            form={str(n): _form_field(key, v) for n, v in (spec.get("form") or {}).items()},
            commitments=tuple(commitments),
        )
    return found


@lru_cache
def renewals() -> dict[str, Renewal]:
    """Every declared renewal by license type, checked when first read."""
    return _parse(read_yaml(RENEWALS_FILE))
