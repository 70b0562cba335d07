"""The committed OpenAPI document is the one the service serves."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.cli import openapi_document

COMMITTED = Path(__file__).parent.parent / "schemas" / "openapi.json"


def test_committed_openapi_matches_the_service():
    assert COMMITTED.read_text() == openapi_document(), (
        "schemas/openapi.json is stale: run `crisis-ledger openapi > schemas/openapi.json`"
    )


async def test_served_openapi_documents_problem_responses(app_client):
    served = (await app_client.get("/schema/openapi.json")).json()
    assert served == json.loads(COMMITTED.read_text())
    acknowledge = served["paths"]["/v1/incidents/{incident_id}/acknowledge"]["post"]
    for status in ("400", "401", "403", "404", "409", "412", "413", "415", "422"):
        content = acknowledge["responses"][status]["content"]
        assert "application/problem+json" in content, status
    params = {p["name"] for p in acknowledge["parameters"]}
    assert {"If-Match", "Idempotency-Key", "incident_id"} <= params


def _bounded(node, path=""):
    """Every schema in the document that has an upper bound, with where it is."""
    if isinstance(node, dict):
        if "maximum" in node:
            yield path, node
        for key, value in node.items():
            yield from _bounded(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _bounded(value, f"{path}[{i}]")


def test_every_bounded_number_states_its_lower_bound_too():
    # Each one is validated from both ends (ge / gt); Litestar used to leave a bound of 0 out.
    document = json.loads(openapi_document())
    bounded = list(_bounded(document))
    assert len(bounded) > 10
    unbounded_below = [path for path, schema in bounded if "minimum" not in schema and "exclusiveMinimum" not in schema]
    assert unbounded_below == []
    stream_after = next(s for p, s in bounded if p.startswith("/paths//v1/events/stream/"))
    assert stream_after["minimum"] == 0
