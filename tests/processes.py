"""Real server processes for tests that need them (kills, several processes, fuzzing over HTTP)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """`crisis-ledger`'s ASGI app under granian, as `serve` runs it, on a free loopback port."""

    def __init__(self, database_url: str, *, workers: int = 1, env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        self.workers = workers
        self.port = free_port()
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(f"/tmp/ledger-test-server-{self.port}.log")  # noqa: S108 - test logs

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> ServerProcess:
        # (generous: on a 2-core machine under a load of 10 a restarted two-worker server has taken
        # over 30 s to answer /healthz; a start that never comes still fails, it just waits longer)
        env = {
            **os.environ,
            "LEDGER_DATABASE_URL": self.database_url,
            "LEDGER_MIGRATE_ON_START": "false",
            "LEDGER_LOG_LEVEL": "warning",
            **self.env,
        }
        cmd = [
            sys.executable, "-m", "granian", "--interface", "asgi", "--factory",
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers),
            "--no-access-log", "--http1-buffer-size", str(64 * 1024), "ledger.http.asgi:create",
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown, no flush, as in a crash."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@contextlib.contextmanager
def running(database_url: str, **kwargs: object) -> Iterator[ServerProcess]:
    server = ServerProcess(database_url, **kwargs).start()  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()
