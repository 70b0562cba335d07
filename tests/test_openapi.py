"""The committed OpenAPI document is the one the service serves."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.cli.serve import openapi_document

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


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _bodies(document: dict) -> dict[str, dict]:
    """Every operation's request body schema (the object one, where it may also be null)."""
    found = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            for media_type, spec in content.items():
                assert media_type == "application/json", (method, path, media_type)
                schema = spec["schema"]
                options = schema.get("oneOf") or schema.get("anyOf") or [schema]
                [body] = [_resolve(document, s) for s in options if s.get("type") != "null"]
                found[f"{method.upper()} {path}"] = body
    return found


def test_request_bodies_say_unknown_fields_are_refused():
    document = json.loads(COMMITTED.read_text())
    bodies = _bodies(document)
    assert len(bodies) >= 14
    open_bodies = {name for name, body in bodies.items() if body.get("additionalProperties") is not False}
    assert open_bodies == set()  # (the plan documents too: PolicyChangeIn, PolicyIn)


def test_bounds_are_stated_exactly_where_the_server_enforces_them():
    document = json.loads(COMMITTED.read_text())
    [after] = [p for p in document["paths"]["/v1/events"]["get"]["parameters"] if p["name"] == "after"]
    assert after["schema"]["maximum"] == 2**53 - 1 == int(after["schema"]["maximum"])
    redeliver = document["components"]["schemas"]["RedeliverBody"]["properties"]["after"]
    assert redeliver["maximum"] == 2**53 - 1 and redeliver["minimum"] == 0
    event_types = document["components"]["schemas"]["WebhookBody"]["properties"]["event_types"]
    assert event_types["items"]["minLength"] == 1 and event_types["items"]["pattern"]


def test_the_live_feed_declares_server_sent_events():
    document = json.loads(COMMITTED.read_text())
    content = document["paths"]["/v1/events/stream"]["get"]["responses"]["200"]["content"]
    assert list(content) == ["text/event-stream"]


def test_if_match_is_documented_strict():
    document = json.loads(COMMITTED.read_text())
    for path, method in (("/v1/incidents/{incident_id}/notes", "post"), ("/v1/policy", "put")):
        [if_match] = [p for p in document["paths"][path][method]["parameters"] if p["name"] == "If-Match"]
        assert if_match["schema"]["pattern"] == '^(|\\*|"[0-9]{1,9}")$'
