"""The demo personas as the tests sign them in (fixtures `world` and `sign_in` in conftest.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.adapters.simulator.personas import build_personas
from app.adapters.simulator.population import Population

Headers = dict[str, str]
SignIn = Callable[..., Awaitable[Headers]]
PERSONAS = {p.key: p for p in build_personas(Population())[0]}
