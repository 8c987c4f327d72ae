import type pg from 'pg';
import { prepared } from '../../http/json-page.ts';

/** Open alerts that colour the map: shelved, suppressed and out-of-service ones do not. */
const worstAlertPerAsset = `
  SELECT al.asset_id,
         max(CASE al.priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END) AS level,
         max(CASE al.priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END)
           FILTER (WHERE al.state IN ('active_unacknowledged', 'returned_unacknowledged')) AS unacknowledged_level
    FROM alerts al
   WHERE al.closed_at IS NULL AND al.asset_id IS NOT NULL
     AND al.state IN ('active_unacknowledged', 'active_acknowledged', 'returned_unacknowledged')
   GROUP BY al.asset_id`;

// Coordinates rounded to 6 decimals (about 10 cm): enough for a map, and a third shorter than full doubles.
const layersSql = `
  WITH worst AS (${worstAlertPerAsset}),
  visible AS (
    SELECT a.id, a.code, a.name, a.kind, a.geom, a.diameter_mm, a.material,
           coalesce(w.level, 0) AS level,
           (w.unacknowledged_level IS NOT NULL AND w.unacknowledged_level = w.level)::int AS unacknowledged,
           (a.maintenance_since IS NOT NULL)::int AS in_maintenance
      FROM assets a LEFT JOIN worst w ON w.asset_id = a.id
     WHERE a.archived_at IS NULL AND ($1::uuid[] IS NULL OR a.zone_id = ANY($1::uuid[]))
  ),
  points AS (SELECT * FROM visible WHERE kind <> 'pipeline'),
  pipes AS (
    SELECT v.*, (sum(ST_NPoints(v.geom)) OVER (ORDER BY v.id) - ST_NPoints(v.geom))::int AS path_start
      FROM visible v WHERE kind = 'pipeline'
  )
  SELECT json_build_object(
    'points', (SELECT json_build_object(
      'count', count(*),
      'ids', coalesce(json_agg(id ORDER BY id), '[]'),
      'codes', coalesce(json_agg(code ORDER BY id), '[]'),
      'names', coalesce(json_agg(name ORDER BY id), '[]'),
      'kinds', coalesce(json_agg(array_position(enum_range(NULL::asset_kind), kind) - 1 ORDER BY id), '[]'),
      'positions', coalesce((
        SELECT json_agg(c.value ORDER BY p.id, c.ord) FROM points p,
          LATERAL unnest(ARRAY[round(ST_X(p.geom)::numeric, 6), round(ST_Y(p.geom)::numeric, 6)])
            WITH ORDINALITY AS c (value, ord)), '[]'),
      'alertLevels', coalesce(json_agg(level ORDER BY id), '[]'),
      'unacknowledged', coalesce(json_agg(unacknowledged ORDER BY id), '[]'),
      'inMaintenance', coalesce(json_agg(in_maintenance ORDER BY id), '[]')) FROM points),
    'pipes', (SELECT json_build_object(
      'count', count(*),
      'ids', coalesce(json_agg(id ORDER BY id), '[]'),
      'codes', coalesce(json_agg(code ORDER BY id), '[]'),
      'diametersMm', coalesce(json_agg(diameter_mm ORDER BY id), '[]'),
      'materials', coalesce(json_agg(
        coalesce(array_position(enum_range(NULL::pipe_material), material) - 1, -1) ORDER BY id), '[]'),
      'alertLevels', coalesce(json_agg(level ORDER BY id), '[]'),
      'unacknowledged', coalesce(json_agg(unacknowledged ORDER BY id), '[]'),
      'inMaintenance', coalesce(json_agg(in_maintenance ORDER BY id), '[]'),
      'pathStarts', coalesce(json_agg(path_start ORDER BY id), '[]'),
      'coordinates', coalesce((
        SELECT json_agg(c.value ORDER BY p.id, d.path[1], c.ord) FROM pipes p,
          LATERAL ST_DumpPoints(p.geom) d,
          LATERAL unnest(ARRAY[round(ST_X(d.geom)::numeric, 6), round(ST_Y(d.geom)::numeric, 6)])
            WITH ORDINALITY AS c (value, ord)), '[]')) FROM pipes),
    'bbox', (SELECT CASE WHEN count(*) = 0 THEN NULL ELSE json_build_array(
      ST_XMin(ST_Extent(geom)), ST_YMin(ST_Extent(geom)), ST_XMax(ST_Extent(geom)), ST_YMax(ST_Extent(geom))) END
      FROM visible)
  )::text AS json`;

/**
 * The JSON text of the tenant's map layers (`MapLayers`): every visible point asset and pipeline as columns,
 * each with the level of its worst open alert. PostgreSQL builds the text; Node passes it on.
 */
export async function mapLayersJson(client: pg.PoolClient, zones: readonly string[] | null): Promise<string> {
  const { rows } = await client.query<{ json: string }>(prepared(layersSql, [zones]));
  return rows[0]?.json ?? '{}';
}
