import type { TenantTransaction } from '@tidewatch/db';
import type { AssetExportQuery, AssetFeature, AssetQuery } from '@tidewatch/shared';
import type pg from 'pg';
import { jsonPageRead, namedRead, type BoundRead, type JsonPageRead } from '../../http/json-page.ts';
import { decodeCursor } from '../../http/pagination.ts';
import { SqlFilter } from '../../http/sql-filter.ts';
import { hasTagSql, tagsJsonSql } from '../tags/tag.queries.ts';

/** The AssetFeature shape of the API, built by PostgreSQL (the same fields as `assetFeatureSchema`). */
const featureJson = `json_build_object(
  'type', 'Feature', 'id', a.id, 'geometry', ST_AsGeoJSON(a.geom, 7)::json,
  'properties', json_build_object(
    'code', a.code, 'name', a.name, 'kind', a.kind, 'zoneId', a.zone_id, 'diameterMm', a.diameter_mm,
    'material', a.material, 'fromAssetId', a.from_asset_id, 'toAssetId', a.to_asset_id,
    'installedOn', a.installed_on::text, 'inMaintenance', a.maintenance_since IS NOT NULL,
    'maintenanceReason', a.maintenance_reason, 'attributes', a.properties, 'tags', ${tagsJsonSql('asset', 'a')},
    'archivedAt', json_time(a.archived_at)))`;

const escapeLike = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** What moves whenever an asset list may change: the tenant's list version, read under row-level security. */
export const assetListTag = `'v' || coalesce((SELECT v.version FROM list_versions v WHERE v.tenant_id = app_tenant_id()), 0)`;

/** One page of assets as the JSON text of a FeatureCollection with `nextCursor`, with the list's tag. */
export function assetPageRead(
  query: AssetQuery,
  zones: readonly string[] | null,
): (knownTag: string | null) => JsonPageRead {
  const filter = new SqlFilter();
  filter.where(() => (query.archived ? 'a.archived_at IS NOT NULL' : 'a.archived_at IS NULL'));
  if (zones) filter.where((p) => `a.zone_id = ANY(${p}::uuid[])`, zones);
  if (query.ids) filter.where((p) => `a.id = ANY(${p}::uuid[])`, query.ids);
  if (query.kind) filter.where((p) => `a.kind = ${p}::asset_kind`, query.kind);
  if (query.zoneId) filter.where((p) => `a.zone_id = ${p}::uuid`, query.zoneId);
  if (query.q)
    filter.where((p) => `(a.code ILIKE ${p}::text OR a.name ILIKE ${p}::text)`, escapeLike(query.q));
  if (query.tag) filter.where((p) => hasTagSql('asset', 'a', p), query.tag);
  if (query.bbox)
    filter.where(
      (w, s, e, n) =>
        `a.geom && ST_MakeEnvelope(${w}::float8, ${s}::float8, ${e}::float8, ${n}::float8, 4326)`,
      ...query.bbox,
    );
  if (query.near && query.radius !== undefined) {
    filter.where(
      (lng, lat, r) =>
        `ST_DWithin(a.geom::geography, ST_SetSRID(ST_MakePoint(${lng}::float8, ${lat}::float8), 4326)::geography, ${r}::float8)`,
      ...query.near,
      query.radius,
    );
  }
  if (query.cursor) filter.where((p) => `a.id > ${p}::uuid`, decodeCursor(query.cursor));
  const where = filter.clause();
  const limit = filter.param(query.limit);
  return jsonPageRead(
    `SELECT ${featureJson} AS item, a.id, row_number() OVER (ORDER BY a.id) AS rn
       FROM assets a ${where}
      ORDER BY a.id LIMIT ${limit}::integer + 1`,
    filter.params,
    assetListTag,
    { key: 'features', prefix: '"type":"FeatureCollection",' },
  );
}

const assetFeature = namedRead(
  `SELECT ${featureJson}::text AS json FROM assets a
    WHERE a.id = $1::uuid AND ($2::uuid[] IS NULL OR a.zone_id = ANY($2::uuid[]))`,
);

/** One asset as the JSON text of a Feature (`json`), when it is visible. */
export function assetFeatureRead(id: string, zones: readonly string[] | null): BoundRead {
  return { statement: assetFeature, values: [id, zones] };
}

/**
 * One asset as a Feature inside a Prisma transaction (the write routes answer with what they wrote), from the
 * same SQL as the reads, so the two can never disagree on the shape.
 */
export async function findAssetFeature(
  tx: TenantTransaction,
  id: string,
): Promise<{ feature: AssetFeature; zoneId: string | null; archived: boolean } | undefined> {
  const rows = await tx.$queryRawUnsafe<
    { feature: AssetFeature; zone_id: string | null; archived: boolean }[]
  >(
    `SELECT ${featureJson} AS feature, a.zone_id, a.archived_at IS NOT NULL AS archived FROM assets a
      WHERE a.id = $1::uuid`,
    id,
  );
  const row = rows[0];
  return row ? { feature: row.feature, zoneId: row.zone_id, archived: row.archived } : undefined;
}

/** An asset as `POST /assets/import` takes it: its id, and only the properties an import writes. */
const exportFeatureJson = `json_build_object(
  'type', 'Feature', 'id', a.id, 'geometry', ST_AsGeoJSON(a.geom, 9)::json,
  'properties', json_build_object(
    'code', a.code, 'name', a.name, 'kind', a.kind, 'zoneId', a.zone_id, 'diameterMm', a.diameter_mm,
    'material', a.material, 'fromAssetId', a.from_asset_id, 'toAssetId', a.to_asset_id,
    'installedOn', a.installed_on::text, 'attributes', a.properties, 'tags', ${tagsJsonSql('asset', 'a')}))`;

/**
 * The assets matching `query` as the JSON text of a FeatureCollection in code order, and how many there are;
 * at most `max + 1` are read, so a caller can refuse an export larger than it allows.
 */
export async function assetExportJson(
  client: pg.PoolClient,
  query: AssetExportQuery,
  zones: readonly string[] | null,
  max: number,
): Promise<{ json: string; count: number }> {
  const filter = new SqlFilter();
  if (zones) filter.where((p) => `a.zone_id = ANY(${p}::uuid[])`, zones);
  if (query.kind) filter.where((p) => `a.kind = ${p}::asset_kind`, query.kind);
  if (query.zoneId) filter.where((p) => `a.zone_id = ${p}::uuid`, query.zoneId);
  if (query.q) filter.where((p) => `(a.code ILIKE ${p} OR a.name ILIKE ${p})`, escapeLike(query.q));
  // The network as it is: archived assets are not part of it, and an import would not take them back.
  filter.where(() => 'a.archived_at IS NULL');
  const limit = filter.param(max + 1);
  const { rows } = await client.query<{ json: string; count: number }>(
    `SELECT json_build_object('type', 'FeatureCollection',
                              'features', coalesce(json_agg(f.feature ORDER BY f.code), '[]'::json))::text AS json,
            count(*)::integer AS count
       FROM (SELECT a.code, ${exportFeatureJson} AS feature FROM assets a ${filter.clause()}
              ORDER BY a.code LIMIT ${limit}) f`,
    filter.params,
  );
  return { json: rows[0]?.json ?? '{"type":"FeatureCollection","features":[]}', count: rows[0]?.count ?? 0 };
}
