"""The `crisis-ledger` command: serve, migrate, projections, audit, review, what-if, keys."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import asyncpg

from ledger.config import Settings
from ledger.domain.errors import LedgerError, NotFound
from ledger.logs import configure
from ledger.store.database import embedded_running, start_embedded, stop_embedded
from ledger.store.keys import Scope, create_key, revoke_key, tenant_exists
from ledger.store.migrate import MigrationError, migrate
from ledger.terminal import Progress, summary

DEMO_TENANT = "demo"
T = TypeVar("T")
DEMO_KEY_NAME = "demo-admin"


def _database_url(settings: Settings) -> tuple[str, bool]:
    """The configured URL, or an embedded server's; True when this call started that server."""
    if settings.database_url:
        return settings.database_url, False
    started = not embedded_running(settings.data_dir)
    return start_embedded(settings.data_dir), started


async def _connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url, timeout=10)


async def _migrate(url: str) -> list[str]:
    conn = await _connect(url)
    try:
        return await migrate(conn)
    finally:
        await conn.close()


async def _ensure_demo(url: str, data_dir: Path) -> str | None:
    """On the embedded database's first start: a `demo` tenant and an admin key (returned once)."""
    conn = await _connect(url)
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
    url, embedded = _database_url(settings)
    try:
        applied = asyncio.run(_migrate(url))
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
    url, embedded = _database_url(settings)
    try:
        applied = asyncio.run(_migrate(url))
    finally:
        if embedded:
            stop_embedded(settings.data_dir)
    print("applied: " + (", ".join(applied) if applied else "nothing (up to date)"), file=sys.stderr)
    return 0


def _with_database(action: str, args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    configure(settings.log_format, "warning")
    url, embedded = _database_url(settings)

    async def run() -> None:
        await _migrate(url)
        conn = await _connect(url)
        try:
            if action == "create":
                print(await create_key(conn, args.tenant, args.name, Scope[args.scope.upper()], args.person))
            else:
                count = await revoke_key(conn, args.tenant, args.name)
                print(f"revoked {count} key(s) named {args.name} of tenant {args.tenant}", file=sys.stderr)
        finally:
            await conn.close()

    try:
        asyncio.run(run())
    except LedgerError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    finally:
        if embedded:
            stop_embedded(settings.data_dir)
    return 0


def _with_pool(settings: Settings, work: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
    """Run `work` on a small pool of the configured (or embedded) database, migrated first."""
    from ledger.store.database import create_pool

    url, embedded = _database_url(settings)

    async def run() -> T:
        await _migrate(url)
        pool = await create_pool(url, settings, min_size=1, max_size=2)
        try:
            return await work(pool)
        finally:
            await pool.close()

    try:
        return asyncio.run(run())
    finally:
        if embedded:
            stop_embedded(settings.data_dir)


def cmd_rebuild(args: argparse.Namespace) -> int:
    from ledger import gc_tuning
    from ledger.store.policies import PolicyStore
    from projections.rebuild import events_in_ledger, rebuild_all
    from projections.runner import registry

    settings = Settings.from_env()
    configure(settings.log_format, "warning")

    async def run(pool: asyncpg.Pool) -> tuple[dict[str, int], Progress]:
        projections = registry(PolicyStore(pool), settings.snapshot_every)
        names = [args.name] if args.name else list(projections)
        unknown = [n for n in names if n not in projections]
        if unknown:
            raise LedgerError(f"unknown projection {unknown[0]!r}; known: {', '.join(projections)}")
        with gc_tuning.fewer_collections(), Progress("rebuild", await events_in_ledger(pool), "events") as bar:
            return await rebuild_all(pool, projections, names, bar.advance), bar

    try:
        done, bar = _with_pool(settings, run)
    except LedgerError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    for name, position in done.items():
        print(f"rebuilt {name} (events applied up to the tenants' heads: {position})", file=sys.stderr)
    summary(f"Rebuilt {', '.join(done)} from {bar.done:,} events in {bar.elapsed:.1f} s.")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Verify every tenant's chain (or one), as GET /v1/audit/verify does; exit 1 if any is broken."""
    import json

    import msgspec

    from ledger.audit import checkpoints
    from ledger.audit import verify as audit
    from ledger.store.audit import tenants_to_verify
    from ledger.store.keys import head_position
    from projections.rebuild import events_in_ledger

    settings = Settings.from_env()
    configure(settings.log_format, "warning")

    async def run(pool: asyncpg.Pool) -> list[dict[str, object]]:
        signer = checkpoints.load_signer(settings)
        tenants = [args.tenant] if args.tenant else await tenants_to_verify(pool)
        total = await (head_position(pool, args.tenant) if args.tenant else events_in_ledger(pool))
        reports = []
        with Progress("verify", total or 0, "events") as bar:
            for tenant in tenants:
                report = await audit.verify_tenant(
                    pool, tenant, signer.public_key, trusted_keys=signer.trusted, progress=bar.advance
                )
                reports.append({"tenant": tenant, **msgspec.to_builtins(report)})
        return reports

    reports = _with_pool(settings, run)
    for report in reports:
        print(json.dumps(report, default=str))
    broken = [str(r["tenant"]) for r in reports if not r["ok"]]
    checked = sum(int(str(r["checked"])) for r in reports)
    verdict = f"BROKEN in {', '.join(broken)}" if broken else "all intact"
    summary(f"Verified {len(reports)} tenant chain(s), {checked:,} events: {verdict}.")
    return 0 if not broken else 1


def cmd_verify_export(args: argparse.Namespace) -> int:
    """Check an export file offline: no database, no server; exit 0 ok, 1 broken, 2 unreadable."""
    import json

    from ledger.audit.export import ExportError, public_key_from, verify_export

    try:
        with Progress("verify-export", 0, "events") as bar:

            def tick(done: int, total: int) -> None:
                bar.total = total
                bar.advance(done - bar.done)

            result = verify_export(Path(args.file), public_key_from(args.public_key), tick)
    except (OSError, ExportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2, default=str))
    verdict = "intact" if result["ok"] else f"BROKEN: {result.get('problem')}"
    summary(f"Checked {result['checked']:,} events of tenant {result['tenant']}'s export offline: {verdict}.")
    return 0 if result["ok"] else 1


def cmd_review(args: argparse.Namespace) -> int:
    """Print an incident's post-incident review (Markdown, or HTML with --format html)."""
    from ledger import cli_reports

    settings = Settings.from_env()
    configure(settings.log_format, "warning")
    try:
        as_of = cli_reports.instant(args.as_of, "--as-of")
        text = _with_pool(
            settings, lambda pool: cli_reports.review(pool, args.tenant, args.incident, args.format, as_of)
        )
    except LedgerError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2 if not isinstance(exc, NotFound) else 1
    sys.stdout.write(text)
    return 0


def cmd_what_if(args: argparse.Namespace) -> int:
    """Measure the window's incidents under a proposed plan; a table (or --json) on stdout."""
    from ledger import cli_reports
    from projections.reports import ReportFilter

    settings = Settings.from_env()
    configure(settings.log_format, "warning")
    try:
        document = cli_reports.proposed_plan(Path(args.policy))
        flt = ReportFilter(
            since=cli_reports.instant(args.since, "--since"),
            until=cli_reports.instant(args.until, "--until"),
            severity=args.severity,
            scenario=args.scenario,
            channel=args.channel,
        )
        out = _with_pool(settings, lambda pool: cli_reports.run_what_if(pool, args.tenant, document, flt))
    except LedgerError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        for error in exc.extra.get("errors", []):
            print(f"  - {error['message']}", file=sys.stderr)
        return 2
    sys.stdout.write(cli_reports.as_json(out) if args.json else cli_reports.summary_table(out))
    summary(f"What-if: {out.incidents:,} incidents, {out.changed_total:,} milestone(s) change status.")
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


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="crisis-ledger", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP API (embedded PostgreSQL unless LEDGER_DATABASE_URL)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=None)
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="apply pending database migrations")
    mig.set_defaults(func=cmd_migrate)

    proj = sub.add_parser("projections", help="manage read models")
    psub = proj.add_subparsers(dest="projections_command", required=True)
    rebuild = psub.add_parser("rebuild", help="rebuild read models from the events (safe while serving)")
    rebuild.add_argument("name", nargs="?", default=None, help="one projection (default: all)")
    rebuild.set_defaults(func=cmd_rebuild)

    api = sub.add_parser("openapi", help="print the OpenAPI document")
    api.set_defaults(func=cmd_openapi)

    aud = sub.add_parser("audit", help="verify the hash chains, or an export offline")
    asub = aud.add_subparsers(dest="audit_command", required=True)
    verify = asub.add_parser("verify", help="recompute and check the chain of every tenant (or one)")
    verify.add_argument("--tenant", default=None)
    verify.set_defaults(func=cmd_audit_verify)
    vexp = asub.add_parser("verify-export", help="check a GET /v1/audit/export file with no database or server")
    vexp.add_argument("file")
    vexp.add_argument(
        "--public-key",
        required=True,
        help="base64 as GET /v1/audit/public-key gives it, a PEM, or a file with either",
    )
    vexp.set_defaults(func=cmd_verify_export)

    rev = sub.add_parser("review", help="print an incident's post-incident review (Markdown or HTML)")
    rev.add_argument("incident", metavar="INCIDENT_ID")
    rev.add_argument("--tenant", required=True)
    rev.add_argument("--format", choices=["md", "html"], default="md")
    rev.add_argument("--as-of", default=None, help="the review as the ledger knew it then (RFC 3339)")
    rev.set_defaults(func=cmd_review)

    wif = sub.add_parser("what-if", help="measure past incidents under a proposed plan (writes nothing)")
    wif.add_argument("policy", metavar="POLICY.json", help="a whole policy document, as PUT /v1/policy takes it")
    wif.add_argument("--tenant", required=True)
    wif.add_argument("--since", required=True, help="incidents detected at or after (RFC 3339)")
    wif.add_argument("--until", required=True, help="incidents detected before (RFC 3339)")
    wif.add_argument("--severity", choices=["sev1", "sev2", "sev3", "sev4"], default=None)
    wif.add_argument("--scenario", default=None)
    wif.add_argument("--channel", default=None)
    wif.add_argument("--json", action="store_true", help="print the API's JSON answer instead of a table")
    wif.set_defaults(func=cmd_what_if)

    keys = sub.add_parser("keys", help="create or revoke API keys")
    ksub = keys.add_subparsers(dest="keys_command", required=True)
    create = ksub.add_parser("create", help="create a key (and the tenant if new); prints only the key")
    create.add_argument("--tenant", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--scope", required=True, choices=["read", "write", "admin"])
    create.add_argument(
        "--person",
        help="a personal key: its writes are recorded as this person (e.g. ayse@brand.example), verified",
    )
    create.set_defaults(func=lambda a: _with_database("create", a))
    revoke = ksub.add_parser("revoke", help="revoke a tenant's key by name")
    revoke.add_argument("--tenant", required=True)
    revoke.add_argument("--name", required=True)
    revoke.set_defaults(func=lambda a: _with_database("revoke", a))
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except MigrationError as exc:
        # A message that says what to do (e.g. recreate a database from before the baseline), not a traceback.
        print(f"crisis-ledger: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
