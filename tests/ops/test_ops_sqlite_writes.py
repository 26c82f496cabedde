"""The embedded database holds up under one person's concurrent requests: a request that reads
and then writes (a prefill records every department read in the data-access log) never meets
`database is locked` while other requests are writing."""

from __future__ import annotations

import asyncio

import httpx
from persona_support import SignIn

RENT = "gjj.withdraw.rent"


async def test_reads_that_write_meet_no_lock_while_others_write(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    renter = await sign_in("renter")
    stranger = {"method": "password", "password": "wrong-password"}

    async def prefill() -> int:
        answer = await client.get(f"/api/v1/services/{RENT}/prefill", headers=renter)
        return answer.status_code

    async def failed_login(number: int) -> int:
        # Each counts in the lockout table: a write that commits while the prefills read.
        answer = await client.post(
            "/api/v1/auth/login", json={**stranger, "login": f"1390001{number:04d}"}
        )
        return answer.status_code

    statuses = await asyncio.gather(
        *(prefill() for _ in range(12)), *(failed_login(n) for n in range(12))
    )
    assert statuses[:12] == [200] * 12
    assert statuses[12:] == [400] * 12
