import { CLUSTER_BELOW_ZOOM, type TileParams } from '@tidewatch/shared';
import type pg from 'pg';
import { tagTextSql } from '../tags/tag.queries.ts';

/** Tile coordinates run 0..4096; features reach 64 units past the edge so lines and symbols join cleanly. */
const EXTENT = 4096;
const BUFFER = 64;
/** Clusters gather the points of 1/16 of a tile: 32 screen pixels on 512-pixel tiles. */
const CELLS_PER_TILE = 16;
const WORLD_METRES = 40_075_016.685_578_49;

/**
 * The smallest pipe tier a tile holds at a zoom (0 below 200 mm, 1 below 450 mm, 2 trunk mains), as a GIS shows
 * a network by scale: a whole city (zoom 10 and out) by its trunk mains, a district (11) with its distribution
 * mains, every pipe from zoom 12, where points are no longer clustered either. Tens of thousands of pipes a few
 * pixels long tell an operator nothing at city scale and cost every frame. Pipes in alarm are in every tier.
 */
export function minimumPipeTier(z: number): number {
  if (z <= 10) return 2;
  if (z < CLUSTER_BELOW_ZOOM) return 1;
  return 0;
}

/**
 * An emitted feature's tags as ',tag,tag,' so a style can filter by substring (',key,' or ',key:' or
 * ',key:value,'); read only for the features a tile holds, not for the clustered or filtered-out rows.
 */
const tagsOf = (alias: string) => `coalesce((
  SELECT ',' || string_agg(${tagTextSql('tg')}, ',' ORDER BY ${tagTextSql('tg')} COLLATE "C") || ','
    FROM asset_tags lk JOIN tags tg ON tg.id = lk.tag_id WHERE lk.asset_id = ${alias}.id), '')`;

/**
 * Whether a tile at zoom `z` holds alarm states. Zoomed out it must: clusters carry their worst alarm and alarmed
 * assets are kept out of them. Up close every asset is in the tile whatever its alarms, and the console colours
 * them from its live alert feed (feature state), so those tiles hold the network alone and stay valid, cached
 * and `304` to the browser, across alert transitions: at a busy site they change many times a second.
 */
export function tileCarriesAlarms(z: number): boolean {
  return z < CLUSTER_BELOW_ZOOM;
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

const tileSql = (withAlarms: boolean) => `
  WITH bounds AS (
    SELECT ST_TileEnvelope($1::int, $2::int, $3::int) AS tile,
           ST_Transform(ST_TileEnvelope($1::int, $2::int, $3::int, margin => ${String(BUFFER / EXTENT)}), 4326) AS area
  ),
  ${withAlarms ? worstAlarmSql : ''}
  visible AS MATERIALIZED (
    SELECT a.id, a.code, a.kind, a.geom, a.diameter_mm, a.from_asset_id, a.to_asset_id,
           ${withAlarms ? 'coalesce(w.level, 0)' : '0'} AS alarm,
           ${withAlarms ? 'coalesce(w.unacknowledged_level = w.level, false)' : 'false'} AS unacknowledged,
           a.maintenance_since IS NOT NULL AS in_maintenance
      FROM bounds b
      JOIN assets a ON a.geom && b.area
      ${withAlarms ? 'LEFT JOIN worst w ON w.asset_id = a.id' : ''}
     WHERE a.archived_at IS NULL AND ($4::uuid[] IS NULL OR a.zone_id = ANY($4::uuid[]))
  ),
  point_rows AS MATERIALIZED (
    SELECT v.*, ST_Transform(v.geom, 3857) AS merc FROM visible v WHERE v.kind <> 'pipeline'
  ),
  cells AS (
    SELECT count(*) AS count, max(p.alarm) AS alarm, bool_or(p.unacknowledged) AS unacknowledged,
           min(p.id::text) AS only_id, avg(ST_X(p.merc)) AS x, avg(ST_Y(p.merc)) AS y
      FROM point_rows p, bounds b
     WHERE $5::float8 IS NOT NULL
       -- Only the tile's own points: cells nest in tiles, so no cluster is cut twice.
       AND ST_X(p.merc) >= ST_XMin(b.tile) AND ST_X(p.merc) < ST_XMax(b.tile)
       AND ST_Y(p.merc) > ST_YMin(b.tile) AND ST_Y(p.merc) <= ST_YMax(b.tile)
     GROUP BY floor(ST_X(p.merc) / $5::float8), floor(ST_Y(p.merc) / $5::float8)
  ),
  cluster_features AS (
    SELECT c.count::int AS count, c.alarm, c.unacknowledged,
           ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(c.x, c.y), 3857), b.tile, ${String(EXTENT)}, ${String(BUFFER)}, true) AS geom
      FROM cells c, bounds b WHERE c.count > 1
  ),
  point_features AS (
    SELECT p.id::text AS id, p.code, p.kind::text AS kind, ${withAlarms ? 'p.alarm, p.unacknowledged,' : ''}
           p.in_maintenance AS "inMaintenance", ${tagsOf('p')} AS tags,
           ST_AsMVTGeom(p.merc, b.tile, ${String(EXTENT)}, ${String(BUFFER)}, true) AS geom
      FROM point_rows p, bounds b
     WHERE $5::float8 IS NULL OR p.alarm > 0
        OR p.id::text IN (SELECT only_id FROM cells WHERE count = 1)
  ),
  pipe_rows AS (
    SELECT v.*, CASE WHEN v.diameter_mm >= 450 THEN 2 WHEN v.diameter_mm >= 200 THEN 1 ELSE 0 END AS tier,
           -- Drawn in the direction of flow (from_asset to to_asset), whichever way it was digitised.
           CASE WHEN f.geom IS NOT NULL
                  THEN ST_Distance(ST_StartPoint(v.geom), f.geom) > ST_Distance(ST_EndPoint(v.geom), f.geom)
                WHEN t.geom IS NOT NULL
                  THEN ST_Distance(ST_EndPoint(v.geom), t.geom) > ST_Distance(ST_StartPoint(v.geom), t.geom)
                ELSE false END AS against_flow
      FROM visible v
      LEFT JOIN assets f ON f.id = v.from_asset_id
      LEFT JOIN assets t ON t.id = v.to_asset_id
     WHERE v.kind = 'pipeline'
  ),
  pipe_features AS (
    SELECT p.id::text AS id, p.code, p.diameter_mm AS "diameterMm", p.tier,
           ${withAlarms ? 'p.alarm, p.unacknowledged,' : ''}
           p.in_maintenance AS "inMaintenance", ${tagsOf('p')} AS tags,
           (p.from_asset_id IS NOT NULL OR p.to_asset_id IS NOT NULL) AS directed,
           ST_AsMVTGeom(ST_Transform(CASE WHEN p.against_flow THEN ST_Reverse(p.geom) ELSE p.geom END, 3857),
                        b.tile, ${String(EXTENT)}, ${String(BUFFER)}, true) AS geom
      FROM pipe_rows p, bounds b
     WHERE p.tier >= $6::int OR p.alarm > 0
  ),
  zone_features AS (
    SELECT z.id::text AS id, z.code, z.name, z.kind::text AS kind,
           ST_AsMVTGeom(ST_Transform(z.geom, 3857), b.tile, ${String(EXTENT)}, ${String(BUFFER)}, true) AS geom
      FROM bounds b
      JOIN zones z ON z.geom && b.area
     WHERE z.archived_at IS NULL AND ($4::uuid[] IS NULL OR z.id = ANY($4::uuid[]))
  )
  SELECT coalesce((SELECT ST_AsMVT(f, 'zones', ${String(EXTENT)}, 'geom') FROM zone_features f WHERE f.geom IS NOT NULL), '')
      || coalesce((SELECT ST_AsMVT(f, 'pipes', ${String(EXTENT)}, 'geom') FROM pipe_features f WHERE f.geom IS NOT NULL), '')
      || coalesce((SELECT ST_AsMVT(f, 'clusters', ${String(EXTENT)}, 'geom') FROM cluster_features f WHERE f.geom IS NOT NULL), '')
      || coalesce((SELECT ST_AsMVT(f, 'points', ${String(EXTENT)}, 'geom') FROM point_features f WHERE f.geom IS NOT NULL), '')
      AS tile`;
const clusteredTileSql = tileSql(true);
const networkTileSql = tileSql(false);

/**
 * One vector tile of the network the caller may see (row-level security keeps it to the tenant in context;
 * `zones` limits it further), as uncompressed MVT bytes; empty when nothing is in the tile. Alarm states only
 * where `tileCarriesAlarms`.
 */
export async function renderMapTile(
  client: pg.PoolClient,
  tile: TileParams,
  zones: readonly string[] | null,
): Promise<Buffer> {
  const cellMetres = tile.z < CLUSTER_BELOW_ZOOM ? WORLD_METRES / 2 ** tile.z / CELLS_PER_TILE : null;
  const withAlarms = tileCarriesAlarms(tile.z);
  const { rows } = await client.query<{ tile: Buffer }>({
    name: withAlarms ? 'map-tile-clustered' : 'map-tile-network',
    text: withAlarms ? clusteredTileSql : networkTileSql,
    values: [tile.z, tile.x, tile.y, zones, cellMetres, minimumPipeTier(tile.z)],
  });
  return rows[0]?.tile ?? Buffer.alloc(0);
}
