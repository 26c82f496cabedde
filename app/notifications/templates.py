"""The message texts, kept as data (templates/messages.yaml), and their rendering."""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.kit.data_files import read_yaml

_FILE = Path(__file__).parent / "templates" / "messages.yaml"
_FIELDS = ("title_zh", "title_en", "body_zh", "body_en", "link")


@dataclass(frozen=True, slots=True)
class Template:
    """One event type's texts (the SMS text only for what is told by text)."""

    key: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    link: str
    sms_zh: str | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message as the reader sees it."""

    title: str
    body: str
    link: str


@functools.cache
def templates() -> dict[str, Template]:
    """Every template by key, read once; a template missing a field fails at start-up."""
    raw = read_yaml(_FILE)
    loaded = {}
    for key, entry in raw.items():
        missing = [name for name in _FIELDS if name not in entry]
        if missing:
            raise ValueError(f"message template {key!r} lacks {', '.join(missing)}")
        loaded[key] = Template(key=key, **entry)
    return loaded


def template_for(event_type: str, payload: dict[str, Any]) -> Template | None:
    """The template of an event: its variant (`type.outcome`) first, then the type's own."""
    found = templates()
    variant = payload.get("outcome")
    if isinstance(variant, str) and f"{event_type}.{variant}" in found:
        return found[f"{event_type}.{variant}"]
    return found.get(event_type)


class _Lenient(dict[str, Any]):
    # A variable an older event lacks reads as empty rather than failing the whole inbox.
    def __missing__(self, key: str) -> str:
        return ""


def fill(text: str, payload: dict[str, Any]) -> str:
    """`text` with the payload's values in its {variables}."""
    return string.Formatter().vformat(text, (), _Lenient(payload))


def variables(text: str, payload: dict[str, Any]) -> dict[str, str]:
    """The values of the {variables} `text` uses: a provider's template parameters."""
    names = [name for _, name, _, _ in string.Formatter().parse(text) if name]
    return {name: str(payload.get(name, "")) for name in names}


def render(event_type: str, payload: dict[str, Any], *, english: bool) -> Rendered:
    """The message of an event in zh-CN, or English when asked."""
    template = template_for(event_type, payload)
    if template is None:
        return Rendered(title=event_type, body="", link="")
    title = template.title_en if english else template.title_zh
    body = template.body_en if english else template.body_zh
    return Rendered(fill(title, payload), fill(body, payload), fill(template.link, payload))
