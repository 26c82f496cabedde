"""The citizen's burden (app/burden.py) may only fall: every 秒批 service, as its persona meets
it, asks to type only what no department holds, and to upload only documents nobody keeps —
each named with its reason — and, submitted as prefilled, reaches its outcome."""

from __future__ import annotations

import httpx

from app import burden

# What the 34 services still ask, at most (December 2026): declarations and documents no
# department holds. Lower these when the burden falls; they may not rise.
MOST_TYPED = 16
MOST_UPLOADS = 4


async def test_the_burden_is_named_and_does_not_rise(
    client: httpx.AsyncClient, world: None
) -> None:
    report = await burden.walk(client)
    totals = burden.totals(report)
    assert totals["services"] == len(burden.demo_services()) == 34
    typed = {b.service: b.typed for b in report if b.typed}
    uploads = {b.service: b.uploads for b in report if b.uploads}
    assert totals["typed_without_reason"] == 0, typed
    assert totals["uploads_without_reason"] == 0, uploads
    assert totals["typed"] <= MOST_TYPED, typed
    assert totals["uploads"] <= MOST_UPLOADS, uploads
    outcomes = {b.service: b.outcome for b in report if b.outcome != "approved"}
    assert outcomes == {}, "each service submitted as prefilled is approved"
    # The withdrawals ask for nothing at all: the departments hold every fact.
    withdrawals = [b for b in report if b.service.startswith("gjj.withdraw.")]
    asked = {b.service: (b.typed, b.uploads) for b in withdrawals if b.typed or b.uploads}
    assert set(asked) <= {"gjj.withdraw.commercial-loan", "gjj.withdraw.monthly-repayment-cancel"}
