"""A report's queries: run at once on two connections, in one snapshot, with plans for the filters given."""

from __future__ import annotations

from projections.reports import REPORT_WORK_MEM, in_one_snapshot


async def test_the_queries_share_one_snapshot_and_plan_for_the_given_filters(pool):
    snapshots = await in_one_snapshot(
        pool,
        lambda c: c.fetchval("SELECT pg_current_snapshot()::text"),
        lambda c: c.fetchval("SELECT pg_current_snapshot()::text"),
    )
    assert snapshots[0] == snapshots[1]
    modes = await in_one_snapshot(
        pool, lambda c: c.fetchval("SHOW plan_cache_mode"), lambda c: c.fetchval("SHOW work_mem")
    )
    assert modes == ["force_custom_plan", REPORT_WORK_MEM]
    # Only inside the report's transaction: the pooled connections go back as they were.
    for _ in range(pool.get_max_size()):
        async with pool.acquire() as c:
            assert await c.fetchval("SHOW plan_cache_mode") == "auto"
            assert await c.fetchval("SHOW work_mem") != REPORT_WORK_MEM


async def test_a_row_committed_meanwhile_is_seen_by_neither_query(pool):
    await pool.execute("CREATE TABLE IF NOT EXISTS snapshot_probe (n integer)")
    await pool.execute("TRUNCATE snapshot_probe")

    async def first(c):  # commits a row from outside while the report runs
        await pool.execute("INSERT INTO snapshot_probe VALUES (1)")
        return await c.fetchval("SELECT count(*) FROM snapshot_probe")

    async def second(c):
        return await c.fetchval("SELECT count(*) FROM snapshot_probe")

    assert await in_one_snapshot(pool, first, second) == [0, 0]
    assert await pool.fetchval("SELECT count(*) FROM snapshot_probe") == 1


async def test_with_no_spare_connection_the_queries_run_one_after_another(database_url):
    from ledger.config import Settings
    from ledger.store.database import create_pool

    single = await create_pool(database_url, Settings(), min_size=1, max_size=1)
    try:
        results = await in_one_snapshot(
            single,
            lambda c: c.fetchval("SELECT pg_current_snapshot()::text"),
            lambda c: c.fetchval("SELECT pg_current_snapshot()::text"),
        )
        assert results[0] == results[1]  # one transaction: one snapshot
    finally:
        await single.close()
