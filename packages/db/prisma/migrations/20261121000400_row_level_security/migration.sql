-- Row-level security on every tenant table, and the application role's privileges.
-- Policies read the context set per transaction by app_set_context(); with no context they match nothing.

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'zones', 'user_zones', 'assets', 'tags', 'asset_tags', 'devices', 'device_tags', 'device_states',
    'device_downtimes', 'metrics', 'series', 'calibrations', 'thingspeak_bindings', 'thingspeak_field_mappings',
    'device_commands', 'alert_rules', 'alerts', 'alert_transitions', 'incidents', 'incident_alerts',
    'incident_notes', 'maintenance_logs', 'notification_rules', 'notification_outbox'
  ] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())',
      t);
  END LOOP;
END
$$;

-- Telemetry rows stay narrow (no tenant_id); they belong to the tenant of their series.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['telemetry', 'telemetry_1m', 'telemetry_1h'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I
         USING (series_id IN (SELECT id FROM series WHERE tenant_id = app_tenant_id()))
         WITH CHECK (series_id IN (SELECT id FROM series WHERE tenant_id = app_tenant_id()))',
      t);
  END LOOP;
END
$$;

-- A super_admin lists and manages tenants; everyone else sees only their own.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON tenants FOR SELECT
  USING (id = app_tenant_id() OR app_role() = 'super_admin');
CREATE POLICY tenant_update ON tenants FOR UPDATE
  USING (id = app_tenant_id() OR app_role() = 'super_admin')
  WITH CHECK (id = app_tenant_id() OR app_role() = 'super_admin');
CREATE POLICY tenant_create ON tenants FOR INSERT WITH CHECK (app_role() = 'super_admin');
CREATE POLICY tenant_delete ON tenants FOR DELETE USING (app_role() = 'super_admin');

-- Users of the tenant in context, the current user's own row, and platform users for a super_admin.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
  USING (tenant_id = app_tenant_id() OR id = app_user_id() OR (tenant_id IS NULL AND app_role() = 'super_admin'))
  WITH CHECK (tenant_id = app_tenant_id() OR id = app_user_id()
              OR (tenant_id IS NULL AND app_role() = 'super_admin'));

-- A user's own sessions, and those of the tenant in context (for admins revoking them).
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['sessions', 'refresh_tokens'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I
         USING (user_id = app_user_id() OR tenant_id = app_tenant_id())
         WITH CHECK (user_id = app_user_id() OR tenant_id = app_tenant_id())',
      t);
  END LOOP;
END
$$;

-- Anyone may append an entry about their own tenant or about no tenant (a failed login for an unknown
-- e-mail); reading is limited to the tenant in context, and platform entries to a super_admin.
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_read ON audit_log FOR SELECT
  USING (tenant_id = app_tenant_id() OR (tenant_id IS NULL AND app_role() = 'super_admin'));
CREATE POLICY audit_append ON audit_log FOR INSERT
  WITH CHECK (tenant_id IS NULL OR tenant_id = app_tenant_id());

-- Privileges --------------------------------------------------------------------------------------------------

GRANT USAGE ON SCHEMA public TO tidewatch_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON
  tenants, zones, users, user_zones, sessions, refresh_tokens, assets, tags, asset_tags, devices, device_tags,
  device_states, device_downtimes, metrics, series, calibrations, thingspeak_bindings, thingspeak_field_mappings,
  device_commands, alert_rules, alerts, incidents, incident_alerts, incident_notes, maintenance_logs,
  notification_rules, notification_outbox, telemetry, telemetry_1m, telemetry_1h
  TO tidewatch_app;

-- History is append-only for the application.
GRANT SELECT, INSERT ON audit_log, alert_transitions TO tidewatch_app;

GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO tidewatch_app;

-- Partition maintenance runs with the owner's rights, but only through these two functions.
REVOKE ALL ON FUNCTION telemetry_ensure_partitions(date, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION telemetry_drop_partitions(date, date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION telemetry_ensure_partitions(date, date) TO tidewatch_app;
GRANT EXECUTE ON FUNCTION telemetry_drop_partitions(date, date, date) TO tidewatch_app;
