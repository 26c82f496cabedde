"""The peer of `bench/licenses.py --bare`: license verification by number and holder name as a
bare FastAPI endpoint on asyncpg, with nothing but the indexed lookup and the comparison.

No authentication, rate limit, data-access log, audit, middleware or ORM: what the platform's
`POST /api/v1/licenses/verify` costs beyond this is the price of those. Run by the bench as
`python bare_verify.py PORT WORKERS` with `BARE_DATABASE_URL` (a libpq URL) in the environment:
uvicorn (uvloop, httptools) under the supervisor `qingeban serve --workers` uses, each worker on
its own socket, so that both sides spread their connections over their workers alike.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import asyncpg
from fastapi import FastAPI
from pydantic import BaseModel

_LOOKUP = "SELECT status, holder_name, valid_from, valid_until FROM licenses WHERE license_no = $1"


class Presented(BaseModel):
    """What a relying party presents."""

    license_no: str
    holder_name: str


@asynccontextmanager
async def _pool(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        os.environ["BARE_DATABASE_URL"], min_size=10, max_size=10
    )
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=_pool)


@app.get("/readyz")
async def ready() -> dict[str, str]:
    """Up."""
    return {"status": "ok"}


@app.post("/api/v1/licenses/verify")
async def verify(presented: Presented) -> dict[str, str]:
    """valid when a license of that number is in force today for that holder."""
    row = await app.state.pool.fetchrow(_LOOKUP, presented.license_no)
    today = date.today()
    valid = (
        row is not None
        and row["holder_name"] == presented.holder_name
        and row["status"] == "valid"
        and row["valid_from"] <= today
        and (row["valid_until"] is None or today <= row["valid_until"])
    )
    return {"result": "valid" if valid else "invalid"}


if __name__ == "__main__":
    import uvicorn

    from app.ops import workers

    port, count = int(sys.argv[1]), int(sys.argv[2])
    workers.serve(uvicorn.Config(
        "bare_verify:app", port=port, workers=count, loop="uvloop", http="httptools",
        access_log=False, log_level="warning",
    ))  # fmt: skip
