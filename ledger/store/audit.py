"""The audit's SQL: the chain's rows, signed checkpoints, verify's cross-checks, the export's bounds.

The code that walks, signs and exports with these is ledger/audit/; `audit_events` and
`checkpoints_before` serve the audit endpoints directly.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from ledger.store.events import EVENT_COLUMNS

# --- the chain (ledger/audit/chain.py) -------------------------------------------------------------

ROW_COLUMNS = (
    "tenant_id, position, id, incident_id, version, type, occurred_at, recorded_at, actor,"
    " recorded_by, data::text AS data, prev_hash, hash, actor_verified"
)

# The same row with the hash inputs spelled by PostgreSQL, on its own core: ids as text and both
# times as `ledger_append` spells `recorded_at` (what `rfc3339` spells). `Walker.take_spelled`.
_SPELLED = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS {}"""
SPELLED_COLUMNS = (
    "tenant_id, position, id::text AS id, incident_id::text AS incident_id, version, type, "
    + _SPELLED.format("occurred_at", "occurred_at")
    + ", "
    + _SPELLED.format("recorded_at", "recorded_at")
    + ", actor, recorded_by, data::text AS data, prev_hash, hash, actor_verified"
)

# A tenant's rows in (after, upto], in position order, at most so many: ordinary or spelled.
_RANGE = "FROM events WHERE tenant_id = $1 AND position > $2 AND position <= $3 ORDER BY position LIMIT $4"
ROWS_IN_RANGE = f"SELECT {ROW_COLUMNS} {_RANGE}"
SPELLED_IN_RANGE = f"SELECT {SPELLED_COLUMNS} {_RANGE}"

# --- signed checkpoints (ledger/audit/checkpoints.py) ----------------------------------------------

CHECKPOINT_COLUMNS = "position, head_hash, signed_at, key_id, public_key, signature"
LATEST_CHECKPOINT = (
    f"SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE tenant_id = $1 ORDER BY position DESC LIMIT 1"
)
CHECKPOINT_AT = f"SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE tenant_id = $1 AND position = $2"
TENANT_HEAD = "SELECT head_position, head_hash FROM tenants WHERE id = $1"
INSERT_CHECKPOINT = """
INSERT INTO audit_checkpoints (tenant_id, position, head_hash, signed_at, key_id, public_key, signature)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (tenant_id, position) DO NOTHING
"""
CHECKPOINTS_BEFORE = f"""
SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints
 WHERE tenant_id = $1 AND position < $2
 ORDER BY position DESC
 LIMIT $3
"""
# Tenants whose head moved past their newest checkpoint (the periodic task's work list).
TENANTS_UNSIGNED = """
SELECT t.id FROM tenants t
 WHERE t.head_position > coalesce(
       (SELECT max(c.position) FROM audit_checkpoints c WHERE c.tenant_id = t.id), 0)
"""
# The signing time, as PostgreSQL stores it (microseconds), from the database's clock.
SIGNING_TIME = "SELECT date_trunc('microseconds', clock_timestamp())"

# --- verify (ledger/audit/verify.py) ----------------------------------------------------------------

POSITION_OF_HASH = "SELECT position FROM events WHERE tenant_id = $1 AND hash = $2 LIMIT 1"
# Only at a break: is the hash (or the event id) another tenant's? One scan, never per row.
HASH_ELSEWHERE = "SELECT 1 FROM events WHERE tenant_id <> $1 AND (hash = $2 OR id = $3::uuid) LIMIT 1"
CHECKPOINTS_IN = (
    f"SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints"
    " WHERE tenant_id = $1 AND position > $2 AND position <= $3 ORDER BY position"
)
EVENT_ID_AT = "SELECT id FROM events WHERE tenant_id = $1 AND position = $2"

# The stream table must say what the incident's events say: version and positions, the status
# and severity they lead to, and the detection's facts. A row without events, or events without
# a row, is reported too. First mismatch in position order.
STREAMS_DIFFER = """
WITH ev AS (
    SELECT tenant_id, incident_id, max(version) AS version, min(position) AS created_position,
           max(position) AS last_position
      FROM events WHERE tenant_id = $1 AND incident_id IS NOT NULL GROUP BY tenant_id, incident_id
), sev AS (
    SELECT DISTINCT ON (incident_id) incident_id, data->>'severity' AS severity
      FROM events WHERE tenant_id = $1 AND type IN ('detected', 'severity_changed')
     ORDER BY incident_id, position DESC
), st AS (
    SELECT DISTINCT ON (incident_id) incident_id,
           CASE type WHEN 'resolved' THEN 'resolved' ELSE 'open' END AS status
      FROM events WHERE tenant_id = $1 AND type IN ('detected', 'resolved', 'reopened')
     ORDER BY incident_id, position DESC
), det AS (
    SELECT incident_id, occurred_at, data->>'channel' AS channel, data->>'scenario' AS scenario,
           data->>'dedup_key' AS dedup_key
      FROM events WHERE tenant_id = $1 AND type = 'detected'
), s AS (
    SELECT * FROM incidents WHERE tenant_id = $1
)
SELECT coalesce(ev.incident_id, s.id) AS incident_id,
       coalesce(ev.last_position, s.last_position) AS at,
       ev.incident_id IS NULL AS no_events, s.id IS NULL AS no_row,
       array_remove(ARRAY[
           CASE WHEN s.version <> ev.version THEN format('version %s (events: %s)', s.version, ev.version) END,
           CASE WHEN s.created_position <> ev.created_position
                THEN format('created_position %s (events: %s)', s.created_position, ev.created_position) END,
           CASE WHEN s.last_position <> ev.last_position
                THEN format('last_position %s (events: %s)', s.last_position, ev.last_position) END,
           CASE WHEN s.status IS DISTINCT FROM st.status THEN format('status %s (events: %s)', s.status, st.status) END,
           CASE WHEN s.severity IS DISTINCT FROM sev.severity
                THEN format('severity %s (events: %s)', s.severity, sev.severity) END,
           CASE WHEN s.detected_at IS DISTINCT FROM det.occurred_at THEN 'detected_at' END,
           CASE WHEN s.channel IS DISTINCT FROM det.channel THEN 'channel' END,
           CASE WHEN s.scenario IS DISTINCT FROM det.scenario THEN 'scenario' END,
           CASE WHEN s.dedup_key IS DISTINCT FROM det.dedup_key THEN 'dedup_key' END
       ], NULL) AS differs
  FROM ev
  LEFT JOIN sev USING (incident_id)
  LEFT JOIN st USING (incident_id)
  LEFT JOIN det USING (incident_id)
  FULL JOIN s ON s.tenant_id = ev.tenant_id AND s.id = ev.incident_id
 WHERE ev.incident_id IS NULL OR s.id IS NULL
    OR s.version <> ev.version OR s.created_position <> ev.created_position
    OR s.last_position <> ev.last_position
    OR s.status IS DISTINCT FROM st.status OR s.severity IS DISTINCT FROM sev.severity
    OR s.detected_at IS DISTINCT FROM det.occurred_at OR s.channel IS DISTINCT FROM det.channel
    OR s.scenario IS DISTINCT FROM det.scenario OR s.dedup_key IS DISTINCT FROM det.dedup_key
 ORDER BY 2
 LIMIT 1
"""

# Each stored policy version is the document of its policy_changed event, and each such event
# has its row: the rules measure incidents against the stored rows.
POLICIES_DIFFER = """
SELECT coalesce(p.position, e.position) AS at, p.version IS NULL AS no_row, e.position IS NULL AS no_event
  FROM (SELECT * FROM policies WHERE tenant_id = $1) p
  FULL JOIN (SELECT * FROM events WHERE tenant_id = $1 AND type = 'policy_changed') e
    ON e.tenant_id = p.tenant_id AND e.position = p.position
 WHERE p.version IS NULL OR e.position IS NULL
    OR (e.data->>'version')::int IS DISTINCT FROM p.version
    OR e.data->'policy' IS DISTINCT FROM p.document
    OR e.actor IS DISTINCT FROM p.changed_by
    OR e.occurred_at IS DISTINCT FROM p.changed_at
 ORDER BY 1
 LIMIT 1
"""


# Other tables remember positions they have seen (they are written only after the events
# commit): one beyond the head means the newest events were removed and the head row rewound,
# even before any checkpoint signed them.
WITNESSES = """
SELECT source, seen FROM (
    SELECT 'the ' || projection || ' projection' AS source, position AS seen
      FROM projection_checkpoints WHERE tenant_id = $1
    UNION ALL
    SELECT 'an idempotency key', last_position FROM idempotency_keys WHERE tenant_id = $1
    UNION ALL
    SELECT 'a webhook delivery', position FROM webhook_deliveries WHERE tenant_id = $1
    UNION ALL
    SELECT 'a webhook cursor', next_position - 1 FROM webhook_subscriptions WHERE tenant_id = $1
) w
 WHERE seen > $2
 ORDER BY seen DESC
 LIMIT 1
"""

# Every tenant for `crisis-ledger verify`: those with events but no tenants row too (a deleted
# head row is a finding).
TENANTS_TO_VERIFY = "SELECT id FROM tenants UNION SELECT DISTINCT tenant_id FROM events ORDER BY 1"


async def tenants_to_verify(pool: asyncpg.Pool) -> list[str]:
    return [row["id"] for row in await pool.fetch(TENANTS_TO_VERIFY)]


# --- the export (ledger/audit/export.py) ------------------------------------------------------------

FIRST_SINCE = """
SELECT position FROM events WHERE tenant_id = $1 AND recorded_at >= $2 ORDER BY recorded_at, position LIMIT 1
"""
LAST_BEFORE = """
SELECT position FROM events WHERE tenant_id = $1 AND recorded_at < $2
 ORDER BY recorded_at DESC, position DESC LIMIT 1
"""
PREV_HASH_AT = "SELECT prev_hash FROM events WHERE tenant_id = $1 AND position = $2"
HASH_AT = "SELECT hash FROM events WHERE tenant_id = $1 AND position = $2"
FIRST_CHECKPOINT_AT_OR_AFTER = (
    f"SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints"
    " WHERE tenant_id = $1 AND position >= $2 ORDER BY position LIMIT 1"
)

# --- who did what (GET /v1/audit/events) -----------------------------------------------------------

AUDIT_EVENTS = f"""
SELECT {EVENT_COLUMNS} FROM events
 WHERE tenant_id = $1 AND position > $2
   AND ($3::text IS NULL OR actor = $3)
   AND ($4::text IS NULL OR recorded_by = $4)
   AND ($5::text IS NULL OR type = $5)
   AND ($6::timestamptz IS NULL OR recorded_at >= $6)
   AND ($7::timestamptz IS NULL OR recorded_at < $7)
 ORDER BY position
 LIMIT $8
"""


async def audit_events(
    pool: asyncpg.Pool,
    tenant: str,
    after: int,
    actor: str | None,
    recorded_by: str | None,
    type_: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[asyncpg.Record]:
    """The tenant's events after position `after` matching the filters (None: any), in position order."""
    return await pool.fetch(AUDIT_EVENTS, tenant, after, actor, recorded_by, type_, since, until, limit)


async def checkpoints_before(pool: asyncpg.Pool, tenant: str, before: int, limit: int) -> list[asyncpg.Record]:
    """The tenant's signed checkpoints below position `before`, newest first."""
    return await pool.fetch(CHECKPOINTS_BEFORE, tenant, before, limit)
