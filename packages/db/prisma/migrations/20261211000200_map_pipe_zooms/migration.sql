-- The zoom from which each main is drawn on the zoomed-out map, chosen so that no tile below zoom 12 holds more
-- than 2,000 pipes: a city-wide tile of a dense network otherwise holds a hundred thousand (8 MB, seconds to cut and
-- to draw), and at that scale an operator sees the network's shape, not each main. The larger mains come first
-- (trunk mains from zoom 0, distribution mains 200 mm and up from zoom 11, the rest from zoom 12 as before), then
-- the longer, so where a tile is full its smallest and shortest pipes wait for a closer zoom. Every pipe in alarm is
-- drawn whatever its zoom (the tile query adds them). Zoom 12 and in draws every pipe.
--
-- A pipe counts in the tile of its midpoint. `map_pipe_slots` counts, per tile of each zoom 0-11, the pipes drawn
-- there; a new or changed pipe takes a slot where one is free, from the first zoom at which every deeper zoom has
-- one too, so no count ever passes the budget; a removed pipe frees its slots (nothing is promoted into them: a
-- tile may hold fewer than it could until the pipes are written again). Kept by the statements that change assets.
CREATE TABLE map_pipe_zooms (
  asset_id  uuid PRIMARY KEY,
  tenant_id uuid     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  min_zoom  smallint NOT NULL CHECK (min_zoom BETWEEN 0 AND 11),
  -- The zoom-11 tile of the pipe's midpoint; the tile at zoom z is (tx, ty) >> (11 - z).
  tx        integer  NOT NULL,
  ty        integer  NOT NULL,
  geom      geometry(LineString, 4326) NOT NULL
);
CREATE INDEX map_pipe_zooms_tile_idx ON map_pipe_zooms USING gist (tenant_id, min_zoom, geom);

CREATE TABLE map_pipe_slots (
  tenant_id uuid     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  zoom      smallint NOT NULL,
  tx        integer  NOT NULL,
  ty        integer  NOT NULL,
  taken     integer  NOT NULL,
  PRIMARY KEY (tenant_id, zoom, tx, ty)
);

-- The statement that frees the slots of the drawn pipes `source` names (yielding `id`) and forgets them.
CREATE FUNCTION map_pipe_zooms_release_sql(source text) RETURNS text
  LANGUAGE sql IMMUTABLE
  RETURN format($sql$
    WITH gone AS (
      DELETE FROM map_pipe_zooms m WHERE m.asset_id IN (%s) RETURNING m.tenant_id, m.min_zoom, m.tx, m.ty
    ),
    freed AS (
      SELECT g.tenant_id, z.zoom, g.tx >> (11 - z.zoom) AS tx, g.ty >> (11 - z.zoom) AS ty, count(*)::integer AS n
        FROM gone g JOIN generate_series(0, 11) AS z (zoom) ON z.zoom >= g.min_zoom
       GROUP BY 1, 2, 3, 4
    )
    UPDATE map_pipe_slots s SET taken = s.taken - f.n
      FROM freed f
     WHERE s.tenant_id = f.tenant_id AND s.zoom = f.zoom AND s.tx = f.tx AND s.ty = f.ty
  $sql$, source);

-- The statement that gives the pipes `source` yields (id, tenant_id, geom, diameter_mm) their zoom where a slot is
-- free. Each is ranked within its tile at every zoom it could appear at (one rank per tile, so the pipes taking
-- slots in a tile are at most the slots it has left); its zoom is the first from which it has a slot at every
-- deeper zoom. Points beyond web mercator's latitudes are drawn on no map.
CREATE FUNCTION map_pipe_zooms_take_sql(source text) RETURNS text
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
    -- it small would compare every pair (25 s for 50,000 pipes). The geometry comes from the row by its key.
    drawn AS (
      INSERT INTO map_pipe_zooms (asset_id, tenant_id, min_zoom, tx, ty, geom)
      SELECT z.id, z.tenant_id, z.min_zoom, z.tx, z.ty, a.geom
        FROM zooms z JOIN assets a ON a.id = z.id
       WHERE z.min_zoom <= 11
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

-- Runs with the owner's rights. An UPDATE re-places only the pipes it moved, resized, archived or turned into or
-- out of pipes; a rename or maintenance keeps a pipe's zoom. Old and new versions are compared as sets (EXCEPT),
-- never joined: transition tables have no statistics, and a join of the two was planned as a nested loop.
CREATE FUNCTION update_map_pipe_zooms() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    version CONSTANT text := $v$ SELECT %1$s.id, %1$s.tenant_id, %1$s.kind, %1$s.archived_at, %1$s.diameter_mm,
                                        ST_AsEWKB(%1$s.geom) AS line FROM %2$s %1$s $v$;
    placed CONSTANT text := $p$ SELECT d.id, d.tenant_id, ST_GeomFromEWKB(d.line) AS geom, d.diameter_mm
                                  FROM (%s) d WHERE d.kind = 'pipeline' AND d.archived_at IS NULL $p$;
  BEGIN
    IF TG_OP = 'DELETE' THEN
      EXECUTE map_pipe_zooms_release_sql('SELECT o.id FROM old_rows o');
    ELSIF TG_OP = 'INSERT' THEN
      EXECUTE map_pipe_zooms_take_sql(format(placed, format(version, 'n', 'new_rows')));
    ELSE
      EXECUTE map_pipe_zooms_release_sql(format('SELECT d.id FROM (%s EXCEPT %s) d',
                                                format(version, 'o', 'old_rows'), format(version, 'n', 'new_rows')));
      EXECUTE map_pipe_zooms_take_sql(format(placed, format('%s EXCEPT %s',
                                             format(version, 'n', 'new_rows'), format(version, 'o', 'old_rows'))));
    END IF;
    DELETE FROM map_pipe_slots WHERE taken = 0;
    RETURN NULL;
  END
  $$;
REVOKE ALL ON FUNCTION update_map_pipe_zooms() FROM PUBLIC;
CREATE INDEX map_pipe_slots_free_idx ON map_pipe_slots (tenant_id) WHERE taken = 0;

-- Named to fire after the assets_map_version_* triggers, as the point cells' (see map_point_cells).
CREATE TRIGGER assets_network_pipes_insert AFTER INSERT ON assets REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION update_map_pipe_zooms();
CREATE TRIGGER assets_network_pipes_update AFTER UPDATE ON assets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION update_map_pipe_zooms();
CREATE TRIGGER assets_network_pipes_delete AFTER DELETE ON assets REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION update_map_pipe_zooms();

DO $$
BEGIN
  EXECUTE map_pipe_zooms_take_sql(
    'SELECT a.id, a.tenant_id, a.geom, a.diameter_mm FROM assets a WHERE a.kind = ''pipeline'' AND a.archived_at IS NULL');
END
$$;

ALTER TABLE map_pipe_zooms ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON map_pipe_zooms USING (tenant_id = app_tenant_id());
GRANT SELECT ON map_pipe_zooms TO tidewatch_app;
ALTER TABLE map_pipe_slots ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON map_pipe_slots USING (tenant_id = app_tenant_id());
