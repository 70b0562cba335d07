"""Webhook delivery progress: the due work list, each subscription's cursor and backoff, the attempt log.

The subscriptions themselves (created, edited, listed through the API): ledger/store/webhooks.py.
The worker that runs these statements: ledger/webhooks/delivery.py.
"""

from __future__ import annotations

from ledger.store.events import EVENT_COLUMNS

# The work list across tenants (like the breach watch's): enabled subscriptions that have events
# past their cursor, the due ones first, each with the seconds until it is due (<= 0: due now).
# Each due one is then claimed and read by (tenant_id, id); the first not yet due says when a
# retry comes due, so the worker looks again then.
DUE = """
SELECT s.tenant_id, s.id, extract(epoch FROM s.next_attempt_at - now())::float8 AS wait_s
  FROM webhook_subscriptions s JOIN tenants t ON t.id = s.tenant_id
 WHERE s.enabled AND t.head_position >= s.next_position
 ORDER BY s.next_attempt_at
 LIMIT $1
"""

# The tenants with an enabled subscription: only their new events can make work for the worker.
SUBSCRIBED_TENANTS = "SELECT DISTINCT tenant_id FROM webhook_subscriptions WHERE enabled"

READ_CLAIMED = """
SELECT url, event_types, secret, next_position, attempts, failing_since, format
  FROM webhook_subscriptions
 WHERE tenant_id = $1 AND id = $2 AND enabled AND next_attempt_at <= now()
"""

# The first event at or after the cursor that the subscription wants, up to the head read before.
NEXT_EVENT = f"""
SELECT {EVENT_COLUMNS} FROM events
 WHERE tenant_id = $1 AND position >= $2 AND position <= $3
   AND ('*' = ANY($4::text[]) OR type = ANY($4::text[]))
 ORDER BY position
 LIMIT 1
"""

# Every state change names the cursor it was decided at ($3): if a redelivery request moved the
# cursor meanwhile, the change is dropped and the request wins.
SKIP_TO = """
UPDATE webhook_subscriptions SET next_position = $4
 WHERE tenant_id = $1 AND id = $2 AND next_position = $3
"""

SUCCEEDED = """
UPDATE webhook_subscriptions
   SET next_position = $4, attempts = 0, failing_since = NULL, next_attempt_at = now(), updated_at = now()
 WHERE tenant_id = $1 AND id = $2 AND next_position = $3
"""

FAILED = """
UPDATE webhook_subscriptions
   SET attempts = attempts + 1, failing_since = coalesce(failing_since, $4), next_attempt_at = $5,
       updated_at = now()
 WHERE tenant_id = $1 AND id = $2 AND next_position = $3
"""

DISABLE = """
UPDATE webhook_subscriptions
   SET enabled = false, disabled_reason = $4, attempts = attempts + 1,
       failing_since = coalesce(failing_since, now()), updated_at = now()
 WHERE tenant_id = $1 AND id = $2 AND next_position = $3
"""

LOG_ATTEMPT = """
INSERT INTO webhook_deliveries (tenant_id, subscription_id, id, event_id, position, event_type, attempt,
                                manual, started_at, latency_ms, status_code, succeeded, error,
                                next_attempt_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
"""
