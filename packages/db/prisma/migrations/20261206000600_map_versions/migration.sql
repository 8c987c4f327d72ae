-- The network version of each tenant: map tiles are cached and tagged (ETag) under it, and the console asks for
-- it to notice edits instead of reloading on a timer. Statement triggers bump it once per statement that changes
-- assets (points and pipes) or zones, so an import of 100,000 rows costs one bump, not 100,000.
CREATE TABLE map_versions (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  version   bigint NOT NULL CHECK (version > 0)
);

-- Runs with the owner's rights: the application may read its tenant's version but never set it. The join on
-- tenants skips a tenant that the same statement deletes (its rows go by cascade; the version goes with them).
-- The counter row stays locked until the editing transaction commits, so concurrent edits of one tenant's
-- network queue there; edits are people and imports, not telemetry, so the queue stays short.
CREATE FUNCTION bump_map_version() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    IF TG_OP = 'DELETE' THEN
      UPDATE map_versions v SET version = v.version + 1 WHERE v.tenant_id IN (SELECT tenant_id FROM old_rows);
    ELSE
      INSERT INTO map_versions AS v (tenant_id, version)
      SELECT DISTINCT n.tenant_id, 1 FROM new_rows n JOIN tenants t ON t.id = n.tenant_id
      ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1;
    END IF;
    RETURN NULL;
  END
  $$;
REVOKE ALL ON FUNCTION bump_map_version() FROM PUBLIC;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['assets', 'zones'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
                      FOR EACH STATEMENT EXECUTE FUNCTION bump_map_version()', t || '_map_version_insert', t);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                      FOR EACH STATEMENT EXECUTE FUNCTION bump_map_version()', t || '_map_version_update', t);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
                      FOR EACH STATEMENT EXECUTE FUNCTION bump_map_version()', t || '_map_version_delete', t);
  END LOOP;
END
$$;

INSERT INTO map_versions (tenant_id, version) SELECT id, 1 FROM tenants;

ALTER TABLE map_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON map_versions USING (tenant_id = app_tenant_id());
GRANT SELECT ON map_versions TO tidewatch_app;
