-- Point cells two levels finer (16 and 17), so tiles of zoom 12 and 13 can be clustered too where the network is
-- dense: at a million assets in a city a zoom-12 tile holds 90,000 points and a zoom-13 tile 22,000, seconds to cut
-- and megabytes to draw, and at that density an operator sees a carpet, not assets. A tile of zoom z still
-- clusters by the cells of level z + 4 (32 screen pixels); which tiles are clustered is the server's choice
-- (MAX_DETAILED_TILE_POINTS in @tidewatch/shared), from the counts kept here.
--
-- A point's cell is now computed once at level 17 and its coarser cells by halving the indices, as before from 15.

-- The column and row of a web-mercator position (metres) among the tiles of zoom `level`, counted from the top
-- left. Dividing by a power of two is exact, so a level's index halved is the index one level up, as computed.
CREATE FUNCTION map_cell_column_at(x float8, level integer) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN floor((x + 20037508.342789244) / (40075016.68557849 / (1::bigint << level)))::integer;
CREATE FUNCTION map_cell_row_at(y float8, level integer) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN floor((20037508.342789244 - y) / (40075016.68557849 / (1::bigint << level)))::integer;

ALTER TABLE map_point_cells DROP CONSTRAINT map_point_cells_level_check;
ALTER TABLE map_point_cells ADD CONSTRAINT map_point_cells_level_check CHECK (level BETWEEN 4 AND 17);

-- As in 20261211000100_map_point_cells, with the finest level 17.
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
      SELECT tenant_id, zone_id, map_cell_column_at(x, 17) AS cx, map_cell_row_at(y, 17) AS cy,
             sum(sign)::integer AS count, sum(sign * x) AS sum_x, sum(sign * y) AS sum_y
        FROM moved GROUP BY 1, 2, 3, 4
    ),
    cells AS (
      SELECT f.tenant_id, l.level::smallint AS level, f.cx >> (17 - l.level) AS cx, f.cy >> (17 - l.level) AS cy,
             f.zone_id, sum(f.count)::integer AS count, sum(f.sum_x) AS sum_x, sum(f.sum_y) AS sum_y
        FROM finest f CROSS JOIN generate_series(4, 17) AS l (level)
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
