-- The whole schema of crisis-ledger, in one file, by table family:
--
--   1. tenants and access     tenants (each with its chain head), api_keys, rate_windows
--   2. the event log          events (append-only, enforced by triggers) and its audit indexes
--   3. the write side         incidents (one row per stream), policies, idempotency_keys,
--                             and ledger_append, the one function every append goes through
--   4. audit                  audit_checkpoints (signed chain heads)
--   5. read models            projection_checkpoints, incident_views, incident_snapshots,
--                             assignee_spans, assignee_load, sla_notices, the report rows,
--                             and the two functions the grouped SLA report calls
--   6. webhooks               webhook_subscriptions, webhook_deliveries
--   7. the crisis room        web_sessions (people signed in to the web pages)
--
-- It replaced eleven migrations before the first release; tests/test_baseline_migration.py
-- checks that it builds the very schema they built (tests/data/legacy_migrations/).
--
-- Every table that holds tenant data leads with tenant_id and every query names it: the schema
-- is ready to be distributed by tenant_id (Citus) without a cross-tenant join anywhere
-- (deploy/README.md lists each table's distribution).
--
-- No SQL here is restated by the service: the rows of the read models are written by their
-- projections (projections/), the report queries live in projections/reports.py.


-- 1. Tenants and access ------------------------------------------------------------------------

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
    revoked_at  timestamptz,
    -- A personal key's person: writes with it are recorded as done by this person, verified
    -- (events.actor_verified). NULL: an integration key, whose writes name (claim) their actor.
    person      text
);
CREATE UNIQUE INDEX api_keys_active_name ON api_keys (tenant_id, name) WHERE revoked_at IS NULL;

-- Per-key request counts in fixed one-minute windows, shared by every server process.
-- UNLOGGED: counts are worth nothing after a crash and must not cost WAL on every request.
CREATE UNLOGGED TABLE rate_windows (
    key_hash      bytea       NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer     NOT NULL,
    PRIMARY KEY (key_hash, window_start)
);


-- 2. The event log -----------------------------------------------------------------------------

-- Positions are per tenant and gapless; (incident_id, version) numbers one incident's stream,
-- and tenant-level events (policy changes) have neither.
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
    -- true: the actor is the person of the personal key that wrote the event; false: the actor
    -- was claimed (an integration key). NULL: recorded before personal keys existed; such rows
    -- hash without it, so histories recorded before keep their hashes (schemas/events.py).
    actor_verified boolean,
    PRIMARY KEY (tenant_id, position),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, incident_id, version),
    CHECK ((incident_id IS NULL) = (version IS NULL))
);

-- GET /v1/audit/events?actor= / ?recorded_by= walk these in position order.
CREATE INDEX events_by_actor ON events (tenant_id, actor, position);
CREATE INDEX events_by_recorder ON events (tenant_id, recorded_by, position);
-- The export and the audit list find a time window's first position by recorded_at.
CREATE INDEX events_by_recorded_at ON events (tenant_id, recorded_at);
-- An incident's public statements (GET /v1/incidents/{id}/statements, the latest few on the
-- incident): replies are a small part of a stream, and each can be 15 KB of text.
CREATE INDEX events_public_replies ON events (tenant_id, incident_id, version)
    WHERE type = 'replied' AND data->>'visibility' = 'public';

-- Events are never changed or removed: UPDATE, DELETE and TRUNCATE are refused. There is no
-- trigger on INSERT: the live feed's wake-ups are sent by the appending process after its commit
-- (ledger/notify.py), because a NOTIFY inside the appending transaction takes PostgreSQL's
-- database-wide notification lock at commit and serialized the appends of all tenants.
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


-- 3. The write side ----------------------------------------------------------------------------

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
-- At most one open incident per dedup key: the race between two detections is settled here.
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

-- What an Idempotency-Key's first request appended and answered; a retry gets the same answer.
-- Writes of configuration (webhook subscriptions) append no event: they are not crisis facts, and
-- an event would move every feed position after it. They keep their key here too, with the answer
-- they gave (`response`, the JSON body) in place of the feed positions they do not have.
CREATE TABLE idempotency_keys (
    tenant_id       text        NOT NULL,
    key             text        NOT NULL,
    request_hash    bytea       NOT NULL,
    incident_id     uuid,
    first_position  bigint,
    last_position   bigint,
    status_code     integer     NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    response        bytea,
    PRIMARY KEY (tenant_id, key)
);

-- Append events to one stream (or, with p_incident NULL, tenant-level events such as policy
-- changes) in one round trip.
--
-- p_expected: the stream version the caller decided on; 0 means the stream must not exist yet.
-- Outcomes: appended | replayed (same idempotency key and request) | key_reused (same key, other
-- request) | conflict (stream moved on; `version` is where it is now, and `missed` the events the
-- caller has not seen, a JSON array of [version, type, occurred_at, data], so a process whose
-- cached state was behind decides again without another round trip) | exists (0 expected, but
-- the stream is there) | missing (stream not found) | dedup (an open incident has the dedup key;
-- `incident_id` names it) | no_tenant.
--
-- p_digests: each event's schemas.events.body_digest, computed by the caller from the very values
-- passed here (p_actor_verified included, so the chain covers whether the actor was verified).
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
    p_actor_verified boolean,
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
    OUT status_code    integer,
    OUT missed         text
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
            IF v_current > p_expected THEN
                -- What the caller has not seen, so it can decide again without reading the stream.
                SELECT json_agg(json_build_array(e.version, e.type, e.occurred_at, e.data) ORDER BY e.version)
                  INTO missed FROM events e
                 WHERE e.tenant_id = p_tenant AND e.incident_id = p_incident AND e.version > p_expected;
            END IF;
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
                            recorded_at, actor, recorded_by, data, prev_hash, hash, actor_verified)
        VALUES (p_tenant, v_position, p_ids[i], p_incident,
                CASE WHEN p_incident IS NULL THEN NULL ELSE p_expected + i END,
                p_types[i], p_occurred[i], recorded_at, p_actor, p_recorded_by, p_data[i],
                prev_hashes[i], v_hash, p_actor_verified);
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


-- 4. Audit -------------------------------------------------------------------------------------

-- Signed checkpoints of each tenant's chain head. One signature per (tenant, position): several
-- processes may sign the same head; the first wins. The public key is kept with each checkpoint
-- so that a rotated key does not orphan old ones.
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


-- 5. Read models -------------------------------------------------------------------------------
--
-- Each projection keeps one checkpoint per tenant (positions are per tenant). A batch of events
-- is applied and its checkpoint advanced in one transaction, with the checkpoint row locked, so
-- an event is applied exactly once however many processes run the projections.
--
-- Stored views are rendered "as of" the incident's latest occurred_at, never as of the clock
-- when the projection happened to run: a rebuild yields the very same rows. What the passage of
-- time changes since then (a pending milestone going overdue, an uncovered role accruing time)
-- is applied at query time from the stored due times and `as_of`.

CREATE TABLE projection_checkpoints (
    tenant_id   text   NOT NULL,
    projection  text   NOT NULL,
    position    bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, projection)
);

CREATE TABLE incident_views (
    tenant_id            text        NOT NULL,
    incident_id          uuid        NOT NULL,
    version              integer     NOT NULL,
    status               text        NOT NULL,
    severity             text        NOT NULL,
    scenario             text,
    channel              text        NOT NULL,
    start_at             timestamptz NOT NULL,
    policy_version       integer     NOT NULL,
    as_of                timestamptz NOT NULL,
    -- acknowledge, first_response, resolve: target, status, due, met, breached, elapsed.
    ack_target           integer,
    ack_status           text,
    ack_due_at           timestamptz,
    ack_met_at           timestamptz,
    ack_elapsed          integer,
    first_target         integer,
    first_status         text,
    first_due_at         timestamptz,
    first_met_at         timestamptz,
    first_elapsed        integer,
    resolve_target       integer,
    resolve_status       text,
    resolve_due_at       timestamptz,
    resolve_met_at       timestamptz,
    resolve_elapsed      integer,
    -- update: one sample per completed gap, plus overdue gaps that never got a reply.
    update_target        integer,
    update_status        text,
    update_next_due_at   timestamptz,
    update_gap_seconds   integer[]   NOT NULL DEFAULT '{}',
    update_gap_breached  boolean[]   NOT NULL DEFAULT '{}',
    update_unanswered    integer     NOT NULL DEFAULT 0,
    -- coverage
    required_roles       text[]      NOT NULL DEFAULT '{}',
    missing_roles        text[]      NOT NULL DEFAULT '{}',
    full_coverage_at     timestamptz,
    uncovered_seconds    jsonb       NOT NULL DEFAULT '{}',
    -- roles still missing when the acknowledgement target passed; NULL while that lies after as_of
    missing_at_ack_due   text[],
    -- reach: the highest and the latest the detection and the signals gave (NULL: none given)
    peak_reach           bigint,
    latest_reach         bigint,
    -- an escalation suggestion is due (ledger.domain.rules.escalation_due); the breach watch records it
    escalation_due       boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, incident_id)
);
CREATE INDEX incident_views_start ON incident_views (tenant_id, start_at);
-- Lists filtered by ?min_reach= start from the incidents with that much reach.
CREATE INDEX incident_views_reach ON incident_views (tenant_id, peak_reach) WHERE peak_reach IS NOT NULL;
-- The breach watch asks every round for the escalations due: almost always none.
CREATE INDEX incident_views_escalation_due ON incident_views (tenant_id) WHERE escalation_due;
-- The breach watch reads only open incidents: which tenants have any (every round, in every
-- process) and their pending milestones. Without this index each round scanned every view of
-- every tenant (measured: 40 ms plus 150 ms per round at 100,000 incidents, in each process).
CREATE INDEX incident_views_open ON incident_views (tenant_id) WHERE status = 'open';

-- Snapshots of an incident's folds (projections/snapshots.py): the decider's state, the SLA and
-- coverage folds and the count of public statements at every `every`-th version, msgspec-encoded,
-- so that a read folds only the events after the latest one (at or before the version, or the
-- instant, it reads). A read uses one only if the event at its version still has `hash` (the
-- chain pins every event before it) and `fold_code` is the code's own (a snapshot of older fold
-- shapes is ignored until rebuilt). `recorded_upto`: the latest recorded_at among its events,
-- so an as_of read knows every one of them was recorded by then.
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

-- Who held a role while the incident was open: one row per (incident, assignee) span.
CREATE TABLE assignee_spans (
    tenant_id    text        NOT NULL,
    incident_id  uuid        NOT NULL,
    assignee     text        NOT NULL,
    seq          integer     NOT NULL,
    start_at     timestamptz NOT NULL,
    end_at       timestamptz,
    PRIMARY KEY (tenant_id, incident_id, assignee, seq)
);
CREATE INDEX assignee_spans_assignee ON assignee_spans (tenant_id, assignee);

-- Each assignee's figures over all of a tenant's incidents (the coverage report without filters),
-- kept by the assignee_spans projection for the assignees a batch touched: computing them from
-- every span on each report took over a second at 100,000 incidents. Filtered reports still
-- compute from the spans of the incidents they select.
CREATE TABLE assignee_load (
    tenant_id  text    NOT NULL,
    assignee   text    NOT NULL,
    incidents  integer NOT NULL,
    peak       integer NOT NULL,
    PRIMARY KEY (tenant_id, assignee)
);

-- SLA notices the breach watch has recorded: one per (incident, metric, kind, due time), so
-- several processes watching at once record each notice exactly once.
CREATE TABLE sla_notices (
    tenant_id    text        NOT NULL,
    incident_id  uuid        NOT NULL,
    metric       text        NOT NULL,
    kind         text        NOT NULL,
    due_at       timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, incident_id, metric, kind, due_at)
);

-- The rows the SLA and coverage reports read, derived from incident_views by the same projection
-- in the same transaction (projections/reports.py, SLA_ROWS and COVERAGE_ROWS, is the mapping):
-- narrow, fixed-width columns first, no NULLs before the text columns, states as small integers.
-- PostgreSQL reads a 500-byte view row's columns one by one to reach the report's; over 100,000
-- incidents that, and comparing status texts, was most of a report's time (measured: these
-- tables answer the same queries 2-3x faster).

-- One row per incident. *_state: 0 no target, 1 pending, 2 met, 3 breached, 4 cancelled.
-- 'infinity' stands for no due time, -1 for no elapsed time (elapsed is never negative).
CREATE TABLE sla_report_rows (
    start_at              timestamptz NOT NULL,
    ack_due               timestamptz NOT NULL,
    first_due             timestamptz NOT NULL,
    resolve_due           timestamptz NOT NULL,
    -- an open incident's running update gap falling due after its view's as_of
    update_running_due    timestamptz NOT NULL,
    ack_elapsed           integer     NOT NULL,
    first_elapsed         integer     NOT NULL,
    resolve_elapsed       integer     NOT NULL,
    update_gaps           integer     NOT NULL,
    update_gaps_breached  integer     NOT NULL,
    update_unanswered     integer     NOT NULL,
    ack_state             smallint    NOT NULL,
    first_state           smallint    NOT NULL,
    resolve_state         smallint    NOT NULL,
    has_update_target     boolean     NOT NULL,
    incident_id           uuid        NOT NULL,
    tenant_id             text        NOT NULL,
    severity              text        NOT NULL,
    channel               text        NOT NULL,
    start_week            text        NOT NULL,  -- start_at's ISO week in UTC, as reports group it
    scenario              text,
    update_gap_seconds    integer[]   NOT NULL,
    peak_reach            bigint,
    PRIMARY KEY (tenant_id, incident_id)
);

-- One row per incident and role its current severity requires.
CREATE TABLE coverage_report_rows (
    start_at              timestamptz NOT NULL,
    as_of                 timestamptz NOT NULL,
    ack_due               timestamptz NOT NULL,
    uncovered             bigint      NOT NULL,
    is_open               boolean     NOT NULL,
    -- whether the roles missing when the acknowledgement fell due are known (else: not yet due)
    ack_due_passed        boolean     NOT NULL,
    missing_when_ack_due  boolean     NOT NULL,
    missing_now           boolean     NOT NULL,
    incident_id           uuid        NOT NULL,
    tenant_id             text        NOT NULL,
    role                  text        NOT NULL,
    severity              text        NOT NULL,
    channel               text        NOT NULL,
    scenario              text
);
CREATE INDEX coverage_report_rows_incident ON coverage_report_rows (tenant_id, incident_id);

-- The grouped SLA reports (projections/reports.py, SLA_REPORT_GROUPED) collect each group's
-- samples into an array, sort it with ledger_sorted and read the percentiles off it with
-- ledger_percentiles: percentile_cont over the unnested array was a function scan into a
-- tuplestore and a sort, per group and milestone.

-- `sorted` (ascending, no NULLs) at each of `fractions`, exactly as percentile_cont computes them
-- (src/backend/utils/adt/orderedsetaggs.c): with n values, the value at 0-based row
-- floor(p * (n - 1)), plus (p * (n - 1) - that row) times the difference to the value at row
-- ceil(p * (n - 1)), in float8 in that order of operations. NULL for no values.
CREATE FUNCTION ledger_percentiles(sorted anyarray, fractions float8[]) RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_agg(
               sorted[1 + floor(p * (cardinality(sorted) - 1))::int]::float8
               + ((p * (cardinality(sorted) - 1)) - floor(p * (cardinality(sorted) - 1)))
                 * (sorted[1 + ceil(p * (cardinality(sorted) - 1))::int]::float8
                    - sorted[1 + floor(p * (cardinality(sorted) - 1))::int]::float8)
               ORDER BY i)
      FROM unnest(fractions) WITH ORDINALITY AS f(p, i)
     WHERE cardinality(sorted) > 0
$$;

-- An array in ascending order (the milestones' int samples, the peak reach's bigints): array_sort
-- on PostgreSQL 18 and later (a sort in C, about a fifth faster grouped reports measured at
-- 100,000 incidents); before it, the same order through a sort of the unnested values (as fast as
-- what it replaces). Both keep an empty array empty and NULL NULL. Which body a database gets
-- depends on the server it was migrated on: moving a database to an older server needs the
-- fallback created again. (An aggregate with its own ORDER BY instead would keep the grouped
-- reports from hashing their groups: every row sorted by group, about 3x the query's time.)
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 180000 THEN
        EXECUTE $f$CREATE FUNCTION ledger_sorted(vals anyarray) RETURNS anyarray
                   LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT array_sort(vals)'$f$;
    ELSE
        EXECUTE $f$CREATE FUNCTION ledger_sorted(vals anyarray) RETURNS anyarray
                   LANGUAGE sql IMMUTABLE PARALLEL SAFE
                   AS 'SELECT coalesce(array_agg(v ORDER BY v), vals) FROM unnest(vals) AS v'$f$;
    END IF;
END
$$;


-- 6. Webhooks ----------------------------------------------------------------------------------

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
    -- What a delivery posts: the signed event (standard), or a chat message (ledger/webhooks/chat.py).
    format           text        NOT NULL DEFAULT 'standard' CHECK (format IN ('standard', 'slack', 'teams')),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhook_subscriptions_list ON webhook_subscriptions (tenant_id, seq);
CREATE INDEX webhook_subscriptions_due ON webhook_subscriptions (next_attempt_at) WHERE enabled;

-- One row per delivery attempt (automatic or manual).
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


-- 7. The crisis room ---------------------------------------------------------------------------

-- A person signed in to the web pages with an API key (ledger/service/web_sessions.py). The cookie
-- holds the tenant and a random session id; only the id's sha256 is kept, so a read of this table
-- cannot be replayed as a cookie. The key's hash is kept to check on every request that the key is
-- still active: revoking the key ends its sessions. The tenant leads the key, like every tenant
-- table, so a session is found without a cross-tenant look-up.
CREATE TABLE web_sessions (
    tenant_id   text        NOT NULL REFERENCES tenants (id),
    id_hash     bytea       NOT NULL,
    key_hash    bytea       NOT NULL,
    key_name    text        NOT NULL,
    scope       text        NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    -- Every form of the session carries it; a POST without it is refused (403).
    csrf_token  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id_hash)
);
CREATE INDEX web_sessions_expiry ON web_sessions (tenant_id, expires_at);
