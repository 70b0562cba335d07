"""`crisis-ledger serve` stops when told to, whenever that comes.

A terminal's Ctrl-C sends SIGINT to the whole process group: the server process and its workers
at once, and the server process then sends each worker a SIGTERM. A worker still loading the app
(imports and rulebooks, seconds on a busy machine) used to lose its stop and serve on, and one that
got two stops before granian's worker read the first blocked in the second: either way its server
(and an embedded PostgreSQL) waited forever (ledger/http/shutdown.py). A worker that does not stop
is killed after LEDGER_SHUTDOWN_GRACE_MS.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ledger.store.database import _forget_dead_handles
from tests.processes import free_port

# Far longer than a stop takes: the test tells a stop that works from one that hangs.
STOP_S = 90.0


def _serve(database_url: str, log: Path, **env: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    full = {
        **os.environ,
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_WORKERS": "2",
        "LEDGER_PORT": str(port),
        "LEDGER_LOG_LEVEL": "info",
        "LEDGER_LOG_FORMAT": "json",
        **env,
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ledger.cli", "serve"], env=full, stdout=out, stderr=out, start_new_session=True
        )
    return proc, port


def _wait_for_line(proc: subprocess.Popen[bytes], log: Path, text: str, timeout: float = STOP_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        assert proc.poll() is None, log.read_text()[-2000:]
        time.sleep(0.01)
    raise AssertionError(f"no {text!r} in {log.read_text()[-2000:]}")


def _wait_healthy(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STOP_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-2000:]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"never healthy: {log.read_text()[-2000:]}")


def _exits(proc: subprocess.Popen[bytes]) -> bool:
    try:
        proc.wait(STOP_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        return False
    return True


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _events(log: Path) -> list[str]:
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            found.append(json.loads(line).get("event", ""))
    return found


async def test_ctrl_c_while_the_workers_start_stops_the_server(database_url, tmp_path):
    log = tmp_path / "serve.log"
    # (the default grace: in a tight loop about one stop in thirty still reaches a worker in a
    # moment granian's loop does not hear it, and that worker is killed after the grace)
    proc, _ = _serve(database_url, log)
    # Both workers forked, neither has loaded the app yet (that takes seconds): a terminal's Ctrl-C.
    await asyncio.to_thread(_wait_for_line, proc, log, "Spawning worker-2")
    os.killpg(proc.pid, signal.SIGINT)
    assert await asyncio.to_thread(_exits, proc), f"still running: {log.read_text()[-2000:]}"
    assert "Granian shutdown completed" in log.read_text(), log.read_text()[-2000:]


async def test_ctrl_c_on_a_serving_server_stops_it(database_url, tmp_path):
    log = tmp_path / "serve.log"
    proc, port = _serve(database_url, log, LEDGER_SHUTDOWN_GRACE_MS="600000")
    await asyncio.to_thread(_wait_healthy, proc, port, log)
    for worker in ("worker-1", "worker-2"):  # (both up: one answers /healthz while the other starts)
        await asyncio.to_thread(_wait_for_line, proc, log, f"Started {worker}")
    os.killpg(proc.pid, signal.SIGINT)
    assert await asyncio.to_thread(_exits, proc), f"still running: {log.read_text()[-2000:]}"
    assert "stop_held_during_startup" not in _events(log) and "Killing worker" not in log.read_text()
    assert proc.returncode == 0


async def test_a_worker_that_does_not_stop_is_killed_after_the_grace(database_url, tmp_path):
    log = tmp_path / "serve.log"
    proc, port = _serve(database_url, log, LEDGER_SHUTDOWN_GRACE_MS="2000", LEDGER_WORKERS="1")
    await asyncio.to_thread(_wait_healthy, proc, port, log)
    (worker,) = _children(proc.pid)
    os.kill(worker, signal.SIGSTOP)  # (a worker that cannot answer: a hung drain)
    started = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    assert await asyncio.to_thread(_exits, proc), f"still running: {log.read_text()[-2000:]}"
    assert "Killing worker-1 after it refused to gracefully stop" in log.read_text()
    assert time.monotonic() - started < STOP_S


def test_the_embedded_servers_list_of_users_forgets_processes_that_are_gone(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    listed = tmp_path / ".handle_pids.json"
    listed.write_text(json.dumps([gone.pid, os.getpid()]))
    _forget_dead_handles(tmp_path)
    # (else the embedded server is never stopped: its last user is one that was killed)
    assert json.loads(listed.read_text()) == [os.getpid()]
    _forget_dead_handles(tmp_path)  # (nothing to forget: left as it is)
    assert json.loads(listed.read_text()) == [os.getpid()]
