import type { MapExtent } from '@tidewatch/shared';
import type pg from 'pg';

/**
 * The extent of the assets the caller sees (row-level security keeps it to the tenant in context; `zones`
 * limits it further), from the boxes map_zone_extents keeps per zone: a row per zone, not a pass over the assets.
 */
export async function readMapExtent(
  client: pg.PoolClient,
  zones: readonly string[] | null,
): Promise<MapExtent> {
  const { rows } = await client.query<{ west: number | null; south: number; east: number; north: number }>({
    name: 'map-extent',
    text: `SELECT min(west) AS west, min(south) AS south, max(east) AS east, max(north) AS north
             FROM map_zone_extents WHERE $1::uuid[] IS NULL OR zone_id = ANY($1::uuid[])`,
    values: [zones],
  });
  const row = rows[0];
  if (!row || row.west === null) return { bbox: null };
  return { bbox: [row.west, row.south, row.east, row.north] };
}
