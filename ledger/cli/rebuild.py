"""`crisis-ledger projections rebuild`: read models folded again from the events."""

from __future__ import annotations

import argparse
import sys

import asyncpg

from ledger.cli.database import with_pool
from ledger.cli.terminal import Progress, summary
from ledger.config import Settings
from ledger.domain.errors import LedgerError
from ledger.logs import configure


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    proj = sub.add_parser("projections", help="manage read models")
    psub = proj.add_subparsers(dest="projections_command", required=True)
    rebuild = psub.add_parser("rebuild", help="rebuild read models from the events (safe while serving)")
    rebuild.add_argument("name", nargs="?", default=None, help="one projection (default: all)")
    rebuild.set_defaults(func=cmd_rebuild)


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
        done, bar = with_pool(settings, run)
    except LedgerError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    for name, position in done.items():
        print(f"rebuilt {name} (events applied up to the tenants' heads: {position})", file=sys.stderr)
    summary(f"Rebuilt {', '.join(done)} from {bar.done:,} events in {bar.elapsed:.1f} s.")
    return 0
