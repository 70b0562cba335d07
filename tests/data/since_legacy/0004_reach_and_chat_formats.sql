-- Made to 0001_baseline in place: the old chain plus this builds the schema the baseline builds.
-- Reach on the stored views (lists filter on it, reports group it, the breach watch finds the
-- escalations due), and the format of a webhook subscription (standard, slack, teams).
ALTER TABLE incident_views
    ADD COLUMN peak_reach bigint,
    ADD COLUMN latest_reach bigint,
    ADD COLUMN escalation_due boolean NOT NULL DEFAULT false;
CREATE INDEX incident_views_reach ON incident_views (tenant_id, peak_reach) WHERE peak_reach IS NOT NULL;
CREATE INDEX incident_views_escalation_due ON incident_views (tenant_id) WHERE escalation_due;
ALTER TABLE sla_report_rows ADD COLUMN peak_reach bigint;
ALTER TABLE webhook_subscriptions
    ADD COLUMN format text NOT NULL DEFAULT 'standard' CHECK (format IN ('standard', 'slack', 'teams'));
