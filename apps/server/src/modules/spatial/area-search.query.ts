import { AREA_SEARCH_LIMIT, type AreaAsset, type AreaSearch } from '@tidewatch/shared';
import type pg from 'pg';
import { SqlFilter } from '../../http/sql-filter.ts';

/**
 * Assets inside a drawn polygon (points within, pipelines crossing it) or a circle in metres, ordered by code.
 * The predicates are the LEAKPROOF ones, so the tenant-leading GiST indexes serve them under RLS.
 */
export async function assetsInArea(
  client: pg.PoolClient,
  area: AreaSearch,
  zones: readonly string[] | null,
): Promise<{ items: AreaAsset[]; truncated: boolean }> {
  const filter = new SqlFilter();
  if (area.polygon) {
    // ST_MakeValid: a hand-drawn outline may cross itself, which ST_Intersects would reject.
    filter.where(
      (p) => `ST_Intersects(a.geom, ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(${p}), 4326)))`,
      JSON.stringify(area.polygon),
    );
  } else if (area.center && area.radiusM !== undefined) {
    filter.where(
      (lng, lat, r) =>
        `ST_DWithin(a.geom::geography, ST_SetSRID(ST_MakePoint(${lng}, ${lat}), 4326)::geography, ${r})`,
      area.center[0],
      area.center[1],
      area.radiusM,
    );
  }
  filter.where(() => 'a.archived_at IS NULL');
  if (zones) filter.where((p) => `a.zone_id = ANY(${p}::uuid[])`, zones);
  if (area.kind) filter.where((p) => `a.kind = ${p}::asset_kind`, area.kind);
  const limit = filter.param(AREA_SEARCH_LIMIT + 1);
  const { rows } = await client.query<{
    id: string;
    code: string;
    name: string;
    kind: AreaAsset['kind'];
    zone_id: string | null;
  }>(
    `SELECT a.id, a.code, a.name, a.kind, a.zone_id FROM assets a ${filter.clause()}
      ORDER BY a.code LIMIT ${limit}`,
    filter.params,
  );
  return {
    items: rows
      .slice(0, AREA_SEARCH_LIMIT)
      .map((row) => ({ id: row.id, code: row.code, name: row.name, kind: row.kind, zoneId: row.zone_id })),
    truncated: rows.length > AREA_SEARCH_LIMIT,
  };
}
