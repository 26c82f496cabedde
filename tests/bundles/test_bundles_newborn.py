"""The newborn's bundle (出生医学证明 → 户口登记 → 医保参保 → 社保卡) with zero uploads: the
mother files one form prefilled from her verified identity, the father confirms in his own
app, and the four steps run in order, each carried out by its department's system."""

from __future__ import annotations

import httpx
from bundle_support import NEWBORN, merged_form, read_case, run_saga, steps_of
from persona_support import PERSONAS, SignIn
from service_support import department_record

from app.config import Settings
from app.db import Database

ORDER = ["birth_certificate", "household", "medical_insurance", "social_security_card"]


async def test_the_new_parents_complete_the_newborn_bundle_with_zero_uploads(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database, settings: Settings
) -> None:
    mother, father = await sign_in("new_mother"), await sign_in("new_father")
    prefill = (await client.get(f"/api/v1/bundles/{NEWBORN}/prefill", headers=mother)).json()
    assert prefill["uploads_needed"] == []
    fields = {f["name"]: f for f in prefill["fields"]}
    assert fields["mother_id_number"]["value"] == PERSONAS["new_mother"].id_number
    assert not fields["mother_id_number"]["editable"]
    assert fields["mother_id_number"]["source"]
    assert fields["father_name"]["fill"] == "declared"
    form = await merged_form(
        client,
        mother,
        NEWBORN,
        child_name="韩小雨",
        father_name=PERSONAS["new_father"].name,
        father_id_number=PERSONAS["new_father"].id_number,
    )
    filed = await client.post(
        f"/api/v1/bundles/{NEWBORN}/applications", headers=mother, json={"form": form}
    )
    assert filed.status_code == 201, filed.text
    case = filed.json()
    confirmed = await client.post(
        f"/api/v1/bundles/applications/{case['id']}/confirm", headers=father
    )
    assert confirmed.status_code == 200, confirmed.text

    # One step at a time, each after the one it depends on.
    for done_so_far in range(1, 5):
        assert await run_saga(database, settings, rounds=1) == 1
        statuses = steps_of(await read_case(client, father, case["id"]))
        assert [statuses[k] for k in ORDER[:done_so_far]] == ["done"] * done_so_far
    final = await read_case(client, mother, case["id"])
    assert final["status"] == "completed"
    assert [s["department"] for s in final["steps"]] == ["wjw", "gaj", "ybj", "rsj"]
    for position, step in enumerate(final["steps"]):
        receipt = await department_record(
            f"/{step['department']}/instructions/{case['number']}-{position}/{step['key']}"
        )
        assert receipt.status_code == 200, receipt.text
        assert receipt.json()["instruction_id"] == step["outcome"]["receipt"]
