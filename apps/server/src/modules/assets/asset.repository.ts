import { Prisma, type TenantTransaction } from '@tidewatch/db';
import type { AssetFeature, AssetInput, AssetKind, PipeMaterial } from '@tidewatch/shared';

interface AssetRow {
  id: string;
  code: string;
  name: string;
  kind: AssetKind;
  zone_id: string | null;
  diameter_mm: number | null;
  material: PipeMaterial | null;
  from_asset_id: string | null;
  to_asset_id: string | null;
  installed_on: string | null;
  in_maintenance: boolean;
  maintenance_reason: string | null;
  properties: Record<string, unknown>;
  geometry: AssetFeature['geometry'];
}

export const toFeature = (row: AssetRow): AssetFeature => ({
  type: 'Feature',
  id: row.id,
  geometry: row.geometry,
  properties: {
    code: row.code,
    name: row.name,
    kind: row.kind,
    zoneId: row.zone_id,
    diameterMm: row.diameter_mm,
    material: row.material,
    fromAssetId: row.from_asset_id,
    toAssetId: row.to_asset_id,
    installedOn: row.installed_on,
    inMaintenance: row.in_maintenance,
    maintenanceReason: row.maintenance_reason,
    attributes: row.properties,
  },
});

const selectAssets = Prisma.sql`
  SELECT id, code, name, kind, zone_id, diameter_mm, material, from_asset_id, to_asset_id, installed_on::text,
         maintenance_since IS NOT NULL AS in_maintenance, maintenance_reason, properties,
         ST_AsGeoJSON(geom, 7)::jsonb AS geometry
    FROM assets`;

export async function findAsset(tx: TenantTransaction, id: string): Promise<AssetRow | undefined> {
  const rows = await tx.$queryRaw<AssetRow[]>`${selectAssets} WHERE id = ${id}::uuid`;
  return rows[0];
}

/**
 * Creates assets, or updates those whose code exists, in one statement. A feature without a zone is placed in
 * the zone that contains it. Returns how many were created and updated.
 */
export async function upsertAssets(
  tx: TenantTransaction,
  tenantId: string,
  features: readonly AssetInput[],
): Promise<{ created: number; updated: number; ids: string[] }> {
  const rows = features.map((feature) => ({
    code: feature.properties.code,
    name: feature.properties.name,
    kind: feature.properties.kind,
    zone_id: feature.properties.zoneId ?? null,
    diameter_mm: feature.properties.diameterMm ?? null,
    material: feature.properties.material ?? null,
    from_asset_id: feature.properties.fromAssetId ?? null,
    to_asset_id: feature.properties.toAssetId ?? null,
    installed_on: feature.properties.installedOn ?? null,
    properties: feature.properties.attributes ?? {},
    geometry: JSON.stringify(feature.geometry),
  }));
  const result = await tx.$queryRaw<{ id: string; inserted: boolean }[]>`
    WITH input AS (
      SELECT r.*, ST_SetSRID(ST_GeomFromGeoJSON(r.geometry), 4326) AS geom
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r (
          code text, name text, kind asset_kind, zone_id uuid, diameter_mm int, material pipe_material,
          from_asset_id uuid, to_asset_id uuid, installed_on date, properties jsonb, geometry text)
    )
    INSERT INTO assets AS a (tenant_id, zone_id, code, name, kind, geom, properties, diameter_mm, material,
                             from_asset_id, to_asset_id, installed_on)
    SELECT ${tenantId}::uuid,
           coalesce(i.zone_id, (SELECT z.id FROM zones z WHERE ST_Covers(z.geom, ST_PointOnSurface(i.geom)) LIMIT 1)),
           i.code, i.name, i.kind, i.geom, i.properties, i.diameter_mm, i.material, i.from_asset_id, i.to_asset_id,
           i.installed_on
      FROM input i
    ON CONFLICT (tenant_id, code) DO UPDATE SET
      zone_id = excluded.zone_id, name = excluded.name, kind = excluded.kind, geom = excluded.geom,
      properties = excluded.properties, diameter_mm = excluded.diameter_mm, material = excluded.material,
      from_asset_id = excluded.from_asset_id, to_asset_id = excluded.to_asset_id, installed_on = excluded.installed_on
    RETURNING a.id, (xmax = 0) AS inserted`;
  const created = result.filter((row) => row.inserted).length;
  return { created, updated: result.length - created, ids: result.map((row) => row.id) };
}
