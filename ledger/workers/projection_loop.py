"""The projection runner's background loop: every round, catch up the tenants whose views are behind."""

from __future__ import annotations

import asyncio

import asyncpg
import structlog

from ledger.workers.leader import Leader
from projections.fold_cache import FoldCache
from projections.runner import TENANTS_BEHIND, Projection, catch_up

log = structlog.get_logger(__name__)


async def run_forever(
    pool: asyncpg.Pool,
    projections: dict[str, Projection],
    folds: FoldCache,
    interval: float,
    lead: Leader | None = None,
) -> None:
    """The background loop: catch up every tenant that is behind, for every projection, then
    wait `interval` seconds, and again. With `lead`, only while this process leads (ledger.workers.leader):
    one process's folds (`folds`) then follow every tenant, instead of each process folding again
    what the others applied since its own last run.

    Nothing waits on it: a read that must see the views catches up itself (`catch_up_all`), and
    the breach watch catches up the views it reads. So the interval only bounds how far behind
    the tables fall between reads and how much a read may have to apply itself. A longer one
    applies more events per run: a stream touched several times is folded and written once, and
    each tenant's few statements per run serve more events."""
    names = list(projections)
    while True:
        try:
            if lead is None or await lead.held():
                for row in await pool.fetch(TENANTS_BEHIND, names):
                    await catch_up(pool, list(projections.values()), row["id"], wait=False, folds=folds)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # keep the loop alive through database outages
            log.warning("projection_loop_error", error=type(exc).__name__, detail=str(exc)[:200])
        await asyncio.sleep(interval)
