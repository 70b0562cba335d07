-- The ledger core: tenants (each with its chain head), API keys, the append-only events table,
-- the stream table (one row per incident: its version and the columns lists filter on),
-- idempotency keys, and the one function every append goes through.
--
-- Every table that holds tenant data leads with tenant_id and every query names it: the schema
-- is ready to be distributed by tenant_id (Citus) without a cross-tenant join anywhere.

CREATE TABLE tenants (
    id             text PRIMARY KEY,
    -- The chain head. Appends lock this row FOR UPDATE, so a tenant's appends serialize here:
    -- positions are drawn gaplessly and commit strictly in position order, and the hash chain
    -- needs no second look-up.
    head_position  bigint NOT NULL DEFAULT 0,
    head_hash      text   NOT NULL DEFAULT repeat('0', 64),
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    -- sha256 of the whole key. Keys are 256-bit random strings, so a fast hash is enough (a slow
    -- password hash protects low-entropy secrets) and lets a request find its key in one index probe.
    key_hash    bytea PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants (id),
    name        text NOT NULL,
    scope       text NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE UNIQUE INDEX api_keys_active_name ON api_keys (tenant_id, name) WHERE revoked_at IS NULL;

CREATE TABLE events (
    tenant_id    text        NOT NULL,
    position     bigint      NOT NULL,
    id           uuid        NOT NULL,
    incident_id  uuid,
    version      integer,
    type         text        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL,
    actor        text        NOT NULL,
    recorded_by  text        NOT NULL,
    data         jsonb       NOT NULL,
    prev_hash    text        NOT NULL,
    hash         text        NOT NULL,
    PRIMARY KEY (tenant_id, position),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, incident_id, version),
    CHECK ((incident_id IS NULL) = (version IS NULL))
);

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable: % on events is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER events_immutable_rows BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER events_immutable_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
-- ALWAYS: the triggers fire also under session_replication_role = replica, which otherwise
-- silences ordinary triggers (and is the usual way to bypass them).
ALTER TABLE events ENABLE ALWAYS TRIGGER events_immutable_rows;
ALTER TABLE events ENABLE ALWAYS TRIGGER events_immutable_truncate;

-- One row per incident stream: its current version (the optimistic-concurrency check reads it
-- before any number is drawn) and the fields incident lists filter on. Written only by
-- ledger_append, in the same transaction as the events.
CREATE TABLE incidents (
    tenant_id         text        NOT NULL,
    id                uuid        NOT NULL,
    version           integer     NOT NULL,
    status            text        NOT NULL,
    severity          text        NOT NULL,
    scenario          text,
    channel           text        NOT NULL,
    dedup_key         text,
    detected_at       timestamptz NOT NULL,
    created_position  bigint      NOT NULL,
    last_position     bigint      NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX incidents_list ON incidents (tenant_id, created_position DESC);
CREATE UNIQUE INDEX incidents_open_dedup ON incidents (tenant_id, dedup_key)
    WHERE status = 'open' AND dedup_key IS NOT NULL;

-- The tenant's emergency plan, one row per version (version 0, the built-in default, is not
-- stored). Written with its policy_changed event in one transaction.
CREATE TABLE policies (
    tenant_id   text        NOT NULL,
    version     integer     NOT NULL,
    document    jsonb       NOT NULL,
    position    bigint      NOT NULL,
    changed_by  text        NOT NULL,
    changed_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

CREATE TABLE idempotency_keys (
    tenant_id       text        NOT NULL,
    key             text        NOT NULL,
    request_hash    bytea       NOT NULL,
    incident_id     uuid,
    first_position  bigint      NOT NULL,
    last_position   bigint      NOT NULL,
    status_code     integer     NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);

-- Append events to one stream (or, with p_incident NULL, tenant-level events such as policy
-- changes) in one round trip.
--
-- p_expected: the stream version the caller decided on; 0 means the stream must not exist yet.
-- Outcomes: appended | replayed (same idempotency key and request) | key_reused (same key, other
-- request) | conflict (stream moved on; `version` is where it is now) | exists (0 expected, but
-- the stream is there) | missing (stream not found) | dedup (an open incident has the
-- dedup key; `incident_id` names it) | no_tenant.
CREATE FUNCTION ledger_append(
    p_tenant       text,
    p_incident     uuid,
    p_expected     integer,
    p_ids          uuid[],
    p_types        text[],
    p_occurred     timestamptz[],
    p_data         jsonb[],
    p_digests      text[],
    p_actor        text,
    p_recorded_by  text,
    p_idem_key     text,
    p_idem_hash    bytea,
    p_status_code  integer,
    p_status       text,
    p_severity     text,
    p_scenario     text,
    p_channel      text,
    p_dedup_key    text,
    p_detected_at  timestamptz,
    OUT outcome        text,
    OUT version        integer,
    OUT incident_id    uuid,
    OUT first_position bigint,
    OUT last_position  bigint,
    OUT recorded_at    timestamptz,
    OUT prev_hashes    text[],
    OUT hashes         text[],
    OUT status_code    integer
) LANGUAGE plpgsql AS $$
DECLARE
    v_position bigint;
    v_hash     text;
    v_current  integer;
    v_stamp    text;
    v_found    record;
    i          integer;
BEGIN
    incident_id := p_incident;
    SELECT t.head_position, t.head_hash INTO v_position, v_hash
      FROM tenants t WHERE t.id = p_tenant FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'no_tenant';
        RETURN;
    END IF;

    -- Checked under the tenant lock, so two racing requests with one key cannot both append.
    IF p_idem_key IS NOT NULL THEN
        SELECT k.request_hash, k.incident_id, k.first_position, k.last_position, k.status_code
          INTO v_found FROM idempotency_keys k
         WHERE k.tenant_id = p_tenant AND k.key = p_idem_key;
        IF FOUND THEN
            outcome := CASE WHEN v_found.request_hash = p_idem_hash THEN 'replayed' ELSE 'key_reused' END;
            incident_id := v_found.incident_id;
            first_position := v_found.first_position;
            last_position := v_found.last_position;
            status_code := v_found.status_code;
            RETURN;
        END IF;
    END IF;

    -- The expected version is checked before any position is drawn: a refused append leaves
    -- no trace, not even a gap.
    IF p_incident IS NOT NULL THEN
        SELECT s.version INTO v_current FROM incidents s
         WHERE s.tenant_id = p_tenant AND s.id = p_incident;
        IF p_expected = 0 THEN
            IF FOUND THEN
                outcome := 'exists';
                version := v_current;
                RETURN;
            END IF;
            IF p_dedup_key IS NOT NULL THEN
                SELECT s.id INTO incident_id FROM incidents s
                 WHERE s.tenant_id = p_tenant AND s.dedup_key = p_dedup_key AND s.status = 'open';
                IF FOUND THEN
                    outcome := 'dedup';
                    RETURN;
                END IF;
                incident_id := p_incident;
            END IF;
        ELSIF NOT FOUND THEN
            outcome := 'missing';
            RETURN;
        ELSIF v_current <> p_expected THEN
            outcome := 'conflict';
            version := v_current;
            RETURN;
        END IF;
    END IF;

    recorded_at := date_trunc('microseconds', clock_timestamp());
    v_stamp := to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    first_position := v_position + 1;
    prev_hashes := ARRAY[]::text[];
    hashes := ARRAY[]::text[];
    FOR i IN 1 .. cardinality(p_ids) LOOP
        v_position := v_position + 1;
        prev_hashes := prev_hashes || v_hash;
        -- Must match schemas.events.link_hash character for character.
        v_hash := encode(sha256(convert_to(
            v_hash || ':' || v_position || ':' || v_stamp || ':' || p_digests[i], 'UTF8')), 'hex');
        hashes := hashes || v_hash;
        INSERT INTO events (tenant_id, position, id, incident_id, version, type, occurred_at,
                            recorded_at, actor, recorded_by, data, prev_hash, hash)
        VALUES (p_tenant, v_position, p_ids[i], p_incident,
                CASE WHEN p_incident IS NULL THEN NULL ELSE p_expected + i END,
                p_types[i], p_occurred[i], recorded_at, p_actor, p_recorded_by, p_data[i],
                prev_hashes[i], v_hash);
    END LOOP;
    last_position := v_position;

    UPDATE tenants SET head_position = v_position, head_hash = v_hash WHERE id = p_tenant;

    IF p_incident IS NOT NULL THEN
        version := p_expected + cardinality(p_ids);
        IF p_expected = 0 THEN
            INSERT INTO incidents (tenant_id, id, version, status, severity, scenario, channel,
                                   dedup_key, detected_at, created_position, last_position)
            VALUES (p_tenant, p_incident, version, p_status, p_severity, p_scenario, p_channel,
                    p_dedup_key, p_detected_at, first_position, v_position);
        ELSE
            UPDATE incidents s SET version = ledger_append.version,
                   status = coalesce(p_status, s.status), severity = coalesce(p_severity, s.severity),
                   last_position = v_position
             WHERE s.tenant_id = p_tenant AND s.id = p_incident;
        END IF;
    END IF;

    IF p_idem_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (tenant_id, key, request_hash, incident_id, first_position,
                                      last_position, status_code)
        VALUES (p_tenant, p_idem_key, p_idem_hash, p_incident, first_position, v_position,
                p_status_code);
    END IF;
    status_code := p_status_code;
    outcome := 'appended';
END
$$;
