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

-- Fill it for the spans already there.
INSERT INTO assignee_load (tenant_id, assignee, incidents, peak)
SELECT tenant_id, assignee, sum(first), max(open_now)
  FROM (
    SELECT tenant_id, assignee, first,
           sum(delta) OVER (PARTITION BY tenant_id, assignee ORDER BY at, delta ROWS UNBOUNDED PRECEDING) AS open_now
      FROM (
        SELECT tenant_id, assignee, start_at AS at, 1 AS delta, (seq = 0)::int AS first FROM assignee_spans
        UNION ALL
        SELECT tenant_id, assignee, end_at, -1, 0 FROM assignee_spans WHERE end_at IS NOT NULL
      ) points
  ) r
 GROUP BY tenant_id, assignee;
