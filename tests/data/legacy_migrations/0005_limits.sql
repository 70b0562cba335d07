-- Per-key request counts in fixed one-minute windows, shared by every server process.
-- UNLOGGED: counts are worth nothing after a crash and must not cost WAL on every request.
CREATE UNLOGGED TABLE rate_windows (
    key_hash      bytea       NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer     NOT NULL,
    PRIMARY KEY (key_hash, window_start)
);
