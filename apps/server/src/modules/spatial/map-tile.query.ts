import {
  CLUSTER_BELOW_ZOOM,
  DENSE_CLUSTER_BELOW_ZOOM,
  MAX_DETAILED_TILE_POINTS,
  type TileParams,
} from '@tidewatch/shared';
import type pg from 'pg';
import { tagTextSql } from '../tags/tag.queries.ts';

/** Tile coordinates run 0..4096; features reach 64 units past the edge so lines and symbols join cleanly. */
const EXTENT = 4096;
const BUFFER = 64;
/**
 * Clusters gather the points of a cell, 1/16 of a tile a side (32 screen pixels on 512-pixel tiles): the cells of
 * a tile at zoom z are the tiles of zoom z + 4, as map_point_cells counts them (levels 4 to 18).
 */
const CELL_LEVELS = 4;
const CELLS_PER_SIDE = 2 ** CELL_LEVELS;
/** The deepest zoom a dense tile is clustered at, whose cells are map_point_cells' finest level (18). */
const DEEPEST_CLUSTER_ZOOM = DENSE_CLUSTER_BELOW_ZOOM - 1;
if (DEEPEST_CLUSTER_ZOOM + CELL_LEVELS !== 18) {
  throw new Error(
    'map_point_cells counts levels 4 to 18: its migration must follow DENSE_CLUSTER_BELOW_ZOOM',
  );
}
/** The smallest diameter (mm) of each pipe tier. */
const PIPE_TIER_DIAMETERS = [0, 200, 450] as const;

/**
 * The tags of the features a tile holds (`ids` names them), each as ',tag,tag,' so a style can filter by substring
 * (',key,' or ',key:' or ',key:value,'): one grouped read per tile rather than a subquery per feature (a fifth of a
 * close-up tile's time), and none for clustered or thinned-out rows.
 */
const tagListsSql = (ids: string) => `
  tag_lists AS (
    SELECT lk.asset_id, ',' || string_agg(${tagTextSql('tg')}, ',' ORDER BY ${tagTextSql('tg')} COLLATE "C") || ',' AS tags
      FROM asset_tags lk JOIN tags tg ON tg.id = lk.tag_id
     WHERE lk.asset_id IN (${ids})
     GROUP BY lk.asset_id
  ),`;

/** Whether a tile at zoom `z` is clustered depends on how many points it holds (tilePointCount). */
export function clusteringDependsOnDensity(z: number): boolean {
  return z >= CLUSTER_BELOW_ZOOM && z < DENSE_CLUSTER_BELOW_ZOOM;
}

/**
 * Whether a tile is clustered, and so holds alarm states: zoomed out always (clusters carry their worst alarm and
 * alarmed assets are kept out of them), at zoom 12 to 14 where it holds more than MAX_DETAILED_TILE_POINTS
 * points. Otherwise every asset is in the tile whatever its alarms, and the console colours them from its live
 * alert feed (feature state), so those tiles hold the network alone and stay valid, cached and `304` to the
 * browser, across alert transitions: at a busy site they change many times a second. `points` is needed only
 * where clusteringDependsOnDensity.
 */
export function isClusteredTile(z: number, points: number | null): boolean {
  if (z < CLUSTER_BELOW_ZOOM) return true;
  if (!clusteringDependsOnDensity(z)) return false;
  if (points === null) throw new Error(`a tile of zoom ${String(z)} is clustered by its point count`);
  return points > MAX_DETAILED_TILE_POINTS;
}

/**
 * The drawn points under a tile the caller may see, from the counts kept in map_point_cells (the tile of zoom z
 * is the cell of level z; levels 4 to 18).
 */
export async function tilePointCount(
  client: pg.PoolClient,
  tile: TileParams,
  zones: readonly string[] | null,
): Promise<number> {
  const { rows } = await client.query<{ points: number }>({
    name: 'map-tile-points',
    text: `SELECT coalesce(sum(c.count), 0)::int AS points FROM map_point_cells c
            WHERE c.level = $1::int AND c.cx = $2::int AND c.cy = $3::int AND ${inZones('c')}`,
    values: [tile.z, tile.x, tile.y, zones],
  });
  return rows[0]?.points ?? 0;
}

// The same alerts colour the map as in map-layers.query.ts: open, neither shelved, suppressed nor out of service.
const worstAlarmSql = `
  worst AS (
    SELECT al.asset_id,
           max(CASE al.priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END) AS level,
           max(CASE al.priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END)
             FILTER (WHERE al.state IN ('active_unacknowledged', 'returned_unacknowledged')) AS unacknowledged_level
      FROM alerts al
     WHERE al.closed_at IS NULL AND al.asset_id IS NOT NULL
       AND al.state IN ('active_unacknowledged', 'active_acknowledged', 'returned_unacknowledged')
     GROUP BY al.asset_id
  ),`;

const boundsSql = `
  bounds AS (
    SELECT ST_TileEnvelope($1::int, $2::int, $3::int) AS tile,
           ST_Transform(ST_TileEnvelope($1::int, $2::int, $3::int, margin => ${String(BUFFER / EXTENT)}), 4326) AS area
  ),`;

const inZones = (alias: string) => `($4::uuid[] IS NULL OR ${alias}.zone_id = ANY($4::uuid[]))`;

const tierSql = (alias: string) =>
  `CASE WHEN ${alias}.diameter_mm >= ${String(PIPE_TIER_DIAMETERS[2])} THEN 2
        WHEN ${alias}.diameter_mm >= ${String(PIPE_TIER_DIAMETERS[1])} THEN 1 ELSE 0 END`;

/** What a tile draws of a pipe: columns both map_features and map_pipe_zooms hold. */
const drawnPipeColumns = (alias: string) =>
  ['asset_id', 'code', 'diameter_mm', 'in_maintenance', 'directed', 'against_flow', 'geom']
    .map((column) => `${alias}.${column}`)
    .join(', ');

/**
 * A pipe (drawnPipeColumns) as a tile feature, drawn in the direction of flow; `alarms` adds its alarm state
 * from `worst`.
 */
const pipeFeatureSql = (alarms: boolean) => `
    SELECT p.asset_id::text AS id, p.code, p.diameter_mm AS "diameterMm", ${tierSql('p')} AS tier,
           ${alarms ? 'coalesce(w.level, 0) AS alarm, coalesce(w.unacknowledged_level = w.level, false) AS unacknowledged,' : ''}
           p.in_maintenance AS "inMaintenance", coalesce(tl.tags, '') AS tags, p.directed,
           ST_AsMVTGeom(ST_Transform(CASE WHEN p.against_flow THEN ST_Reverse(p.geom) ELSE p.geom END, 3857),
                        b.tile, ${String(EXTENT)}, ${String(BUFFER)}, true) AS geom
      FROM pipe_rows p
      LEFT JOIN tag_lists tl ON tl.asset_id = p.asset_id
      ${alarms ? 'LEFT JOIN worst w ON w.asset_id = p.asset_id' : ''}
      CROSS JOIN bounds b`;

const zoneFeaturesSql = `
  zone_features AS (
    SELECT z.id::text AS id, z.code, z.name, z.kind::text AS kind,
           ST_AsMVTGeom(ST_Transform(z.geom, 3857), b.tile, ${String(EXTENT)}, ${String(BUFFER)}, true) AS geom
      FROM bounds b
      JOIN zones z ON z.geom && b.area
     WHERE z.archived_at IS NULL AND ($4::uuid[] IS NULL OR z.id = ANY($4::uuid[]))
  )`;

// ST_AsMVT skips a feature whose geometry is NULL (clipped away entirely). No `WHERE geom IS NOT NULL` here: the
// planner would push it down and cut every feature's geometry twice, once for the filter and once for the tile.
const layersSql = (clusters: boolean) => `
  SELECT coalesce((SELECT ST_AsMVT(f, 'zones', ${String(EXTENT)}, 'geom') FROM zone_features f), '')
      || coalesce((SELECT ST_AsMVT(f, 'pipes', ${String(EXTENT)}, 'geom') FROM pipe_features f), '')
      ${clusters ? `|| coalesce((SELECT ST_AsMVT(f, 'clusters', ${String(EXTENT)}, 'geom') FROM cluster_features f), '')` : ''}
      || coalesce((SELECT ST_AsMVT(f, 'points', ${String(EXTENT)}, 'geom') FROM point_features f), '')
      AS tile`;

/**
 * A detailed tile (from zoom CLUSTER_BELOW_ZOOM in, unless dense): every point and pipe under it, no alarm states
 * (the console colours them from its alert feed). Assets are read from map_features, the live assets as a tile
 * draws them, stored in map order: a tile's rows share pages there. Parameters: z, x, y, zones.
 */
const networkTileSql = `
  WITH ${boundsSql}
  visible AS MATERIALIZED (
    SELECT m.* FROM bounds b JOIN map_features m ON m.geom && b.area WHERE ${inZones('m')}
  ),
  ${tagListsSql('SELECT asset_id FROM visible')}
  point_features AS (
    SELECT p.asset_id::text AS id, p.code, p.kind::text AS kind, p.in_maintenance AS "inMaintenance",
           coalesce(tl.tags, '') AS tags,
           ST_AsMVTGeom(ST_Transform(p.geom, 3857), b.tile, ${String(EXTENT)}, ${String(BUFFER)}, true) AS geom
      FROM visible p LEFT JOIN tag_lists tl ON tl.asset_id = p.asset_id CROSS JOIN bounds b
     WHERE p.kind <> 'pipeline'
  ),
  pipe_rows AS (SELECT * FROM visible WHERE kind = 'pipeline'),
  pipe_features AS (${pipeFeatureSql(false)}),
  ${zoneFeaturesSql}
  ${layersSql(false)}`;

/**
 * A zoomed-out or dense tile: points as clusters per cell, read from the counts kept in map_point_cells (never from the
 * points themselves, which at city scale are hundreds of thousands), each cluster coloured by its worst alarm; a
 * point alone in its cell and every point in alarm drawn on its own; the pipes drawn from this zoom (kept in
 * map_pipe_zooms: trunk mains, then from zoom 11 mains of 200 mm and up, at most 2,000 a tile, larger first; a
 * dense tile of zoom 12 to 14 draws those of zoom 11) and every pipe in alarm. What is drawn of each comes from
 * map_features and map_pipe_zooms (both in map order), never from assets. Parameters: z, x, y, zones.
 */
const clusteredTileSql = `
  WITH ${boundsSql}
  ${worstAlarmSql}
  cells AS MATERIALIZED (
    SELECT c.cx, c.cy, sum(c.count)::int AS count, sum(c.sum_x) AS sum_x, sum(c.sum_y) AS sum_y,
           -- The cell in degrees, a hair wider, to find a lone point by the index (see singles).
           ST_Expand(ST_Transform(ST_TileEnvelope($1::int + ${String(CELL_LEVELS)}, c.cx, c.cy), 4326), 1e-9) AS area
      FROM map_point_cells c
     WHERE c.level = $1::int + ${String(CELL_LEVELS)}
       AND c.cx BETWEEN $2::int * ${String(CELLS_PER_SIDE)} AND $2::int * ${String(CELLS_PER_SIDE)} + ${String(CELLS_PER_SIDE - 1)}
       AND c.cy BETWEEN $3::int * ${String(CELLS_PER_SIDE)} AND $3::int * ${String(CELLS_PER_SIDE)} + ${String(CELLS_PER_SIDE - 1)}
       AND ${inZones('c')}
     GROUP BY c.cx, c.cy
    HAVING sum(c.count) > 0
  ),
  -- The assets in alarm under the tile: as many as there are open alerts, not as many as there are assets.
  alarmed AS MATERIALIZED (
    SELECT a.asset_id AS id, a.kind, w.level AS alarm, coalesce(w.unacknowledged_level = w.level, false) AS unacknowledged,
           ST_Transform(a.geom, 3857) AS merc
      FROM worst w JOIN map_features a ON a.asset_id = w.asset_id CROSS JOIN bounds b
     WHERE a.geom && b.area AND ${inZones('a')}
  ),
  alarmed_cells AS (
    SELECT map_cell_column_at(ST_X(p.merc), $1::int + ${String(CELL_LEVELS)}) AS cx,
           map_cell_row_at(ST_Y(p.merc), $1::int + ${String(CELL_LEVELS)}) AS cy,
           max(p.alarm) AS alarm, bool_or(p.unacknowledged) AS unacknowledged
      FROM alarmed p WHERE p.kind <> 'pipeline' GROUP BY 1, 2
  ),
  cluster_features AS (
    SELECT c.count, coalesce(ac.alarm, 0) AS alarm, coalesce(ac.unacknowledged, false) AS unacknowledged,
           ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(c.sum_x / c.count, c.sum_y / c.count), 3857), b.tile,
                        ${String(EXTENT)}, ${String(BUFFER)}, true) AS geom
      FROM cells c LEFT JOIN alarmed_cells ac ON ac.cx = c.cx AND ac.cy = c.cy CROSS JOIN bounds b
     WHERE c.count > 1
  ),
  -- A cell of one point shows that point: found under the cell's area, then checked against the exact cell; at
  -- most 256 index probes a tile. The area is a column of cells, not an expression here: under row-level security
  -- an index condition may hold no function of a column (PostgreSQL could not prove it leaks nothing).
  singles AS (
    SELECT s.id FROM cells c
     CROSS JOIN LATERAL (
       SELECT a.asset_id AS id FROM map_features a
        WHERE a.geom && c.area
          AND a.kind <> 'pipeline' AND ${inZones('a')}
          AND map_cell_column_at(ST_X(ST_Transform(a.geom, 3857)), $1::int + ${String(CELL_LEVELS)}) = c.cx
          AND map_cell_row_at(ST_Y(ST_Transform(a.geom, 3857)), $1::int + ${String(CELL_LEVELS)}) = c.cy
        LIMIT 1
     ) s
     WHERE c.count = 1
  ),
  point_ids AS (SELECT id FROM singles UNION SELECT id FROM alarmed WHERE kind <> 'pipeline'),
  -- The pipes drawn from this zoom (map_pipe_zooms: the larger mains first, at most 2,000 a tile), and every other
  -- pipe in alarm.
  pipe_rows AS (
    SELECT ${drawnPipeColumns('m')} FROM bounds b
      JOIN map_pipe_zooms m ON m.geom && b.area AND m.min_zoom <= $1::int
     WHERE ${inZones('m')}
    UNION ALL
    SELECT ${drawnPipeColumns('a')} FROM alarmed p JOIN map_features a ON a.asset_id = p.id
     WHERE p.kind = 'pipeline'
       AND NOT EXISTS (SELECT 1 FROM map_pipe_zooms m WHERE m.asset_id = p.id AND m.min_zoom <= $1::int)
  ),
  ${tagListsSql('SELECT id FROM point_ids UNION ALL SELECT asset_id FROM pipe_rows')}
  point_features AS (
    SELECT a.asset_id::text AS id, a.code, a.kind::text AS kind, coalesce(w.level, 0) AS alarm,
           coalesce(w.unacknowledged_level = w.level, false) AS unacknowledged,
           a.in_maintenance AS "inMaintenance", coalesce(tl.tags, '') AS tags,
           ST_AsMVTGeom(ST_Transform(a.geom, 3857), b.tile, ${String(EXTENT)}, ${String(BUFFER)}, true) AS geom
      FROM point_ids p
      JOIN map_features a ON a.asset_id = p.id
      LEFT JOIN tag_lists tl ON tl.asset_id = a.asset_id
      LEFT JOIN worst w ON w.asset_id = a.asset_id
      CROSS JOIN bounds b
  ),
  pipe_features AS (${pipeFeatureSql(true)}),
  ${zoneFeaturesSql}
  ${layersSql(true)}`;

/**
 * One vector tile of the network the caller may see (row-level security keeps it to the tenant in context;
 * `zones` limits it further), as uncompressed MVT bytes; empty when nothing is in the tile. Clustered, with alarm
 * states, where `isClusteredTile`.
 */
export async function renderMapTile(
  client: pg.PoolClient,
  tile: TileParams,
  zones: readonly string[] | null,
  clustered: boolean,
): Promise<Buffer> {
  const { rows } = clustered
    ? await client.query<{ tile: Buffer }>({
        name: 'map-tile-clustered',
        text: clusteredTileSql,
        values: [tile.z, tile.x, tile.y, zones],
      })
    : await client.query<{ tile: Buffer }>({
        name: 'map-tile-network',
        text: networkTileSql,
        values: [tile.z, tile.x, tile.y, zones],
      });
  return rows[0]?.tile ?? Buffer.alloc(0);
}

/**
 * Keeps PostgreSQL from compiling a tile's query (JIT): a large tile's estimated cost passes the threshold, and the
 * compile costs half a second or more on every cut, longer than most cuts themselves. For the caller's transaction.
 */
export async function withoutJit(client: pg.PoolClient): Promise<void> {
  await client.query({ name: 'map-tile-no-jit', text: "SELECT set_config('jit', 'off', true)" });
}
