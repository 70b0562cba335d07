"""Schemathesis against the service's own OpenAPI document, over HTTP to a real server process.

One test per operation of the committed document (which tests/test_openapi.py holds equal to the
served one): the examples, coverage (boundary values, missing headers, unsupported methods, ...)
and fuzzing phases, positive and negative data, every check schemathesis has, with a fixed seed
and few examples, so the whole run takes about a minute. One check is adjusted, not dropped: a
request valid by the schema may still be refused by the ledger's rules (an unknown incident, an
action not allowed in its state, a stale If-Match, an occurred_at out of bounds, a webhook URL
that resolves inward), and such answers must be those rules' documented problems (404, 409, 412,
422 `invalid-value`, `reply-flagged`), never a 400, a 422 `validation-failed` (which would mean the document and
the decoder disagree) or a 5xx.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from tests.conftest import new_tenant
from tests.processes import ServerProcess

load_all_checks()
DOCUMENT = Path(__file__).parent.parent / "schemas" / "openapi.json"
EXAMPLES = 12  # per operation, in the fuzzing phase
RULE_REFUSALS = {404, 409, 412}
RULE_PROBLEMS = {"invalid-value", "webhook-url-refused", "idempotency-key-reused", "reply-flagged"}

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20261124,
        "generation": {"max-examples": EXAMPLES, "mode": "all", "database": "none"},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "suppress-health-check": ["all"],
        # Invalid data must be refused; a stale If-Match refuses it too: preconditions are
        # evaluated before the request's content is processed (RFC 9110, 13.2.1), so a PUT whose
        # body is invalid and whose If-Match is stale answers 412, and writes nothing either way.
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": [
                    "400",
                    "401",
                    "403",
                    "404",
                    "405",
                    "406",
                    "409",
                    "412",
                    "415",
                    "422",
                    "428",
                    "429",
                    "5xx",
                ]
            }
        },
    }
)
# The live feed never ends: its own tests cover it (tests/test_feed_memory.py and the stream tests).
schema = schemathesis.openapi.from_path(DOCUMENT, config=CONFIG).exclude(path="/v1/events/stream")


def positive_data_accepted_or_refused_by_the_rules(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code < 300 or response.status_code in RULE_REFUSALS:
        return None
    if response.status_code == 422 and response.json().get("type", "").rsplit(":", 1)[-1] in RULE_PROBLEMS:
        return None
    raise AssertionError(f"valid data refused with {response.status_code}: {response.text[:300]}")


CHECKS_USED = [
    *(c for c in CHECKS.get_all() if c.__name__ != "positive_data_acceptance"),
    positive_data_accepted_or_refused_by_the_rules,
]


@pytest.fixture(scope="module")
def live_server(database_url):
    # Rate limiting would rightly answer 429 to a fuzzer: it is tested on its own.
    server = ServerProcess(database_url, env={"LEDGER_RATE_LIMIT_PER_MINUTE": "0"}).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def admin_key(pool) -> str:
    tenant = await new_tenant(pool, "fuzz")
    return tenant.auth("admin")["Authorization"]


@schema.parametrize()
def test_api_conforms_to_its_document(case, live_server, admin_key):
    # The bearer scheme is a required header to schemathesis: give the generated one a real key,
    # and leave it out where a negative case removed it (that must be a 401).
    if case.headers and "Authorization" in case.headers:
        case.headers["Authorization"] = admin_key
    case.call_and_validate(base_url=live_server.base_url, checks=CHECKS_USED)
