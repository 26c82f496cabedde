"""Rendering the console's pages: Jinja2 templates, the headers every page carries, and the
pages that stand in for an error.

Every console page is personal (a case, a queue, an admin's view), so none is ever cached; the
Content-Security-Policy allows scripts, styles and images from this origin only (htmx is served
from app/console/static, no inline script or style anywhere), and no page may be framed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, Response

from app.console import i18n
from app.errors import AppError

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC_PATH = "/console/static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# A material shown inline: the same policy, and nothing in it may run.
MATERIAL_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def shown(value: Any, locale: str = "zh") -> str:
    """A found value or form answer as a person reads it: yes/no, lists and mappings spelled
    out, nothing for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("yes" if value else "no") if locale == "en" else ("是" if value else "否")
    if isinstance(value, dict):
        return "; ".join(f"{key}: {shown(item, locale)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(shown(item, locale) for item in value)
    return str(value)


_environment.filters["shown"] = shown


class ConsolePage(Exception):
    """A page answered instead of the route's: raised so that the request's writes roll back."""

    def __init__(self, response: Response) -> None:
        super().__init__("console page")
        self.response = response


def render(
    template: str,
    context: dict[str, Any],
    *,
    locale: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A page of `template` in `locale`, with the console's headers."""
    page = _environment.get_template(template).render(
        **context, t=i18n.translator(locale), locale=locale, static=STATIC_PATH
    )
    return HTMLResponse(page, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})


def message(
    locale: str, title: str, text: str | None, *, status: int, **extra: Any
) -> HTMLResponse:
    """A page that says one thing (signed out, not allowed, not found)."""
    return render(
        "message.html", {"title": title, "text": text, "user": None, **extra},
        locale=locale, status=status,
    )  # fmt: skip


def failure(locale: str, error: AppError, user: Any = None) -> ConsolePage:
    """The page for a domain's refusal, in the page's language, with the refusal's status."""
    english = locale == "en"
    title = error.title_en if english else error.title_zh
    text = error.detail_en if english else error.detail_zh
    page = render(
        "message.html", {"title": title, "text": text, "user": user},
        locale=locale, status=error.status,
    )  # fmt: skip
    return ConsolePage(page)
