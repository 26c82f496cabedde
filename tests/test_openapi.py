"""The committed OpenAPI document is the contract: it must match the code and be valid."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from openapi_spec_validator import validate

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


async def test_served_document_matches_the_committed_one(client: httpx.AsyncClient) -> None:
    served = (await client.get("/openapi.json")).json()
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert served == committed, "openapi/openapi.json is stale: run `qingeban openapi`"


def test_document_is_valid_and_every_operation_is_described() -> None:
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    validate(document)
    operation_ids = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            operation_ids.append(operation["operationId"])
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            assert "-" in operation["operationId"], operation["operationId"]
            if path.startswith("/api/"):
                errors = [code for code in operation["responses"] if code.startswith(("4", "5"))]
                assert errors, f"{method.upper()} {path} declares no error responses"
    assert len(operation_ids) == len(set(operation_ids))
