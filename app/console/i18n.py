"""The console's words in zh-CN (the default) and English, from data/messages.yaml."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from app.kit.data_files import read_yaml

MESSAGES_FILE = Path(__file__).resolve().parent / "data" / "messages.yaml"
LOCALES = ("zh", "en")


class MessagesError(ValueError):
    """The messages file is malformed or a key lacks a language."""


def parse(raw: object) -> dict[str, dict[str, str]]:
    """Every key with a non-empty text in each locale, or MessagesError."""
    if not isinstance(raw, dict):
        raise MessagesError("the messages file is not a mapping")
    messages: dict[str, dict[str, str]] = {}
    for key, texts in raw.items():
        if not isinstance(texts, dict) or set(texts) != set(LOCALES):
            raise MessagesError(f"{key}: needs exactly {LOCALES}")
        if not all(isinstance(texts[locale], str) and texts[locale] for locale in LOCALES):
            raise MessagesError(f"{key}: every text must be a non-empty string")
        messages[str(key)] = {locale: texts[locale] for locale in LOCALES}
    return messages


@cache
def messages() -> dict[str, dict[str, str]]:
    """The checked messages (read once per process)."""
    return parse(read_yaml(MESSAGES_FILE))


def locale_of(lang: str | None, accept_language: str | None) -> str:
    """`?lang=` first, then Accept-Language's first language; zh-CN unless English is asked."""
    if lang:
        return "en" if lang.lower().startswith("en") else "zh"
    first = (accept_language or "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "zh"


def translator(locale: str) -> dict[str, str]:
    """The texts of one locale, by key."""
    return {key: texts[locale] for key, texts in messages().items()}
