-- A tag rule names its tag as the API writes it (`key` or `key:value`) and, like an asset-kind rule, may be
-- narrowed to one zone.
ALTER TABLE alert_rules
  ADD COLUMN tag text CHECK (tag ~ '^[a-z0-9_.-]{1,64}(:[A-Za-z0-9_.-]{1,200})?$'),
  DROP CONSTRAINT alert_rules_scope_target,
  ADD CONSTRAINT alert_rules_scope_target CHECK (CASE scope
    WHEN 'series' THEN series_id IS NOT NULL AND asset_id IS NULL AND asset_kind IS NULL AND tag IS NULL
    WHEN 'asset' THEN asset_id IS NOT NULL AND series_id IS NULL AND asset_kind IS NULL AND tag IS NULL
    WHEN 'asset_kind' THEN asset_kind IS NOT NULL AND series_id IS NULL AND asset_id IS NULL AND tag IS NULL
    WHEN 'zone' THEN zone_id IS NOT NULL AND series_id IS NULL AND asset_id IS NULL AND asset_kind IS NULL
                     AND tag IS NULL
    WHEN 'tag' THEN tag IS NOT NULL AND series_id IS NULL AND asset_id IS NULL AND asset_kind IS NULL
  END);

-- Tags show in asset lists and on map tiles, both cached under a version: a change of an asset's tags moves them.
DO $$
DECLARE
  op text;
BEGIN
  FOREACH op IN ARRAY ARRAY['INSERT', 'DELETE'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER %s ON asset_tags REFERENCING %s TABLE AS changed_rows
                      FOR EACH STATEMENT EXECUTE FUNCTION bump_list_versions()',
                   'asset_tags_list_version_' || lower(op), op, CASE op WHEN 'INSERT' THEN 'NEW' ELSE 'OLD' END);
  END LOOP;
  EXECUTE 'CREATE TRIGGER asset_tags_map_version_insert AFTER INSERT ON asset_tags REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION bump_map_version()';
  EXECUTE 'CREATE TRIGGER asset_tags_map_version_delete AFTER DELETE ON asset_tags REFERENCING OLD TABLE AS old_rows
             FOR EACH STATEMENT EXECUTE FUNCTION bump_map_version()';
END
$$;
