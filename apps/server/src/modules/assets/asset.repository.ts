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
    ON CONFLICT (tenant_id, code) WHERE archived_at IS NULL DO UPDATE SET
      zone_id = excluded.zone_id, name = excluded.name, kind = excluded.kind, geom = excluded.geom,
      properties = excluded.properties, diameter_mm = excluded.diameter_mm, material = excluded.material,
      from_asset_id = excluded.from_asset_id, to_asset_id = excluded.to_asset_id, installed_on = excluded.installed_on
    RETURNING a.id, (xmax = 0) AS inserted`;
  const created = result.filter((row) => row.inserted).length;
  return { created, updated: result.length - created, ids: result.map((row) => row.id) };
}

/** A pipeline end named by a feature of the same import, set once that feature's asset is written. */
export interface InFileLink {
  readonly code: string;
  readonly fromCode: string | null;
  readonly toCode: string | null;
}

/**
 * Splits off the pipeline ends (`fromAssetId`, `toAssetId`) that name another feature of the collection by its
 * `id`, as an export writes them: those refer to that feature's asset, whatever id it has here (a new one after
 * the assets were deleted, or in another tenant). The features come back with those ends left empty.
 * @example inFileLinks([{ id: 'a', ...tank }, { ...pipe, fromAssetId: 'a' }]).links // [{ code: pipe code, fromCode: tank code, toCode: null }]
 */
export function inFileLinks(features: readonly AssetInput[]): {
  features: AssetInput[];
  links: InFileLink[];
} {
  const codeById = new Map<string, string | null>();
  for (const feature of features) {
    if (feature.id === undefined) continue;
    const id = String(feature.id).toLowerCase();
    // An id given twice names no one feature: it is taken as an asset id, as before.
    codeById.set(id, codeById.has(id) ? null : feature.properties.code);
  }
  const inFile = (id: string | null | undefined): string | null =>
    id ? (codeById.get(id.toLowerCase()) ?? null) : null;
  const links: InFileLink[] = [];
  const rewritten = features.map((feature) => {
    const fromCode = inFile(feature.properties.fromAssetId);
    const toCode = inFile(feature.properties.toAssetId);
    if (fromCode === null && toCode === null) return feature;
    links.push({ code: feature.properties.code, fromCode, toCode });
    return {
      ...feature,
      properties: {
        ...feature.properties,
        fromAssetId: fromCode === null ? feature.properties.fromAssetId : null,
        toAssetId: toCode === null ? feature.properties.toAssetId : null,
      },
    };
  });
  return { features: rewritten, links };
}

/** Points pipeline ends at the assets of the codes `links` name (all written in this transaction). */
export async function linkByCode(
  tx: TenantTransaction,
  tenantId: string,
  links: readonly InFileLink[],
): Promise<void> {
  if (links.length === 0) return;
  const rows = links.map((link) => ({ code: link.code, from_code: link.fromCode, to_code: link.toCode }));
  await tx.$executeRaw`
    WITH l AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS l (code text, from_code text, to_code text)
    )
    UPDATE assets a
       SET from_asset_id = CASE WHEN l.from_code IS NULL THEN a.from_asset_id
                                ELSE (SELECT f.id FROM assets f
                                      WHERE f.tenant_id = a.tenant_id AND f.code = l.from_code AND f.archived_at IS NULL) END,
           to_asset_id = CASE WHEN l.to_code IS NULL THEN a.to_asset_id
                              ELSE (SELECT t.id FROM assets t
                                    WHERE t.tenant_id = a.tenant_id AND t.code = l.to_code AND t.archived_at IS NULL) END
      FROM l
     WHERE a.tenant_id = ${tenantId}::uuid AND a.code = l.code AND a.archived_at IS NULL`;
}

/**
 * What removing an asset from the network undoes, whether the asset is then deleted or archived: its devices are
 * unbound (their readings and alerts stay theirs) and live pipes no longer start or end at it.
 */
export async function detachAsset(
  tx: TenantTransaction,
  id: string,
): Promise<{ devicesUnbound: number; pipeEndsCleared: number }> {
  const devicesUnbound =
    await tx.$executeRaw`UPDATE devices SET asset_id = NULL WHERE asset_id = ${id}::uuid`;
  const pipeEndsCleared = await tx.$executeRaw`
    UPDATE assets SET from_asset_id = CASE WHEN from_asset_id = ${id}::uuid THEN NULL ELSE from_asset_id END,
                      to_asset_id = CASE WHEN to_asset_id = ${id}::uuid THEN NULL ELSE to_asset_id END
     WHERE (from_asset_id = ${id}::uuid OR to_asset_id = ${id}::uuid) AND archived_at IS NULL`;
  return { devicesUnbound, pipeEndsCleared };
}
