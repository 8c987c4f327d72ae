-- Reports kept: shift handovers (made by the outgoing operator, acknowledged by the incoming one) and the daily
-- operations report (made once per tenant and local day by whichever instance gets there first, then e-mailed).
-- Each keeps what it showed (content) and the PDF that was handed out, so a later look sees the same document.
CREATE TABLE reports (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kind            text NOT NULL CHECK (kind IN ('handover', 'daily')),
  period_start    timestamptz NOT NULL,
  period_end      timestamptz NOT NULL CHECK (period_end > period_start),
  -- The daily report's local date: one per tenant and day.
  report_date     date CHECK ((kind = 'daily') = (report_date IS NOT NULL)),
  created_by      uuid REFERENCES users (id),
  content         jsonb NOT NULL,
  pdf             bytea NOT NULL,
  acknowledged_by uuid REFERENCES users (id),
  acknowledged_at timestamptz,
  emailed_at      timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, kind, report_date)
);
CREATE INDEX reports_tenant_created_idx ON reports (tenant_id, created_at DESC);

ALTER TABLE reports ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON reports
  USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
-- Written once; only the acknowledgement and the e-mailing are recorded later. Nothing is deleted by the app.
GRANT SELECT, INSERT ON reports TO tidewatch_app;
GRANT UPDATE (acknowledged_by, acknowledged_at, emailed_at) ON reports TO tidewatch_app;
