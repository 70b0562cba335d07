-- Read models and their checkpoints.
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
    PRIMARY KEY (tenant_id, incident_id)
);
CREATE INDEX incident_views_start ON incident_views (tenant_id, start_at);

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
