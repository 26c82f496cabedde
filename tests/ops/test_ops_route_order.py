"""Routers are included busiest first (app/main.py): a request is matched against every route
before its own, so the order decides how much each costs. It must not decide which route
answers: no route may answer a request that a route declared after it was made for."""

from __future__ import annotations

import re

from fastapi.routing import iter_route_contexts
from settings_support import make_settings
from starlette.routing import compile_path

from app.main import create_app

# A value of each kind a path parameter may declare (`{name}` is text).
_SAMPLES = {
    "str": "sample-1",
    "uuid": "00000000-0000-4000-8000-000000000001",
    "int": "7",
    "float": "1.5",
    "path": "a/b",
}
_PARAMETER = re.compile(r"\{([^}:]+)(?::([a-z]+))?\}")


def _sample(template: str) -> str:
    return _PARAMETER.sub(lambda found: _SAMPLES[found.group(2) or "str"], template)


def test_every_route_answers_the_requests_made_for_it() -> None:
    app = create_app(make_settings("sqlite+aiosqlite:///unused.db"))
    routes = [(compile_path(route.path)[0], route) for route in iter_route_contexts(app.routes)]
    shadowed = []
    for _, route in routes:
        path = _sample(route.path)
        for method in sorted(route.methods or ()):
            # Starlette's rule: the first route whose path and method both match answers.
            first = next(
                other
                for regex, other in routes
                if regex.match(path) and (not other.methods or method in other.methods)
            )
            if first.endpoint is not route.endpoint:
                shadowed.append(f"{method} {route.path} is answered by {first.path}")
    assert not shadowed
    assert len(routes) > 100  # every router's routes were seen
