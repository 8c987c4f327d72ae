-- The map's own copy of every live asset, with what a tile draws of it, stored in map order. A tile reads the
-- assets under it; in `assets` they lie wherever they were written (an import in any order, edits over years), so
-- at a million assets a zoom-15 tile's 2,000 rows were spread over 1,500 pages, each a read from disk when cold
-- (three quarters of the tile's time). Here each statement writes its rows sorted by position (geohash), so an
-- import's neighbours share pages and a tile reads tens of them.
--
-- Kept by the statements that change assets (as map_point_cells and map_pipe_zooms are): an insert adds its live
-- rows, an update writes again the rows whose drawing changed (and the pipes whose end assets moved: a pipe is drawn
-- in its direction of flow, judged from where its end assets are), a delete removes them. Archived assets are not
-- drawn and not here.
CREATE TABLE map_features (
  asset_id       uuid PRIMARY KEY,
  tenant_id      uuid       NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  zone_id        uuid,
  kind           asset_kind NOT NULL,
  code           text       NOT NULL,
  in_maintenance boolean    NOT NULL,
  -- Pipes: diameter, whether the pipe has an end asset (flow direction known), and whether it was digitised
  -- against its flow (drawn reversed).
  diameter_mm    integer,
  directed       boolean    NOT NULL,
  against_flow   boolean    NOT NULL,
  geom           geometry(Geometry, 4326) NOT NULL
);
CREATE INDEX map_features_tile_idx ON map_features USING gist (tenant_id, geom);

-- Whether a pipe `line` running from `from_geom` to `to_geom` (either may be null) was digitised against that flow.
CREATE FUNCTION map_against_flow(line geometry, from_geom geometry, to_geom geometry) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE
    WHEN GeometryType(line) <> 'LINESTRING' THEN false
    WHEN from_geom IS NOT NULL THEN ST_Distance(ST_StartPoint(line), from_geom) > ST_Distance(ST_EndPoint(line), from_geom)
    WHEN to_geom IS NOT NULL THEN ST_Distance(ST_EndPoint(line), to_geom) > ST_Distance(ST_StartPoint(line), to_geom)
    ELSE false END;

-- Where a feature goes in map order: the geohash of a point on it (neighbours on the map share long prefixes).
-- Positions outside longitude and latitude have none and go last.
CREATE FUNCTION map_order_key(geom geometry) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE
    WHEN ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90
      THEN ST_GeoHash(ST_PointOnSurface(geom), 12) END;

-- The statement that writes the live assets `source` yields (rows of assets, as a transition table holds them)
-- into map_features, in map order. Built as text because a trigger's transition tables are visible only to the
-- trigger function's own statements.
CREATE FUNCTION map_features_write_sql(source text) RETURNS text
  LANGUAGE sql IMMUTABLE
  RETURN format($sql$
    INSERT INTO map_features (asset_id, tenant_id, zone_id, kind, code, in_maintenance, diameter_mm, directed,
                              against_flow, geom)
    SELECT s.id, s.tenant_id, s.zone_id, s.kind, s.code, s.maintenance_since IS NOT NULL, s.diameter_mm,
           s.from_asset_id IS NOT NULL OR s.to_asset_id IS NOT NULL,
           map_against_flow(s.geom, (SELECT f.geom FROM assets f WHERE f.id = s.from_asset_id),
                            (SELECT t.geom FROM assets t WHERE t.id = s.to_asset_id)),
           s.geom
      FROM (%s) s
     WHERE s.archived_at IS NULL
     ORDER BY s.tenant_id, map_order_key(s.geom)
  $sql$, source);

-- Runs with the owner's rights. An update writes again only the rows whose drawing changed (old and new versions
-- compared as sets, never joined: transition tables have no statistics), and the pipes whose end assets moved.
CREATE FUNCTION update_map_features() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    version CONSTANT text := $v$ SELECT %1$s.id, %1$s.tenant_id, %1$s.zone_id, %1$s.kind, %1$s.code,
                                        %1$s.maintenance_since IS NOT NULL AS in_maintenance, %1$s.diameter_mm,
                                        %1$s.from_asset_id, %1$s.to_asset_id, %1$s.archived_at IS NULL AS live,
                                        ST_AsEWKB(%1$s.geom) AS shape FROM %2$s %1$s $v$;
    changed uuid[];
  BEGIN
    IF TG_OP = 'DELETE' THEN
      DELETE FROM map_features m WHERE m.asset_id IN (SELECT o.id FROM old_rows o);
    ELSIF TG_OP = 'INSERT' THEN
      EXECUTE map_features_write_sql('SELECT * FROM new_rows');
    ELSE
      EXECUTE format(
        $c$ WITH moved AS (
              SELECT m.id FROM (SELECT id, ST_AsEWKB(geom) FROM new_rows EXCEPT SELECT id, ST_AsEWKB(geom) FROM old_rows) m
            )
            SELECT coalesce(array_agg(DISTINCT d.id), '{}') FROM (
              SELECT id FROM (%1$s EXCEPT %2$s) n
              UNION ALL SELECT id FROM (%2$s EXCEPT %1$s) o
              UNION ALL
              -- Pipes whose end assets moved: their direction is judged again.
              SELECT p.id FROM assets p
               WHERE p.kind = 'pipeline' AND (p.from_asset_id IN (SELECT id FROM moved) OR p.to_asset_id IN (SELECT id FROM moved))
            ) d $c$,
        format(version, 'n', 'new_rows'), format(version, 'o', 'old_rows'))
        INTO changed;
      IF cardinality(changed) > 0 THEN
        DELETE FROM map_features m WHERE m.asset_id = ANY (changed);
        EXECUTE map_features_write_sql('SELECT a.* FROM assets a WHERE a.id = ANY ($1)') USING changed;
      END IF;
    END IF;
    RETURN NULL;
  END
  $$;
REVOKE ALL ON FUNCTION update_map_features() FROM PUBLIC;

CREATE TRIGGER assets_network_features_insert AFTER INSERT ON assets REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION update_map_features();
CREATE TRIGGER assets_network_features_update AFTER UPDATE ON assets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION update_map_features();
CREATE TRIGGER assets_network_features_delete AFTER DELETE ON assets REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION update_map_features();

DO $$
BEGIN
  EXECUTE map_features_write_sql('SELECT * FROM assets');
END
$$;

ALTER TABLE map_features ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON map_features USING (tenant_id = app_tenant_id());
GRANT SELECT ON map_features TO tidewatch_app;
