"""Schemathesis against the service's own OpenAPI document, over HTTP to a real server process.

Every operation of the document, positive and negative data, every check schemathesis has, with a
fixed seed. One check is adjusted, not dropped: a request valid by the schema may still be refused
by the incident's rules (an unknown incident, an action not allowed in its state, a stale If-Match,
an occurred_at out of bounds) — such answers must be the documented 404/409/412/422 problems,
never a 400 or a 5xx.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks

from tests.conftest import new_tenant
from tests.processes import ServerProcess

load_all_checks()
RULE_REFUSALS = {404, 409, 412, 422}
EXAMPLES = 40  # per operation and mode
SKIP = {"/v1/events/stream"}  # an endless stream: its own tests cover it


def positive_data_accepted_or_refused_by_the_rules(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code < 300 or response.status_code in RULE_REFUSALS:
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
async def admin_headers(pool):
    tenant = await new_tenant(pool, "fuzz")
    return tenant.auth("admin")


def _operations(base_url: str) -> list:
    schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")
    return [r.ok() for r in schema.get_all_operations() if r.ok().path not in SKIP]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_api_conforms_to_its_document(live_server, admin_headers, mode):
    failures = []
    for operation in _operations(live_server.base_url):

        @hypothesis.seed(20261124)
        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            database=None,
        )
        @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            # The bearer scheme is a required header to schemathesis: give the generated one a real
            # key, and leave it out where a negative case removed it (that must be a 401).
            if case.headers and "Authorization" in case.headers:
                case.headers["Authorization"] = admin_headers["Authorization"]
            case.call_and_validate(base_url=live_server.base_url, checks=CHECKS_USED)

        try:
            run()
        except hypothesis.errors.Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # nothing to make invalid (no parameters, no body)
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
