-- Audit: signed checkpoints of each tenant's chain head, and indexes for "who did what".

-- One signature per (tenant, position): several processes may sign the same head; the first wins.
-- The public key is kept with each checkpoint so that a rotated key does not orphan old ones.
CREATE TABLE audit_checkpoints (
    tenant_id   text        NOT NULL REFERENCES tenants (id),
    position    bigint      NOT NULL,
    head_hash   text        NOT NULL,
    signed_at   timestamptz NOT NULL,
    key_id      text        NOT NULL,
    public_key  text        NOT NULL,
    signature   text        NOT NULL,
    PRIMARY KEY (tenant_id, position)
);

-- GET /v1/audit/events?actor= / ?recorded_by= walk these in position order.
CREATE INDEX events_by_actor ON events (tenant_id, actor, position);
CREATE INDEX events_by_recorder ON events (tenant_id, recorded_by, position);
-- The export and the audit list find a time window's first position by recorded_at.
CREATE INDEX events_by_recorded_at ON events (tenant_id, recorded_at);
