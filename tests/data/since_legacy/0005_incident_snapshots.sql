-- Made to 0001_baseline in place: stored snapshots of incidents' folds, and the index that finds an
-- incident's public statements (issue 23: reads cost the events since the latest snapshot, and
-- statements are paged).
CREATE INDEX events_public_replies ON events (tenant_id, incident_id, version)
    WHERE type = 'replied' AND data->>'visibility' = 'public';

CREATE TABLE incident_snapshots (
    tenant_id      text        NOT NULL,
    incident_id    uuid        NOT NULL,
    version        integer     NOT NULL,
    hash           text        NOT NULL,
    recorded_upto  timestamptz NOT NULL,
    fold_code      integer     NOT NULL,
    folds          bytea       NOT NULL,
    PRIMARY KEY (tenant_id, incident_id, version)
);
