-- Point counts of the map's clusters, kept current by the statements that change assets, so a zoomed-out tile
-- reads at most 256 rows per zone instead of grouping every point under it (at a million assets a city-wide tile
-- held 870,000 points and took seconds to cut).
--
-- A cell is a web-mercator tile of zoom `level`: a map tile of zoom z clusters by the cells of level z + 4 (16 x 16
-- cells a tile, 32 screen pixels each). Cells are counted from level 4 (map zoom 0) to level 15 (map zoom 11, the
-- last clustered zoom; CLUSTER_BELOW_ZOOM in @tidewatch/shared). A point's cell is computed once, at level 15, and
-- its coarser cells by halving the indices, so every level nests exactly in the next. Per zone, so a zone-limited
-- operator's clusters count only their zones' points. Positions are kept as sums (the cluster is drawn at the
-- mean), which an edit adjusts by its difference alone. Alarm states are not here: they change many times a second
-- and are read with the tile.
CREATE TABLE map_point_cells (
  tenant_id uuid     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  level     smallint NOT NULL CHECK (level BETWEEN 4 AND 15),
  cx        integer  NOT NULL,
  cy        integer  NOT NULL,
  zone_id   uuid,
  -- Never below zero once a statement is done; no CHECK, as a CHECK judges the row a decrement proposes before
  -- ON CONFLICT finds the row it decrements.
  count     integer  NOT NULL,
  sum_x     float8   NOT NULL,
  sum_y     float8   NOT NULL,
  CONSTRAINT map_point_cells_key UNIQUE NULLS NOT DISTINCT (tenant_id, level, cx, cy, zone_id)
);
-- Emptied cells are removed by the statement that empties them.
CREATE INDEX map_point_cells_empty_idx ON map_point_cells (tenant_id) WHERE count = 0;

-- The level-15 column and row of a web-mercator position (metres): tiles of zoom 15 count from the top left.
CREATE FUNCTION map_cell_column(x float8) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN floor((x + 20037508.342789244) / (40075016.68557849 / 32768))::integer;
CREATE FUNCTION map_cell_row(y float8) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN floor((20037508.342789244 - y) / (40075016.68557849 / 32768))::integer;

-- The statement that adds `source`'s points to their cells: `source` yields (sign, tenant_id, zone_id, geom), +1
-- for a point that appears, -1 for one that goes. Built as text because a trigger's transition tables are visible
-- only to the trigger function's own statements, and the same statement fills the table below. Points beyond web
-- mercator's latitudes are drawn on no map and counted nowhere. Rows are locked in key order, so two statements
-- never wait for each other crosswise (they also queue on the tenant's map_versions row first).
CREATE FUNCTION map_point_cells_change_sql(source text) RETURNS text
  LANGUAGE sql IMMUTABLE
  RETURN format($sql$
    WITH moved AS (
      SELECT s.sign, s.tenant_id, s.zone_id, ST_X(m.merc) AS x, ST_Y(m.merc) AS y
        FROM (%s) s
        JOIN tenants t ON t.id = s.tenant_id
        CROSS JOIN LATERAL (SELECT ST_Transform(s.geom, 3857) AS merc) m
       WHERE ST_Y(s.geom) BETWEEN -85.0511287798 AND 85.0511287798
    ),
    finest AS (
      SELECT tenant_id, zone_id, map_cell_column(x) AS cx, map_cell_row(y) AS cy,
             sum(sign)::integer AS count, sum(sign * x) AS sum_x, sum(sign * y) AS sum_y
        FROM moved GROUP BY 1, 2, 3, 4
    ),
    cells AS (
      SELECT f.tenant_id, l.level::smallint AS level, f.cx >> (15 - l.level) AS cx, f.cy >> (15 - l.level) AS cy,
             f.zone_id, sum(f.count)::integer AS count, sum(f.sum_x) AS sum_x, sum(f.sum_y) AS sum_y
        FROM finest f CROSS JOIN generate_series(4, 15) AS l (level)
       GROUP BY 1, 2, 3, 4, 5
    )
    INSERT INTO map_point_cells AS c (tenant_id, level, cx, cy, zone_id, count, sum_x, sum_y)
    SELECT * FROM cells WHERE count <> 0 OR sum_x <> 0 OR sum_y <> 0
     ORDER BY tenant_id, level, cx, cy, zone_id
    ON CONFLICT ON CONSTRAINT map_point_cells_key DO UPDATE
       SET count = c.count + excluded.count, sum_x = c.sum_x + excluded.sum_x, sum_y = c.sum_y + excluded.sum_y
  $sql$, source);

-- Runs with the owner's rights: the application reads its tenant's cells but never writes them. An UPDATE counts
-- only the points it moved, re-zoned, archived or turned into or out of points: the old and new versions of its
-- drawn points are compared as sets (EXCEPT hashes or sorts them); a join of the two transition tables, which have
-- no statistics, was planned as a nested loop, every old row against every new one (10,000 renamed points: 9 s).
CREATE FUNCTION update_map_point_cells() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    drawn CONSTANT text := $d$ SELECT %1$s.id, %1$s.tenant_id, %1$s.zone_id, ST_AsEWKB(%1$s.geom) AS point
                                 FROM %2$s %1$s WHERE %1$s.kind <> 'pipeline' AND %1$s.archived_at IS NULL $d$;
    source text;
  BEGIN
    IF TG_OP = 'INSERT' THEN
      source := format('SELECT 1 AS sign, d.tenant_id, d.zone_id, ST_GeomFromEWKB(d.point) AS geom FROM (%s) d',
                       format(drawn, 'n', 'new_rows'));
    ELSIF TG_OP = 'DELETE' THEN
      source := format('SELECT -1 AS sign, d.tenant_id, d.zone_id, ST_GeomFromEWKB(d.point) AS geom FROM (%s) d',
                       format(drawn, 'o', 'old_rows'));
    ELSE
      source := format('SELECT -1 AS sign, d.tenant_id, d.zone_id, ST_GeomFromEWKB(d.point) AS geom FROM (%s EXCEPT %s) d'
                       ' UNION ALL '
                       'SELECT 1 AS sign, d.tenant_id, d.zone_id, ST_GeomFromEWKB(d.point) AS geom FROM (%s EXCEPT %s) d',
                       format(drawn, 'o', 'old_rows'), format(drawn, 'n', 'new_rows'),
                       format(drawn, 'n', 'new_rows'), format(drawn, 'o', 'old_rows'));
    END IF;
    EXECUTE map_point_cells_change_sql(source);
    DELETE FROM map_point_cells WHERE count = 0;
    RETURN NULL;
  END
  $$;
REVOKE ALL ON FUNCTION update_map_point_cells() FROM PUBLIC;

-- Named to fire after the assets_map_version_* triggers (statement triggers fire in name order): by then the
-- statement holds its tenant's version row, so edits of one tenant reach the cells one at a time.
CREATE TRIGGER assets_network_cells_insert AFTER INSERT ON assets REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION update_map_point_cells();
CREATE TRIGGER assets_network_cells_update AFTER UPDATE ON assets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION update_map_point_cells();
CREATE TRIGGER assets_network_cells_delete AFTER DELETE ON assets REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION update_map_point_cells();

DO $$
BEGIN
  EXECUTE map_point_cells_change_sql(
    'SELECT 1 AS sign, a.tenant_id, a.zone_id, a.geom FROM assets a WHERE a.kind <> ''pipeline'' AND a.archived_at IS NULL');
END
$$;

ALTER TABLE map_point_cells ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON map_point_cells USING (tenant_id = app_tenant_id());
GRANT SELECT ON map_point_cells TO tidewatch_app;

