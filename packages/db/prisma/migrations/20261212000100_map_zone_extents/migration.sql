-- Where each zone's assets lie (and those in no zone), kept by the statements that change assets, so the console's
-- first camera (GET /map/extent) reads a row per zone instead of passing over every asset of the tenant: 0.7 s at
-- 150,000 assets right after an import, while the first view's tiles wait for it.
--
-- A statement that adds assets widens its zones' boxes by what it added; one that removes, moves, re-zones or
-- archives an asset on the edge of its zone's box recomputes that zone's box from its assets (an asset inside the
-- box changes nothing). Boxes are ST_Extent's, as a pass over the assets computes them.
CREATE TABLE map_zone_extents (
  tenant_id uuid   NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  zone_id   uuid,
  west      float8 NOT NULL,
  south     float8 NOT NULL,
  east      float8 NOT NULL,
  north     float8 NOT NULL,
  CONSTRAINT map_zone_extents_key UNIQUE NULLS NOT DISTINCT (tenant_id, zone_id)
);

-- Runs with the owner's rights: the application reads its tenant's boxes but never writes them. Old and new rows
-- are compared as sets (EXCEPT), as in update_map_point_cells: a renamed asset neither widens nor recomputes. Rows
-- are written in key order, after the statement's assets_map_version trigger has locked the tenant's version row,
-- so two statements of one tenant reach these rows one after the other.
CREATE FUNCTION update_map_zone_extents() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    placed CONSTANT text := $d$ SELECT %1$s.id, %1$s.tenant_id, %1$s.zone_id, ST_AsEWKB(%1$s.geom) AS shape
                                  FROM %2$s %1$s WHERE %1$s.archived_at IS NULL $d$;
    gone text;
    came text;
    edge record;
    box box2d;
  BEGIN
    IF TG_OP = 'DELETE' THEN
      gone := format(placed, 'o', 'old_rows');
    ELSIF TG_OP = 'UPDATE' THEN
      gone := format('%s EXCEPT %s', format(placed, 'o', 'old_rows'), format(placed, 'n', 'new_rows'));
      came := format('%s EXCEPT %s', format(placed, 'n', 'new_rows'), format(placed, 'o', 'old_rows'));
    ELSE
      came := format(placed, 'n', 'new_rows');
    END IF;

    IF gone IS NOT NULL THEN
      FOR edge IN EXECUTE format($sql$
        SELECT e.tenant_id, e.zone_id
          FROM (SELECT g.tenant_id, g.zone_id, ST_Extent(ST_GeomFromEWKB(g.shape)) AS box FROM (%s) g GROUP BY 1, 2) g
          JOIN map_zone_extents e ON e.tenant_id = g.tenant_id AND e.zone_id IS NOT DISTINCT FROM g.zone_id
         WHERE NOT (ST_XMin(g.box) > e.west AND ST_XMax(g.box) < e.east
                    AND ST_YMin(g.box) > e.south AND ST_YMax(g.box) < e.north)
         ORDER BY 1, 2
      $sql$, gone)
      LOOP
        SELECT ST_Extent(a.geom) INTO box FROM assets a
         WHERE a.tenant_id = edge.tenant_id AND a.archived_at IS NULL
           AND (a.zone_id = edge.zone_id OR (edge.zone_id IS NULL AND a.zone_id IS NULL));
        IF box IS NULL THEN
          DELETE FROM map_zone_extents e
           WHERE e.tenant_id = edge.tenant_id AND e.zone_id IS NOT DISTINCT FROM edge.zone_id;
        ELSE
          UPDATE map_zone_extents e
             SET west = ST_XMin(box), south = ST_YMin(box), east = ST_XMax(box), north = ST_YMax(box)
           WHERE e.tenant_id = edge.tenant_id AND e.zone_id IS NOT DISTINCT FROM edge.zone_id;
        END IF;
      END LOOP;
    END IF;

    IF came IS NOT NULL THEN
      EXECUTE format($sql$
        INSERT INTO map_zone_extents AS e (tenant_id, zone_id, west, south, east, north)
        SELECT c.tenant_id, c.zone_id, ST_XMin(c.box), ST_YMin(c.box), ST_XMax(c.box), ST_YMax(c.box)
          FROM (SELECT n.tenant_id, n.zone_id, ST_Extent(ST_GeomFromEWKB(n.shape)) AS box FROM (%s) n GROUP BY 1, 2) c
          JOIN tenants t ON t.id = c.tenant_id
         ORDER BY c.tenant_id, c.zone_id
        ON CONFLICT ON CONSTRAINT map_zone_extents_key DO UPDATE
           SET west = least(e.west, excluded.west), south = least(e.south, excluded.south),
               east = greatest(e.east, excluded.east), north = greatest(e.north, excluded.north)
      $sql$, came);
    END IF;
    RETURN NULL;
  END
  $$;
REVOKE ALL ON FUNCTION update_map_zone_extents() FROM PUBLIC;

CREATE TRIGGER assets_network_extent_insert AFTER INSERT ON assets REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION update_map_zone_extents();
CREATE TRIGGER assets_network_extent_update AFTER UPDATE ON assets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION update_map_zone_extents();
CREATE TRIGGER assets_network_extent_delete AFTER DELETE ON assets REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION update_map_zone_extents();

INSERT INTO map_zone_extents (tenant_id, zone_id, west, south, east, north)
SELECT x.tenant_id, x.zone_id, ST_XMin(x.box), ST_YMin(x.box), ST_XMax(x.box), ST_YMax(x.box)
  FROM (SELECT tenant_id, zone_id, ST_Extent(geom) AS box FROM assets WHERE archived_at IS NULL GROUP BY 1, 2) x;

ALTER TABLE map_zone_extents ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON map_zone_extents USING (tenant_id = app_tenant_id());
GRANT SELECT ON map_zone_extents TO tidewatch_app;
