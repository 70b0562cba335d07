"""Where the tenant's emergency plan is kept: one row per version beside its policy_changed event."""

from __future__ import annotations

import asyncpg

CURRENT_POLICY = """
SELECT version, document::text AS document FROM policies
 WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1
"""


class PolicyStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def current_roles(self, tenant: str) -> tuple[int, frozenset[str]]:
        """The version in force and its role catalogue (version 0: the built-in default plan)."""
        from projections.policy import DEFAULT_POLICY, parse_policy

        row = await self.pool.fetchrow(CURRENT_POLICY, tenant)
        if row is None:
            return 0, frozenset(DEFAULT_POLICY.roles)
        policy = parse_policy(row["document"].encode(), row["version"])
        return row["version"], frozenset(policy.roles)
