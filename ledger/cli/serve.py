"""`crisis-ledger serve|migrate|openapi`: run the HTTP API, bring the schema up to date, print the
API's document."""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
from pathlib import Path

from ledger.cli.database import connect, database_url, migrated
from ledger.config import Settings
from ledger.http.shutdown import hold_early_stops
from ledger.logs import configure
from ledger.store.database import stop_embedded
from ledger.store.keys import Scope, create_key, tenant_exists

DEMO_TENANT = "demo"
DEMO_KEY_NAME = "demo-admin"


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the HTTP API (embedded PostgreSQL unless LEDGER_DATABASE_URL)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=None)
    serve.set_defaults(func=cmd_serve)
    mig = sub.add_parser("migrate", help="apply pending database migrations")
    mig.set_defaults(func=cmd_migrate)
    api = sub.add_parser("openapi", help="print the OpenAPI document")
    api.set_defaults(func=cmd_openapi)


async def _ensure_demo(url: str, data_dir: Path) -> str | None:
    """On the embedded database's first start: a `demo` tenant and an admin key (returned once)."""
    conn = await connect(url)
    try:
        if await tenant_exists(conn, DEMO_TENANT):
            return None
        key = await create_key(conn, DEMO_TENANT, DEMO_KEY_NAME, Scope.ADMIN)
    finally:
        await conn.close()
    key_file = data_dir / "demo-admin.key"
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    return key


def cmd_serve(args: argparse.Namespace) -> int:
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.http import HTTP1Settings

    settings = Settings.from_env()
    configure(settings.log_format, settings.log_level)
    url, embedded = database_url(settings)
    try:
        applied = asyncio.run(migrated(url))
        host, port = args.host or settings.host, args.port or settings.port
        if embedded:
            key = asyncio.run(_ensure_demo(url, settings.data_dir.resolve()))
            _print_welcome(host, port, settings.data_dir.resolve(), key)
        if applied:
            print(f"applied migrations: {', '.join(applied)}", file=sys.stderr)
        # Workers read their settings from the environment; they need not migrate again.
        _metrics_dir()
        os.environ["LEDGER_DATABASE_URL"] = url
        os.environ["LEDGER_MIGRATE_ON_START"] = "false"
        # A worker keeps a stop signal from its first instant (ledger/http/shutdown.py): granian's
        # server may send one between the fork and the app's first line.
        os.register_at_fork(after_in_child=hold_early_stops)
        Granian(
            "ledger.http.asgi:create",
            factory=True,
            address=host,
            port=port,
            workers=args.workers or settings.workers,
            interface=Interfaces.ASGI,
            # asyncpg's own choice: its protocol and the loop's transports in C, not in Python.
            loop=Loops.uvloop,
            log_access=False,
            respawn_failed_workers=True,
            # A worker that does not stop within the grace is killed, so a stop always ends.
            workers_kill_timeout=max(1, math.ceil(settings.shutdown_grace_s)),
            # Bounds the request head (431 past it) and how long a client may take to send it.
            http1_settings=HTTP1Settings(
                max_buffer_size=max(8192, settings.max_header_bytes), header_read_timeout=10_000
            ),
        ).serve()
    finally:
        if embedded:
            stop_embedded(settings.data_dir)
    return 0


def _metrics_dir() -> None:
    """Every worker writes its metrics to one directory, so a scrape of any worker sums them all.

    A directory given in PROMETHEUS_MULTIPROC_DIR is emptied of the last run's files; else a
    fresh temporary one is used.
    """
    import tempfile

    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="crisis-ledger-metrics-")


def _print_welcome(host: str, port: int, data_dir: Path, key: str | None) -> None:
    base = f"http://{host}:{port}"
    key_file = data_dir / "demo-admin.key"
    lines = [
        "",
        f"crisis-ledger on {base} (embedded PostgreSQL, data in {data_dir})",
    ]
    if key:
        lines.append(f"  created tenant 'demo' with admin key (also saved in {key_file}):")
        lines.append(f"    {key}")
    else:
        lines.append(f"  tenant 'demo': its admin key is in {key_file}")
    lines += [
        "  try:",
        f"    export KEY=$(cat {key_file})",
        f'    curl -s -X POST {base}/v1/incidents -H "Authorization: Bearer $KEY" \\',
        "      -H 'Content-Type: application/json' \\",
        '      -d \'{"title": "Complaint thread going viral", "severity": "sev2", "channel": "x"}\'',
        f"  crisis room (sign in with the key): {base}/",
        f"  OpenAPI: {base}/schema/openapi.json",
        "",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)


def cmd_migrate(_: argparse.Namespace) -> int:
    settings = Settings.from_env()
    configure(settings.log_format, settings.log_level)
    url, embedded = database_url(settings)
    try:
        applied = asyncio.run(migrated(url))
    finally:
        if embedded:
            stop_embedded(settings.data_dir)
    print("applied: " + (", ".join(applied) if applied else "nothing (up to date)"), file=sys.stderr)
    return 0


def openapi_document() -> str:
    """The service's OpenAPI document, as committed in schemas/openapi.json."""
    import json

    from litestar.serialization import encode_json

    from ledger.http.app import create_app

    schema = create_app(Settings(), "postgresql://unused").openapi_schema.to_schema()
    return json.dumps(json.loads(encode_json(schema)), indent=2, sort_keys=True) + "\n"


def cmd_openapi(_: argparse.Namespace) -> int:
    sys.stdout.write(openapi_document())
    return 0
