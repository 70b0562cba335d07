"""PUT /v1/policy's body and the what-if's `policy` are documented as Structs (PolicyChangeIn,
PolicyIn) while the plan's strict parse still decodes them: the document describes the shape, and
every refusal is the plan's own 422 `invalid-value`, as before the body was typed."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

from ledger.domain.plan import DEFAULT_POLICY, parse_policy, policy_to_dict
from schemas.api import PolicyChangeIn
from schemas.policy import Policy, PolicyIn
from tests import clock
from tests.conftest import Tenant

DOCUMENT = Path(__file__).parent.parent / "schemas" / "openapi.json"
INVALID_VALUE = "urn:crisis-ledger:problem:invalid-value"


def test_the_documented_plan_has_the_fields_and_types_of_the_plan_the_parse_decodes():
    documented = {f.name: f.type for f in msgspec.inspect.type_info(PolicyIn).fields}
    decoded = {f.name: f.type for f in msgspec.inspect.type_info(Policy).fields}
    assert documented.keys() == decoded.keys()
    for name in decoded.keys() - {"version"}:  # (the version: sent or not, the server assigns it)
        assert _undescribed(documented[name]) == _undescribed(decoded[name]), name
    change = {f.name for f in msgspec.inspect.type_info(PolicyChangeIn).fields}
    assert change == documented.keys() | {"actor"}


def _undescribed(info: Any) -> Any:
    """A type as msgspec sees it, without descriptions (Metadata wrappers carry only those here)."""
    while isinstance(info, msgspec.inspect.Metadata):
        info = info.type
    return info


def test_the_openapi_document_types_the_plan_bodies():
    doc = json.loads(DOCUMENT.read_text())
    put = doc["paths"]["/v1/policy"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert put == {"$ref": "#/components/schemas/PolicyChangeIn"}
    what_if = doc["components"]["schemas"]["WhatIfBody"]["properties"]["policy"]
    assert what_if["$ref"] == "#/components/schemas/PolicyIn"
    schemas = doc["components"]["schemas"]
    for name in ("PolicyIn", "PolicyChangeIn"):
        assert schemas[name]["additionalProperties"] is False
        assert set(schemas[name]["required"]) == {"roles", "severities"}
        assert schemas[name]["properties"]["severities"]["additionalProperties"] == {
            "$ref": "#/components/schemas/SeverityPlan"
        }
    assert "actor" in schemas["PolicyChangeIn"]["properties"] and "actor" not in schemas["PolicyIn"]["properties"]


def _plan() -> dict[str, Any]:
    return copy.deepcopy(policy_to_dict(DEFAULT_POLICY))


def _refusal(document: dict[str, Any]) -> str:
    """The detail of the plan's own refusal of `document` (what the API answers as its 422)."""
    try:
        parse_policy(document, 1)
    except ValueError as exc:
        return "the policy is invalid: " + str(exc)
    raise AssertionError("the document was accepted")


def _with(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    document = _plan()
    place = document
    for key in path[:-1]:
        place = place[key]
    place[path[-1]] = value
    return document


OPEN = {"mon": [["09:00", "17:00"]]}
CASES = {
    "unknown field": {**_plan(), "colour": "red"},
    "unknown nested field": _with(("severities", "sev1", "targets", "acknowledge", "minutes"), 5),
    "wrong type": _with(("severities", "sev2", "targets", "resolve", "seconds"), []),
    "a number as a string": _with(("severities", "sev2", "targets", "resolve", "seconds"), "300"),
    "missing field": {k: v for k, v in _plan().items() if k != "roles"},
    "rule violation": _with(("roles",), ["Bad Role"]),
    "a folder of zones": _with(("calendars",), {"eu": {"timezone": "Europe", "weekly": {"mon": [["09:00", "17:00"]]}}}),
    "a zone name too long": _with(
        ("calendars",), {"x": {"timezone": "a" * 300, "weekly": {"mon": [["09:00", "17:00"]]}}}
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_put_and_what_if_refuse_as_the_plan_s_parse_does(app_client, tenant: Tenant, case: str):
    document = CASES[case]
    put = await app_client.put("/v1/policy", json=document, headers=tenant.auth("admin"))
    assert put.status_code == 422, put.text
    problem = put.json()
    assert problem["type"] == INVALID_VALUE
    assert problem["detail"] == _refusal(document)
    now = clock.now()
    window = {"since": (now - timedelta(days=1)).isoformat(), "until": now.isoformat()}
    tried = await app_client.post("/v1/policy/what-if", json={"policy": document, **window}, headers=tenant.auth())
    assert tried.status_code == 422 and {k: v for k, v in tried.json().items() if k != "instance"} == {
        k: v for k, v in problem.items() if k != "instance"
    }
    assert (await app_client.get("/v1/policy", headers=tenant.auth("read"))).json()["version"] == 0


async def test_a_body_that_is_no_object_is_refused_by_the_decoder(app_client, tenant: Tenant):
    r = await app_client.put("/v1/policy", json=[_plan()], headers=tenant.auth("admin"))
    assert r.status_code == 422 and r.json()["type"].endswith(":validation-failed"), r.text


async def test_the_version_sent_is_ignored_and_the_actor_is_not_part_of_the_plan(app_client, tenant: Tenant):
    r = await app_client.put(
        "/v1/policy", json={**_plan(), "version": "whatever", "actor": "ayse"}, headers=tenant.auth("admin")
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1 and "actor" not in r.json()
