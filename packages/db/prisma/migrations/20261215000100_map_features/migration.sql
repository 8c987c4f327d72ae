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
              -- Pipes whose end assets moved: their direction is judged again. Two joins, not an OR, so each
              -- probes its index (an OR of two IN lists read every pipe of every tenant on each edit).
              UNION ALL SELECT p.id FROM moved m JOIN assets p ON p.from_asset_id = m.id
              UNION ALL SELECT p.id FROM moved m JOIN assets p ON p.to_asset_id = m.id
            ) d $c$,
        format(version, 'n', 'new_rows'), format(version, 'o', 'old_rows'))
        INTO changed;
      IF cardinality(changed) > 0 THEN
        DELETE FROM map_features m WHERE m.asset_id = ANY (changed);
        EXECUTE map_features_write_sql('SELECT a.* FROM assets a WHERE a.id = ANY ($1)') USING changed;
        -- Drawn mains keep their zoom through a rename, a zone or maintenance change or a moved end asset: what
        -- they draw follows here (a moved or resized main is placed again by its own trigger, which fires next).
        UPDATE map_pipe_zooms z
           SET zone_id = f.zone_id, code = f.code, in_maintenance = f.in_maintenance, diameter_mm = f.diameter_mm,
               directed = f.directed, against_flow = f.against_flow
          FROM map_features f
         WHERE z.asset_id = ANY (changed) AND f.asset_id = z.asset_id
           AND (z.zone_id, z.code, z.in_maintenance, z.diameter_mm, z.directed, z.against_flow)
               IS DISTINCT FROM (f.zone_id, f.code, f.in_maintenance, f.diameter_mm, f.directed, f.against_flow);
      END IF;
    END IF;
    RETURN NULL;
  END
  $$;
REVOKE ALL ON FUNCTION update_map_features() FROM PUBLIC;

-- The mains a zoomed-out tile draws carry what it draws of them too: at zoom 10 a tile's 3,000 mains lie all over
-- the network, and reading each from map_features by its key was 5,000 page reads on a cold cut. They are written
-- in map order, zoom by zoom, as map_features is.
ALTER TABLE map_pipe_zooms
  ADD COLUMN zone_id        uuid,
  ADD COLUMN code           text,
  ADD COLUMN in_maintenance boolean,
  ADD COLUMN diameter_mm    integer,
  ADD COLUMN directed       boolean,
  ADD COLUMN against_flow   boolean;

-- As in map_pipe_zooms (20261211000200), but the drawn row copies its drawing from map_features (written first:
-- its trigger's name sorts before this one's) and the rows go in map order.
CREATE OR REPLACE FUNCTION map_pipe_zooms_take_sql(source text) RETURNS text
  LANGUAGE sql IMMUTABLE
  RETURN format($sql$
    WITH candidates AS (
      SELECT s.id, s.tenant_id, s.diameter_mm, ST_Length(s.geom) AS length,
             CASE WHEN s.diameter_mm >= 450 THEN 0 ELSE 11 END AS first_zoom,
             map_cell_column(ST_X(m.mid)) >> 4 AS tx, map_cell_row(ST_Y(m.mid)) >> 4 AS ty
        FROM (%s) s
        JOIN tenants t ON t.id = s.tenant_id
        CROSS JOIN LATERAL (SELECT ST_Transform(ST_LineInterpolatePoint(s.geom, 0.5), 3857) AS mid) m
       WHERE s.diameter_mm >= 200 AND ST_YMin(s.geom) >= -85.0511287798 AND ST_YMax(s.geom) <= 85.0511287798
    ),
    ranked AS (
      SELECT c.id, c.tenant_id, c.tx, c.ty, z.zoom, c.tx >> (11 - z.zoom) AS ztx, c.ty >> (11 - z.zoom) AS zty,
             row_number() OVER (PARTITION BY c.tenant_id, z.zoom, c.tx >> (11 - z.zoom), c.ty >> (11 - z.zoom)
                                ORDER BY c.diameter_mm DESC, c.length DESC, c.id) AS rank
        FROM candidates c JOIN generate_series(0, 11) AS z (zoom) ON z.zoom >= c.first_zoom
    ),
    judged AS (
      SELECT r.id, r.tenant_id, r.tx, r.ty, r.zoom, coalesce(s.taken, 0) + r.rank <= 2000 AS room
        FROM ranked r
        LEFT JOIN map_pipe_slots s ON s.tenant_id = r.tenant_id AND s.zoom = r.zoom AND s.tx = r.ztx AND s.ty = r.zty
    ),
    zooms AS (
      SELECT j.id, j.tenant_id, j.tx, j.ty, coalesce(max(j.zoom) FILTER (WHERE NOT j.room) + 1, min(j.zoom)) AS min_zoom
        FROM judged j GROUP BY j.id, j.tenant_id, j.tx, j.ty
    ),
    -- Nothing here joins back to the candidates: a transition table has no statistics, and a plan that guessed
    -- it small would compare every pair (25 s for 50,000 pipes). The drawing comes from the row by its key.
    drawn AS (
      INSERT INTO map_pipe_zooms (asset_id, tenant_id, min_zoom, tx, ty, geom, zone_id, code, in_maintenance,
                                  diameter_mm, directed, against_flow)
      SELECT z.id, z.tenant_id, z.min_zoom, z.tx, z.ty, f.geom, f.zone_id, f.code, f.in_maintenance, f.diameter_mm,
             f.directed, f.against_flow
        FROM zooms z JOIN map_features f ON f.asset_id = z.id
       WHERE z.min_zoom <= 11
       ORDER BY z.tenant_id, z.min_zoom, map_order_key(f.geom)
      RETURNING tenant_id, min_zoom, tx, ty
    ),
    taken AS (
      SELECT d.tenant_id, z.zoom, d.tx >> (11 - z.zoom) AS tx, d.ty >> (11 - z.zoom) AS ty, count(*)::integer AS n
        FROM drawn d JOIN generate_series(0, 11) AS z (zoom) ON z.zoom >= d.min_zoom
       GROUP BY 1, 2, 3, 4
    )
    INSERT INTO map_pipe_slots AS s (tenant_id, zoom, tx, ty, taken)
    SELECT tenant_id, zoom, tx, ty, n FROM taken ORDER BY tenant_id, zoom, tx, ty
    ON CONFLICT (tenant_id, zoom, tx, ty) DO UPDATE SET taken = s.taken + excluded.taken
  $sql$, source);

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

-- The drawn mains written again, with their drawing, in map order (their zooms and slots stay as they are).
CREATE TEMPORARY TABLE drawn_mains ON COMMIT DROP AS
  SELECT z.asset_id, z.tenant_id, z.min_zoom, z.tx, z.ty, f.geom, f.zone_id, f.code, f.in_maintenance, f.diameter_mm,
         f.directed, f.against_flow
    FROM map_pipe_zooms z JOIN map_features f ON f.asset_id = z.asset_id;
DELETE FROM map_pipe_zooms;
INSERT INTO map_pipe_zooms (asset_id, tenant_id, min_zoom, tx, ty, geom, zone_id, code, in_maintenance, diameter_mm,
                            directed, against_flow)
SELECT * FROM drawn_mains ORDER BY tenant_id, min_zoom, map_order_key(geom);
ALTER TABLE map_pipe_zooms
  ALTER COLUMN code SET NOT NULL,
  ALTER COLUMN in_maintenance SET NOT NULL,
  ALTER COLUMN diameter_mm SET NOT NULL,
  ALTER COLUMN directed SET NOT NULL,
  ALTER COLUMN against_flow SET NOT NULL;

ALTER TABLE map_features ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON map_features USING (tenant_id = app_tenant_id());
GRANT SELECT ON map_features TO tidewatch_app;
