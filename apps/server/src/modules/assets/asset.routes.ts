import { withTenant, withTenantClient, type TenantTransaction } from '@tidewatch/db';
import {
  ASSET_EXPORT_MAX_FEATURES,
  assetCollectionSchema,
  assetExportQuerySchema,
  assetExportSchema,
  assetFeatureSchema,
  assetImportResultSchema,
  assetImportSchema,
  assetInputSchema,
  assetQuerySchema,
  assetUpdateSchema,
  idParamsSchema,
  maintenanceModeSchema,
  type AssetCollection,
  type AssetExport,
  type AssetFeature,
  type AssetInput,
} from '@tidewatch/shared';
import { AppError, conflict, invalid, notFound } from '../../http/app-error.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { defineRoute, RawBody, type AnyRoute } from '../../http/route.ts';
import { hotListKey, type HotLists } from '../../http/hot-list.ts';
import { readJson } from '../../http/json-page.ts';
import { inZoneLimit, zoneLimit } from '../../http/zone-scope.ts';
import type { RouteDeps } from '../api-routes.ts';
import { recordAudit, recordAuditOnClient } from '../audit/record-audit.ts';
import { isCheckViolation, isUniqueViolation } from '../database-errors.ts';
import { deleteOrArchive } from '../records/delete-or-archive.ts';
import { setTags } from '../tags/tag.queries.ts';
import { requireInZones } from '../tenant-references.ts';
import { assetExportJson, assetFeatureRead, assetPageRead, findAssetFeature } from './asset.queries.ts';
import { detachAsset, inFileLinks, linkByCode, upsertAssets } from './asset.repository.ts';

async function readAsset(tx: TenantTransaction, ctx: TenantContext, id: string): Promise<AssetFeature> {
  const found = await findAssetFeature(tx, id);
  if (!found || !inZoneLimit(ctx, found.zoneId)) throw notFound('Asset');
  return found.feature;
}

/** An asset the caller may change: visible to them and not archived. */
async function liveAsset(tx: TenantTransaction, ctx: TenantContext, id: string): Promise<AssetFeature> {
  const found = await findAssetFeature(tx, id);
  if (!found || !inZoneLimit(ctx, found.zoneId)) throw notFound('Asset');
  if (found.archived) throw conflict('The asset is archived');
  return found.feature;
}

async function checkReferences(
  tx: TenantTransaction,
  ctx: TenantContext,
  features: readonly AssetInput[],
): Promise<void> {
  const limit = zoneLimit(ctx);
  if (limit && features.some((f) => !f.properties.zoneId || !limit.includes(f.properties.zoneId))) {
    throw new AppError('forbidden', 'You may only place assets in your own zones');
  }
  await requireInZones(
    tx,
    limit,
    'zones',
    'properties.zoneId',
    features.map((f) => f.properties.zoneId),
  );
  await requireInZones(
    tx,
    limit,
    'assets',
    'properties.fromAssetId',
    features.flatMap((f) => [f.properties.fromAssetId, f.properties.toAssetId]),
  );
  // A code names the live asset it updates: a zone-limited user may not reach one outside their zones by it.
  if (limit) {
    const outside = await tx.asset.count({
      where: {
        code: { in: features.map((f) => f.properties.code) },
        archivedAt: null,
        OR: [{ zoneId: null }, { zoneId: { notIn: [...limit] } }],
      },
    });
    if (outside > 0)
      throw new AppError('forbidden', 'Some of these codes belong to assets outside your zones');
  }
}

/** Writes the tags of the features that give them (by code: the assets were just written). */
async function writeFeatureTags(
  tx: TenantTransaction,
  tenantId: string,
  features: readonly AssetInput[],
): Promise<void> {
  const tagged = features.filter((f) => f.properties.tags !== undefined);
  if (tagged.length === 0) return;
  const rows = await tx.asset.findMany({
    where: { code: { in: tagged.map((f) => f.properties.code) }, archivedAt: null },
    select: { id: true, code: true },
  });
  const idByCode = new Map(rows.map((row) => [row.code, row.id]));
  for (const feature of tagged) {
    const id = idByCode.get(feature.properties.code);
    if (id) await setTags(tx, tenantId, 'asset', id, feature.properties.tags ?? []);
  }
}

function mapWriteError(error: unknown): never {
  if (isUniqueViolation(error)) throw conflict('An asset with this code exists');
  if (isCheckViolation(error)) throw invalid('geometry', 'The geometry is not valid for this kind of asset');
  throw error;
}

/** Assets on the map, as GeoJSON in and out. */
export function assetRoutes({ db, bus }: RouteDeps, hotLists: HotLists): AnyRoute[] {
  const tagsChanged = <T>(tenantId: string, tagged: boolean, result: T): T => {
    if (tagged) bus.emit('tags.changed', { tenantId });
    return result;
  };
  return [
    defineRoute({
      method: 'get',
      path: '/assets',
      summary: 'Assets as a GeoJSON FeatureCollection, filtered by kind, zone, text, tag, bbox or radius',
      tag: 'assets',
      access: 'tenant',
      permission: 'asset:read',
      query: assetQuerySchema,
      response: assetCollectionSchema,
      // Polled by every open console.
      direct: true,
      handler: ({ query }, ctx) =>
        hotLists.serve<AssetCollection>(
          ctx,
          hotListKey('assets', ctx, query),
          assetPageRead(query, zoneLimit(ctx)),
        ),
    }),
    defineRoute({
      method: 'get',
      path: '/assets/export',
      summary:
        'Assets as a GeoJSON file that POST /assets/import takes back as it is, filtered by kind, zone or text',
      tag: 'assets',
      access: 'tenant',
      permission: 'asset:read',
      query: assetExportQuerySchema,
      response: assetExportSchema,
      handler: async ({ query }, ctx) => {
        const { json, count } = await withTenantClient(db.pool, dbContext(ctx), async (client) => {
          // A whole network's file takes longer than the role's 5 s statement budget: 60 s, this transaction only.
          await client.query(`SET LOCAL statement_timeout = '60s'`);
          const exported = await assetExportJson(client, query, zoneLimit(ctx), ASSET_EXPORT_MAX_FEATURES);
          // The whole network can leave in one file: who took which part is on record.
          if (exported.count <= ASSET_EXPORT_MAX_FEATURES) {
            await recordAuditOnClient(client, ctx, {
              action: 'asset.export',
              resourceType: 'asset',
              details: { count: exported.count, ...query },
            });
          }
          return exported;
        });
        if (count > ASSET_EXPORT_MAX_FEATURES) {
          throw invalid(
            'kind',
            `More than ${String(ASSET_EXPORT_MAX_FEATURES)} assets, more than one import takes: export by kind or zone`,
          );
        }
        const day = new Date().toISOString().slice(0, 10);
        return new RawBody<AssetExport>(json, 'application/geo+json', {
          'Content-Disposition': `attachment; filename="assets-${day}.geojson"`,
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/assets/:id',
      summary: 'One asset as a GeoJSON Feature',
      tag: 'assets',
      access: 'tenant',
      permission: 'asset:read',
      params: idParamsSchema,
      response: assetFeatureSchema,
      handler: async ({ params }, ctx) => {
        const json = await readJson(db.pool, dbContext(ctx), assetFeatureRead(params.id, zoneLimit(ctx)));
        if (json === null) throw notFound('Asset');
        return new RawBody<AssetFeature>(json);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/assets',
      summary: 'Create an asset from a GeoJSON Feature',
      tag: 'assets',
      access: 'tenant',
      permission: 'asset:write',
      body: assetInputSchema,
      response: assetFeatureSchema,
      status: 201,
      handler: async ({ body }, ctx) =>
        tagsChanged(
          ctx.tenantId,
          body.properties.tags !== undefined,
          await withTenant(db.prisma, dbContext(ctx), async (tx) => {
            await checkReferences(tx, ctx, [body]);
            const exists = await tx.asset.count({ where: { code: body.properties.code, archivedAt: null } });
            if (exists) throw conflict(`An asset with code "${body.properties.code}" exists`);
            const { ids } = await upsertAssets(tx, ctx.tenantId, [body]).catch(mapWriteError);
            const id = ids[0] ?? '';
            await writeFeatureTags(tx, ctx.tenantId, [body]);
            await recordAudit(tx, ctx, {
              action: 'asset.create',
              resourceType: 'asset',
              resourceId: id,
              details: { code: body.properties.code },
            });
            return readAsset(tx, ctx, id);
          }),
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/assets/import',
      summary: 'Import a GeoJSON FeatureCollection: creates new codes, updates existing ones, all or nothing',
      tag: 'assets',
      access: 'tenant',
      permission: 'asset:write',
      largeBody: true,
      body: assetImportSchema,
      response: assetImportResultSchema,
      handler: async ({ body }, ctx) =>
        tagsChanged(
          ctx.tenantId,
          body.features.some((f) => f.properties.tags !== undefined),
          await withTenant(
            db.prisma,
            dbContext(ctx),
            async (tx) => {
              // Thousands of features in one transaction: 120 s, longer than the role's 5 s, for this one only.
              await tx.$executeRaw`SET LOCAL statement_timeout = '120s'`;
              const codes = body.features.map((f) => f.properties.code);
              if (new Set(codes).size !== codes.length)
                throw invalid('features', 'Each code may appear once');
              const { features, links } = inFileLinks(body.features);
              await checkReferences(tx, ctx, features);
              const result = await upsertAssets(tx, ctx.tenantId, features).catch(mapWriteError);
              await linkByCode(tx, ctx.tenantId, links).catch(mapWriteError);
              await writeFeatureTags(tx, ctx.tenantId, features);
              await recordAudit(tx, ctx, {
                action: 'asset.import',
                resourceType: 'asset',
                details: { created: result.created, updated: result.updated },
              });
              return { created: result.created, updated: result.updated };
            },
            { timeoutMs: 120_000 },
          ),
        ),
    }),
    defineRoute({
      method: 'patch',
      path: '/assets/:id',
      summary: 'Change an asset (name, zone, geometry, pipe attributes, tags)',
      tag: 'assets',
      access: 'tenant',
      permission: 'asset:write',
      params: idParamsSchema,
      body: assetUpdateSchema,
      response: assetFeatureSchema,
      handler: async ({ params, body }, ctx) =>
        tagsChanged(
          ctx.tenantId,
          body.tags !== undefined,
          await withTenant(db.prisma, dbContext(ctx), async (tx) => {
            // Locked first: an asset removed meanwhile is a 404, not written again under a new id (nor tagged).
            await tx.$executeRaw`SELECT 1 FROM assets WHERE id = ${params.id}::uuid FOR UPDATE`;
            const current = await liveAsset(tx, ctx, params.id);
            await requireInZones(tx, zoneLimit(ctx), 'zones', 'zoneId', [body.zoneId]);
            const p = current.properties;
            const next: AssetInput = {
              type: 'Feature',
              geometry: body.geometry ?? current.geometry,
              properties: {
                code: p.code,
                name: body.name ?? p.name,
                kind: p.kind,
                zoneId: body.zoneId === undefined ? p.zoneId : body.zoneId,
                diameterMm: body.diameterMm ?? p.diameterMm,
                material: body.material === undefined ? p.material : body.material,
                fromAssetId: p.fromAssetId,
                toAssetId: p.toAssetId,
                installedOn: body.installedOn === undefined ? p.installedOn : body.installedOn,
                attributes: body.attributes ?? p.attributes,
              },
            };
            const parsed = assetInputSchema.safeParse(next);
            if (!parsed.success) throw invalid('geometry', parsed.error.issues[0]?.message ?? 'not valid');
            await checkReferences(tx, ctx, [parsed.data]);
            await upsertAssets(tx, ctx.tenantId, [parsed.data]).catch(mapWriteError);
            if (body.tags) await setTags(tx, ctx.tenantId, 'asset', params.id, body.tags);
            await recordAudit(tx, ctx, {
              action: 'asset.update',
              resourceType: 'asset',
              resourceId: params.id,
              details: { fields: Object.keys(body), ...(body.tags ? { tags: body.tags } : {}) },
            });
            return readAsset(tx, ctx, params.id);
          }),
        ),
    }),
    defineRoute({
      method: 'put',
      path: '/assets/:id/maintenance',
      summary: 'Put an asset in or out of maintenance mode (its alerts are suppressed meanwhile)',
      tag: 'assets',
      access: 'tenant',
      permission: 'asset:maintenance',
      params: idParamsSchema,
      body: maintenanceModeSchema,
      response: assetFeatureSchema,
      handler: ({ params, body }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          await liveAsset(tx, ctx, params.id);
          await tx.asset.update({
            where: { id: params.id },
            data: body.inMaintenance
              ? { maintenanceSince: new Date(), maintenanceReason: body.reason ?? null }
              : { maintenanceSince: null, maintenanceReason: null },
          });
          await recordAudit(tx, ctx, {
            action: body.inMaintenance ? 'asset.maintenance_start' : 'asset.maintenance_end',
            resourceType: 'asset',
            resourceId: params.id,
            details: { reason: body.reason ?? null },
          });
          return readAsset(tx, ctx, params.id);
        }),
    }),
    defineRoute({
      method: 'delete',
      path: '/assets/:id',
      summary:
        'Remove an asset from the network: its devices are unbound and pipes no longer end at it. An asset that ' +
        'alerts, incidents, maintenance logs or rules name is archived rather than deleted (204 either way; ' +
        'the audit log says which)',
      tag: 'assets',
      access: 'tenant',
      permission: 'asset:write',
      params: idParamsSchema,
      response: null,
      handler: async ({ params }, ctx) => {
        await withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const asset = await liveAsset(tx, ctx, params.id);
          const detached = await detachAsset(tx, params.id);
          const removal = await deleteOrArchive(tx, 'assets', params.id, ctx.principal.userId);
          await recordAudit(tx, ctx, {
            action: removal === 'deleted' ? 'asset.delete' : 'asset.archive',
            resourceType: 'asset',
            resourceId: params.id,
            details: { code: asset.properties.code, ...detached },
          });
        });
      },
    }),
  ];
}
