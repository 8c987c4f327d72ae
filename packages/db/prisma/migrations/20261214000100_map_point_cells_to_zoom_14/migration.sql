-- Point cells one level finer (18), so a dense tile of zoom 14 is clustered too: at a million assets in a city a
-- zoom-14 tile holds 8,500 assets, of which 5,400 points drawn one by one (160-260 ms to cut, symbols touching).
-- A tile of zoom z clusters by the cells of level z + 4, as before; which tiles are clustered is the server's
-- choice (DENSE_CLUSTER_BELOW_ZOOM and MAX_DETAILED_TILE_POINTS in @tidewatch/shared), from the counts kept here.

ALTER TABLE map_point_cells DROP CONSTRAINT map_point_cells_level_check;
ALTER TABLE map_point_cells ADD CONSTRAINT map_point_cells_level_check CHECK (level BETWEEN 4 AND 18);

-- As in 20261213000100_map_point_cells_to_zoom_13, with the finest level 18.
CREATE OR REPLACE FUNCTION map_point_cells_change_sql(source text) RETURNS text
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
      SELECT tenant_id, zone_id, map_cell_column_at(x, 18) AS cx, map_cell_row_at(y, 18) AS cy,
             sum(sign)::integer AS count, sum(sign * x) AS sum_x, sum(sign * y) AS sum_y
        FROM moved GROUP BY 1, 2, 3, 4
    ),
    cells AS (
      SELECT f.tenant_id, l.level::smallint AS level, f.cx >> (18 - l.level) AS cx, f.cy >> (18 - l.level) AS cy,
             f.zone_id, sum(f.count)::integer AS count, sum(f.sum_x) AS sum_x, sum(f.sum_y) AS sum_y
        FROM finest f CROSS JOIN generate_series(4, 18) AS l (level)
       GROUP BY 1, 2, 3, 4, 5
    )
    INSERT INTO map_point_cells AS c (tenant_id, level, cx, cy, zone_id, count, sum_x, sum_y)
    SELECT * FROM cells WHERE count <> 0 OR sum_x <> 0 OR sum_y <> 0
     ORDER BY tenant_id, level, cx, cy, zone_id
    ON CONFLICT ON CONSTRAINT map_point_cells_key DO UPDATE
       SET count = c.count + excluded.count, sum_x = c.sum_x + excluded.sum_x, sum_y = c.sum_y + excluded.sum_y
  $sql$, source);

-- Counted afresh: the statements that change assets wait on this table's rows, so nothing is missed meanwhile.
LOCK TABLE map_point_cells IN EXCLUSIVE MODE;
DELETE FROM map_point_cells;
DO $$
BEGIN
  EXECUTE map_point_cells_change_sql(
    'SELECT 1 AS sign, a.tenant_id, a.zone_id, a.geom FROM assets a WHERE a.kind <> ''pipeline'' AND a.archived_at IS NULL');
END
$$;
