-- Integrations: wake-ups for the live feed and the webhook workers, webhook subscriptions and
-- their delivery log.

-- A wake-up per append statement and tenant: 'tenant:highest position'. NOTIFY is delivered at
-- commit (and not at all on rollback), so a listener that wakes can read the rows; it is only a
-- hint, readers always read `position > last seen` from the table.
CREATE FUNCTION ledger_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT n.tenant_id, max(n.position) AS head FROM new_events n GROUP BY n.tenant_id LOOP
        PERFORM pg_notify('ledger_events', r.tenant_id || ':' || r.head);
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER events_notify AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_notify_events();

CREATE TABLE webhook_subscriptions (
    tenant_id        text        NOT NULL REFERENCES tenants (id),
    id               uuid        NOT NULL,
    -- Pagination order for lists.
    seq              bigint      GENERATED ALWAYS AS IDENTITY,
    url              text        NOT NULL,
    event_types      text[]      NOT NULL,
    enabled          boolean     NOT NULL,
    -- Standard Webhooks `whsec_<base64>`. Kept as given: the server must sign with it.
    secret           text        NOT NULL,
    -- The cursor: the next feed position to deliver. It advances only after a 2xx, so an event
    -- blocks the later ones of its subscription until it is delivered (in order, at least once).
    next_position    bigint      NOT NULL,
    -- Failed attempts of the event at the cursor, when the next one is due, and since when the
    -- subscription has been failing (null while healthy).
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    failing_since    timestamptz,
    disabled_reason  text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhook_subscriptions_list ON webhook_subscriptions (tenant_id, seq);
CREATE INDEX webhook_subscriptions_due ON webhook_subscriptions (next_attempt_at) WHERE enabled;

-- One row per attempt (automatic or manual).
CREATE TABLE webhook_deliveries (
    tenant_id        text        NOT NULL,
    subscription_id  uuid        NOT NULL,
    id               uuid        NOT NULL,
    seq              bigint      GENERATED ALWAYS AS IDENTITY,
    event_id         uuid        NOT NULL,
    position         bigint      NOT NULL,
    event_type       text        NOT NULL,
    attempt          integer     NOT NULL,
    manual           boolean     NOT NULL DEFAULT false,
    started_at       timestamptz NOT NULL,
    latency_ms       integer,
    status_code      integer,
    succeeded        boolean     NOT NULL,
    error            text,
    next_attempt_at  timestamptz,
    PRIMARY KEY (tenant_id, subscription_id, id),
    FOREIGN KEY (tenant_id, subscription_id) REFERENCES webhook_subscriptions (tenant_id, id)
        ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant_id, subscription_id, seq DESC);
