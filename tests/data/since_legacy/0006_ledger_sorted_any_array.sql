-- Made to 0001_baseline in place: ledger_sorted takes any array, so the grouped SLA reports sort
-- each group's peak reach (bigint) with it instead of collecting it with an ordered array_agg,
-- which kept PostgreSQL from hashing the groups (every row was sorted by group first).
DROP FUNCTION ledger_sorted(int[]);
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
