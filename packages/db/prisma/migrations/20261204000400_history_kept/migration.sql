-- Alarm history that nothing erases: rules, assets and zones that history refers to are archived instead of
-- deleted, no foreign key deletes or blanks a history row, and the application role may not delete history at all.
-- Also: no one but the owner creates objects in the schema, and PostGIS functions that read the planner's
-- statistics (which cover every tenant's rows, past row-level security) are not the application's to call.

-- Archiving ---------------------------------------------------------------------------------------------------

-- An archived row stays for the history that names it; it is off the lists, the map and the engine. Who archived
-- it is kept here as well as in the audit log, so the row itself tells an auditor why it is still there.
ALTER TABLE zones
  ADD COLUMN archived_at timestamptz,
  ADD COLUMN archived_by uuid REFERENCES users (id);
ALTER TABLE assets
  ADD COLUMN archived_at timestamptz,
  ADD COLUMN archived_by uuid REFERENCES users (id);
ALTER TABLE alert_rules
  ADD COLUMN archived_at timestamptz,
  ADD COLUMN archived_by uuid REFERENCES users (id),
  -- An archived rule never evaluates again, whatever the engine's own filter says.
  ADD CONSTRAINT alert_rules_archived_disabled CHECK (archived_at IS NULL OR NOT enabled);

-- Codes are unique among live rows only, so a code can be used again once its old holder is archived.
ALTER TABLE zones DROP CONSTRAINT zones_tenant_id_code_key;
CREATE UNIQUE INDEX zones_live_code_idx ON zones (tenant_id, code) WHERE archived_at IS NULL;
ALTER TABLE assets DROP CONSTRAINT assets_tenant_id_code_key;
CREATE UNIQUE INDEX assets_live_code_idx ON assets (tenant_id, code) WHERE archived_at IS NULL;

-- Archiving is for good: an archived row is not brought back (a new one is made instead).
CREATE FUNCTION keep_archived() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF OLD.archived_at IS NOT NULL
       AND (NEW.archived_at IS DISTINCT FROM OLD.archived_at OR NEW.archived_by IS DISTINCT FROM OLD.archived_by) THEN
      RAISE EXCEPTION 'an archived % stays archived', TG_TABLE_NAME USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END
  $$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['zones', 'assets', 'alert_rules'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OF archived_at, archived_by ON %I
                      FOR EACH ROW EXECUTE FUNCTION keep_archived()', t || '_keep_archived', t);
  END LOOP;
END
$$;

-- No foreign key erases history -------------------------------------------------------------------------------

-- Every foreign key of a history table becomes RESTRICT: deleting a rule, asset, zone, device, series, user or
-- tenant that history names fails instead of deleting the history (CASCADE) or forgetting what it named
-- (SET NULL). The referential actions run as the table owner, so revoking DELETE from the application alone
-- would not have stopped them.
DO $$
DECLARE
  fk record;
BEGIN
  FOR fk IN
    SELECT c.conrelid::regclass AS tbl, c.conname, pg_get_constraintdef(c.oid) AS def
      FROM pg_constraint c
     WHERE c.contype = 'f' AND c.confdeltype <> 'r'
       AND c.conrelid IN ('alerts'::regclass, 'alert_transitions'::regclass, 'incidents'::regclass,
                          'incident_alerts'::regclass, 'incident_notes'::regclass, 'maintenance_logs'::regclass,
                          'device_commands'::regclass, 'device_downtimes'::regclass)
  LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I, ADD CONSTRAINT %I %s ON DELETE RESTRICT', fk.tbl, fk.conname,
                   fk.conname, regexp_replace(fk.def, ' ON DELETE (CASCADE|SET NULL|SET DEFAULT|NO ACTION)', ''));
  END LOOP;
END
$$;

-- What an alert rule watches, and the zones a user is limited to, are no longer deleted with their target: a rule
-- disappearing with its asset, or a user losing their only zone and so seeing the whole tenant, were both silent.
-- NO ACTION (checked at the end of the statement) rather than RESTRICT, so removing a whole tenant, where the
-- rule and its asset go in the same statement, still works for the owner.
ALTER TABLE alert_rules
  DROP CONSTRAINT alert_rules_asset_id_fkey,
  ADD CONSTRAINT alert_rules_asset_id_fkey FOREIGN KEY (asset_id) REFERENCES assets (id),
  DROP CONSTRAINT alert_rules_series_id_fkey,
  ADD CONSTRAINT alert_rules_series_id_fkey FOREIGN KEY (series_id) REFERENCES series (id),
  DROP CONSTRAINT alert_rules_zone_id_fkey,
  ADD CONSTRAINT alert_rules_zone_id_fkey FOREIGN KEY (zone_id) REFERENCES zones (id),
  DROP CONSTRAINT alert_rules_metric_id_fkey,
  ADD CONSTRAINT alert_rules_metric_id_fkey FOREIGN KEY (metric_id) REFERENCES metrics (id),
  DROP CONSTRAINT alert_rules_created_by_fkey,
  ADD CONSTRAINT alert_rules_created_by_fkey FOREIGN KEY (created_by) REFERENCES users (id);
ALTER TABLE user_zones
  DROP CONSTRAINT user_zones_zone_id_fkey,
  ADD CONSTRAINT user_zones_zone_id_fkey FOREIGN KEY (zone_id) REFERENCES zones (id);

-- The application keeps history, it does not rewrite it --------------------------------------------------------

-- Alerts change state, incidents are worked on, commands and downtimes are completed: the application may update
-- exactly those columns. What an alert was raised for, on what, when and at which value, and who opened an
-- incident, are written once. Notes, links and maintenance logs are append-only, and nothing of it is deleted.
REVOKE DELETE ON alerts, incidents, incident_alerts, incident_notes, maintenance_logs, device_commands,
  device_downtimes FROM tidewatch_app;
REVOKE UPDATE ON alerts, incidents, incident_alerts, incident_notes, maintenance_logs, device_commands,
  device_downtimes FROM tidewatch_app;
GRANT UPDATE (state, priority, condition_active, last_value, returned_at, acknowledged_at, acknowledged_by,
              shelved_until, shelved_by, shelve_reason, escalated_at, closed_at, updated_at)
  ON alerts TO tidewatch_app;
GRANT UPDATE (title, description, status, priority, zone_id, asset_id, assignee_id, resolved_at, closed_at,
              closed_by, updated_at)
  ON incidents TO tidewatch_app;
GRANT UPDATE (state, delivered_at, acknowledged_at, result, failure_reason) ON device_commands TO tidewatch_app;
GRANT UPDATE (ended_at) ON device_downtimes TO tidewatch_app;

-- The schema is the owner's ------------------------------------------------------------------------------------

-- PostgreSQL 15 no longer grants this by default, but a database created from an older template or restored from
-- an older dump still has it: anyone could create functions that shadow ours or tables that fill the disk.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM tidewatch_app;

-- PostGIS statistics -------------------------------------------------------------------------------------------

-- These read pg_statistic (or a whole GiST index) directly, not through the pg_stats view that hides tables
-- under row-level security, so any caller learns where every tenant's assets lie: ST_EstimatedExtent('assets',
-- 'geom') is the box around both tenants. The planner's own estimators are not these functions and keep working.
-- postgis_extensions_upgrade is for the owner. A PostGIS upgrade recreates them with the default rights; the
-- privilege test in packages/db/test notices.
REVOKE EXECUTE ON FUNCTION
  st_estimatedextent(text, text, text, boolean), st_estimatedextent(text, text, text), st_estimatedextent(text, text),
  _postgis_stats(regclass, text, text), _postgis_selectivity(regclass, text, geometry, text),
  _postgis_join_selectivity(regclass, text, regclass, text, text), _postgis_index_extent(regclass, text),
  postgis_extensions_upgrade()
  FROM PUBLIC;
