import type { MapExtent } from '@tidewatch/shared';
import type pg from 'pg';

/**
 * The extent of the assets the caller sees (row-level security keeps it to the tenant in context; `zones`
 * limits it further). One pass over the tenant's assets: the caller caches it per network version.
 */
export async function readMapExtent(
  client: pg.PoolClient,
  zones: readonly string[] | null,
): Promise<MapExtent> {
  const { rows } = await client.query<{ west: number | null; south: number; east: number; north: number }>({
    name: 'map-extent',
    text: `SELECT ST_XMin(e) AS west, ST_YMin(e) AS south, ST_XMax(e) AS east, ST_YMax(e) AS north
             FROM (SELECT ST_Extent(geom) AS e FROM assets
                    WHERE archived_at IS NULL AND ($1::uuid[] IS NULL OR zone_id = ANY($1::uuid[]))) x`,
    values: [zones],
  });
  const row = rows[0];
  if (!row || row.west === null) return { bbox: null };
  return { bbox: [row.west, row.south, row.east, row.north] };
}
