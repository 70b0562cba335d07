"""The `crisis-ledger` command: serve, migrate, projections, audit, review, what-if, keys.

Each module here owns a group of commands, their arguments and what they print; this one only
puts them together. A command imports the service's code it runs when it runs, so that each
starts without loading what the others need.
"""

from __future__ import annotations

import argparse
import sys

from ledger.cli import after_crisis, audit, keys, rebuild, serve
from ledger.store.migrate import MigrationError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="crisis-ledger", description=__doc__.split("\n", 1)[0])
    sub = p.add_subparsers(dest="command", required=True)
    for commands in (serve, rebuild, audit, after_crisis, keys):
        commands.add_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except MigrationError as exc:
        # A message that says what to do (e.g. recreate a database from before the baseline), not a traceback.
        print(f"crisis-ledger: {exc}", file=sys.stderr)
        return 1
