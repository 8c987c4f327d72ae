-- Chattering alarms (EEMUA 191, ISA-18.2): an alarm of one rule and target that raises again and again within a
-- short window is flagged, once per alert, with when it was found; the console marks it. A tenant may also ask for
-- chattering alarms to be shelved for a while, the reason recorded on the shelving like an operator's.
ALTER TABLE alerts ADD COLUMN chattering_since timestamptz;
-- Alerts are updated column by column (history_kept): the flag is the engine's to set.
GRANT UPDATE (chattering_since) ON alerts TO tidewatch_app;

-- Per tenant; a tenant without a row has the defaults (three raises within a minute, no automatic shelving).
CREATE TABLE alarm_settings (
  tenant_id              uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  chatter_raises         integer NOT NULL DEFAULT 3 CHECK (chatter_raises BETWEEN 2 AND 100),
  chatter_window_s       integer NOT NULL DEFAULT 60 CHECK (chatter_window_s BETWEEN 10 AND 3600),
  -- Null: chattering alarms are flagged only. Otherwise they are shelved for this many minutes.
  chatter_shelve_minutes integer CHECK (chatter_shelve_minutes BETWEEN 1 AND 1440),
  updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER alarm_settings_touch_updated_at BEFORE UPDATE ON alarm_settings
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

ALTER TABLE alarm_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON alarm_settings
  USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE ON alarm_settings TO tidewatch_app;

