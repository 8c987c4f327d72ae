import type { TenantTransaction } from '@tidewatch/db';
import type { AssetInput } from '@tidewatch/shared';

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
