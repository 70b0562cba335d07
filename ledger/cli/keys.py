"""`crisis-ledger keys create|revoke`: a tenant's API keys, made and revoked by an operator."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable

import asyncpg

from ledger.cli.database import with_connection
from ledger.config import Settings
from ledger.domain.errors import LedgerError
from ledger.logs import configure
from ledger.store.keys import Scope, create_key, revoke_key


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    create.set_defaults(func=cmd_create)
    revoke = ksub.add_parser("revoke", help="revoke a tenant's key by name")
    revoke.add_argument("--tenant", required=True)
    revoke.add_argument("--name", required=True)
    revoke.set_defaults(func=cmd_revoke)


def cmd_create(args: argparse.Namespace) -> int:
    async def create(conn: asyncpg.Connection) -> None:
        print(await create_key(conn, args.tenant, args.name, Scope[args.scope.upper()], args.person))

    return _run(create)


def cmd_revoke(args: argparse.Namespace) -> int:
    async def revoke(conn: asyncpg.Connection) -> None:
        count = await revoke_key(conn, args.tenant, args.name)
        print(f"revoked {count} key(s) named {args.name} of tenant {args.tenant}", file=sys.stderr)

    return _run(revoke)


def _run(work: Callable[[asyncpg.Connection], Awaitable[None]]) -> int:
    settings = Settings.from_env()
    configure(settings.log_format, "warning")
    try:
        with_connection(settings, work)
    except LedgerError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    return 0
