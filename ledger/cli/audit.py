"""`crisis-ledger audit verify|verify-export`: the hash chains checked in the database, or an
export checked offline."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import asyncpg

from ledger.cli.database import with_pool
from ledger.cli.terminal import Progress, summary
from ledger.config import Settings
from ledger.logs import configure


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Verify every tenant's chain (or one), as GET /v1/audit/verify does; exit 1 if any is broken."""
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

    reports = with_pool(settings, run)
    for report in reports:
        print(json.dumps(report, default=str))
    broken = [str(r["tenant"]) for r in reports if not r["ok"]]
    checked = sum(int(str(r["checked"])) for r in reports)
    verdict = f"BROKEN in {', '.join(broken)}" if broken else "all intact"
    summary(f"Verified {len(reports)} tenant chain(s), {checked:,} events: {verdict}.")
    return 0 if not broken else 1


def cmd_verify_export(args: argparse.Namespace) -> int:
    """Check an export file offline: no database, no server; exit 0 ok, 1 broken, 2 unreadable."""
    from ledger.audit.export_check import ExportError, public_key_from, verify_export

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
