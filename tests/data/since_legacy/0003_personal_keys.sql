-- Made to 0001_baseline in place: personal keys. A key may belong to a person (api_keys.person);
-- each event says whether its actor is that verified person (events.actor_verified, NULL on rows
-- recorded before), and ledger_append takes it as its new p_actor_verified argument.
ALTER TABLE api_keys ADD COLUMN person text;
ALTER TABLE events ADD COLUMN actor_verified boolean;

DROP FUNCTION ledger_append(text, uuid, integer, uuid[], text[], timestamptz[], jsonb[], text[], text, text,
                            text, bytea, integer, text, text, text, text, text, timestamptz);
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
