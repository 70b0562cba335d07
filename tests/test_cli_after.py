"""The after-the-crisis commands and the progress of long commands, on a pipe and on a terminal."""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import structlog

from ledger.cli.terminal import Progress
from ledger.domain.plan import DEFAULT_POLICY, policy_to_dict
from ledger.logs import renderer_for
from tests import clock
from tests.conftest import detect_body

ANSI = "\x1b["


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_LOG_LEVEL": "warning"}


def _run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The command on pipes (stdout and stderr are no terminals)."""
    return subprocess.run(
        [sys.executable, "-m", "ledger.cli", *args], env=_env(url), capture_output=True, text=True, timeout=120
    )


def _run_on_a_terminal(url: str, *args: str) -> str:
    """The command under `script`, which gives it a pseudo-terminal: what a person sees (stdout and stderr)."""
    command = shlex.join([sys.executable, "-m", "ledger.cli", *args])
    done = subprocess.run(
        ["script", "-qec", command, "/dev/null"], env=_env(url), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _resolved_incidents(client, tenant, t0: datetime, n: int = 4) -> list[str]:
    ids = []
    for i in range(n):
        start = t0 + timedelta(minutes=10 * i)
        body = {**detect_body(severity="sev2"), "occurred_at": _iso(start)}
        iid = (await client.post("/v1/incidents", json=body, headers=tenant.auth())).json()["id"]
        for action, payload, minutes in [
            ("acknowledge", {}, (3, 6, 11, 14)[i]),
            ("replies", {"channel": "x", "visibility": "public", "text": "On it."}, 30),
            ("resolve", {"summary": "done"}, 120),
        ]:
            payload = {**payload, "occurred_at": _iso(start + timedelta(minutes=minutes))}
            r = await client.post(f"/v1/incidents/{iid}/{action}", json=payload, headers=tenant.auth())
            assert r.status_code == 201, r.text
        ids.append(iid)
    return ids


async def test_review_command_prints_the_api_s_document(app_client, tenant, database_url):
    (iid,) = await _resolved_incidents(app_client, tenant, (clock.now() - timedelta(days=1)).replace(microsecond=0), 1)
    for fmt, accept in (("md", "text/markdown"), ("html", "text/html")):
        api = await app_client.get(f"/v1/incidents/{iid}/review", headers={**tenant.auth("read"), "Accept": accept})
        cli = _run(database_url, "review", iid, "--tenant", tenant.name, "--format", fmt)
        assert cli.returncode == 0, cli.stderr
        assert cli.stdout == api.text  # (resolved: nothing in it depends on the clock)
    missing = _run(database_url, "review", iid, "--tenant", "someone-else")
    assert missing.returncode == 1 and "not found" in missing.stderr and missing.stdout == ""
    naive = _run(database_url, "review", iid, "--tenant", tenant.name, "--as-of", "2026-01-01T00:00:00")
    assert naive.returncode == 2 and "zone" in naive.stderr


async def test_what_if_command_on_a_pipe_and_on_a_terminal(app_client, tenant, database_url, tmp_path):
    t0 = (clock.now() - timedelta(days=1)).replace(microsecond=0)
    ids = await _resolved_incidents(app_client, tenant, t0)
    plan = policy_to_dict(DEFAULT_POLICY)
    plan["severities"]["sev2"]["targets"]["acknowledge"] = {"seconds": 10 * 60, "calendar": None}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    window = ["--since", _iso(t0), "--until", _iso(t0 + timedelta(hours=1))]
    args = ["what-if", str(path), "--tenant", tenant.name, *window]

    as_json = _run(database_url, *args, "--json")
    assert as_json.returncode == 0, as_json.stderr
    api = await app_client.post(
        "/v1/policy/what-if",
        json={"policy": plan, "since": _iso(t0), "until": _iso(t0 + timedelta(hours=1))},
        headers=tenant.auth("read"),
    )
    assert json.loads(as_json.stdout) == api.json()
    assert [c["incident_id"] for c in api.json()["changed"]] == ids[2:]  # (acknowledged at 11 and 14 min)
    # On a pipe: plain progress lines and a summary on stderr, no terminal codes anywhere.
    assert "what-if: 4/4 incidents (100%)" in as_json.stderr
    assert "What-if: 4 incidents, 2 milestone(s) change status." in as_json.stderr
    assert ANSI not in as_json.stderr + as_json.stdout

    table = _run(database_url, *args)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].startswith("4 incidents measured")
    ack = next(line for line in lines if line.startswith("acknowledge"))
    assert ack.split() == ["acknowledge", "4", "0", "100.0%", "510s", "786s", "->", "4", "2", "50.0%", "510s", "786s"]
    assert "2 milestone(s) change status" in table.stdout and f"{ids[2]}  acknowledge" in table.stdout

    seen = _run_on_a_terminal(database_url, *args)
    assert ANSI in seen and "what-if" in seen and "━" in seen  # (rich's bar)
    assert "2 milestone(s) change status" in seen

    bad = dict(plan, roles=["Not A Role"])
    path.write_text(json.dumps(bad))
    refused = _run(database_url, *args)
    assert refused.returncode == 2 and "the policy is invalid" in refused.stderr and "  - " in refused.stderr


async def test_rebuild_and_verify_show_progress_and_a_summary(app_client, tenant, database_url):
    await _resolved_incidents(app_client, tenant, (clock.now() - timedelta(days=1)).replace(microsecond=0), 2)
    rebuilt = _run(database_url, "projections", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    lines = rebuilt.stderr.splitlines()
    progress = [line for line in lines if line.startswith("rebuild: ")]
    assert progress and progress[-1].endswith("events (100%)")
    assert lines[-1].startswith("Rebuilt incident_views") and ANSI not in rebuilt.stderr

    verified = _run(database_url, "audit", "verify", "--tenant", tenant.name)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["ok"] is True
    assert "verify: 8/8 events (100%)" in verified.stderr
    assert verified.stderr.splitlines()[-1] == "Verified 1 tenant chain(s), 8 events: all intact."

    seen = _run_on_a_terminal(database_url, "audit", "verify", "--tenant", tenant.name)
    assert ANSI in seen and "8/8" in seen and "all intact" in seen


def test_progress_draws_a_bar_on_a_terminal_and_lines_on_a_pipe():
    pipe = io.StringIO()
    with Progress("fold", 1000, "events", stream=pipe, tty=False) as p:
        for _ in range(100):
            p.advance(10)
    lines = pipe.getvalue().splitlines()
    assert lines[0] == "fold: 0/1,000 events (0%)" and lines[-1] == "fold: 1,000/1,000 events (100%)"
    assert len(lines) == 11  # one per tenth, not one per step
    terminal = io.StringIO()
    with Progress("fold", 1000, "events", stream=terminal, tty=True) as p:
        p.advance(1000)
    assert ANSI in terminal.getvalue() and "1000/1000" in terminal.getvalue()


def test_logs_are_for_people_on_a_terminal_and_json_elsewhere():
    assert isinstance(renderer_for("auto", True), structlog.dev.ConsoleRenderer)
    assert isinstance(renderer_for("auto", False), structlog.processors.JSONRenderer)
    assert isinstance(renderer_for("json", True), structlog.processors.JSONRenderer)
    assert isinstance(renderer_for("console", False), structlog.dev.ConsoleRenderer)
    line = renderer_for("auto", False)(None, "info", {"event": "x", "n": 1})
    assert json.loads(line) == {"event": "x", "n": 1}
