-- A per-tenant counter that moves whenever something a hot list shows changes outside the alert sequence: assets,
-- zones, alert rules (an alert shows its rule's name and condition) and alert deletions (retention). With the
-- tenant's alert sequence it tags a cached list page: the same tag, the same page.
CREATE TABLE list_versions (
  -- No foreign key: the counter is bumped by the deletes that cascade from a tenant's own deletion.
  tenant_id uuid PRIMARY KEY,
  version   bigint NOT NULL CHECK (version > 0)
);

ALTER TABLE list_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON list_versions USING (tenant_id = app_tenant_id());
GRANT SELECT ON list_versions TO tidewatch_app;

-- Statement-level, over the rows the statement changed: an import of thousands of assets bumps once. Definer's
-- rights, so a change made in any context (retention, a super_admin) bumps the right tenant's counter.
CREATE FUNCTION bump_list_versions() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    INSERT INTO list_versions AS v (tenant_id, version)
    SELECT DISTINCT c.tenant_id, 1 FROM changed_rows c WHERE EXISTS (SELECT 1 FROM tenants t WHERE t.id = c.tenant_id)
    ORDER BY 1
    ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1;
    RETURN NULL;
  END
  $$;

REVOKE ALL ON FUNCTION bump_list_versions() FROM PUBLIC;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['assets', 'zones', 'alert_rules'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS changed_rows
                      FOR EACH STATEMENT EXECUTE FUNCTION bump_list_versions()', t || '_list_version_insert', t);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS changed_rows
                      FOR EACH STATEMENT EXECUTE FUNCTION bump_list_versions()', t || '_list_version_update', t);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS changed_rows
                      FOR EACH STATEMENT EXECUTE FUNCTION bump_list_versions()', t || '_list_version_delete', t);
  END LOOP;
END
$$;

-- Every other change of an alert writes a transition, which moves the alert sequence; a deletion does not.
CREATE TRIGGER alerts_list_version_delete AFTER DELETE ON alerts REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bump_list_versions();
