-- Made to 0001_baseline in place: the crisis room's sign-in sessions (ledger/service/web_sessions.py).
CREATE TABLE web_sessions (
    tenant_id   text        NOT NULL REFERENCES tenants (id),
    id_hash     bytea       NOT NULL,
    key_hash    bytea       NOT NULL,
    key_name    text        NOT NULL,
    scope       text        NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    csrf_token  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id_hash)
);
CREATE INDEX web_sessions_expiry ON web_sessions (tenant_id, expires_at);
