import { Prisma, withTenant, type TenantTransaction } from '@tidewatch/db';
import {
  createZoneSchema,
  idParamsSchema,
  pageOf,
  pageQuerySchema,
  updateZoneSchema,
  zoneSchema,
  type Zone,
  type ZoneKind,
} from '@tidewatch/shared';
import { conflict, invalid, notFound } from '../../http/app-error.ts';
import { decodeCursor, toPage } from '../../http/pagination.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import type { RouteDeps } from '../api-routes.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { isCheckViolation, isForeignKeyViolation, isUniqueViolation } from '../database-errors.ts';
import { requireInTenant } from '../tenant-references.ts';

interface ZoneRow {
  id: string;
  code: string;
  name: string;
  kind: ZoneKind;
  parent_id: string | null;
  geometry: Zone['geometry'];
}

const toZone = (row: ZoneRow): Zone => ({
  id: row.id,
  code: row.code,
  name: row.name,
  kind: row.kind,
  parentId: row.parent_id,
  geometry: row.geometry,
});

const selectZones = Prisma.sql`
  SELECT id, code, name, kind, parent_id, ST_AsGeoJSON(geom, 7)::jsonb AS geometry FROM zones`;

async function readZone(tx: TenantTransaction, ctx: TenantContext, id: string): Promise<Zone> {
  const limit = zoneLimit(ctx);
  const rows = await tx.$queryRaw<ZoneRow[]>`${selectZones} WHERE id = ${id}::uuid
    ${limit ? Prisma.sql`AND id = ANY(${[...limit]}::uuid[])` : Prisma.empty}`;
  const row = rows[0];
  if (!row) throw notFound('Zone');
  return toZone(row);
}

function mapWriteError(error: unknown, code?: string): never {
  if (isUniqueViolation(error)) throw conflict(`A zone with code "${code ?? ''}" exists`);
  if (isForeignKeyViolation(error)) throw invalid('parentId', 'No such zone');
  if (isCheckViolation(error))
    throw invalid('geometry', 'The polygon is not valid (self-intersecting or open)');
  throw error;
}

/** Zones (districts, DMAs) as polygons; zone-limited users see only theirs. */
export function zoneRoutes({ db }: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/zones',
      summary: 'List zones',
      tag: 'zones',
      access: 'tenant',
      permission: 'zone:read',
      query: pageQuerySchema,
      response: pageOf(zoneSchema),
      handler: async ({ query }, ctx) => {
        const limit = zoneLimit(ctx);
        const after = query.cursor ? decodeCursor(query.cursor) : null;
        const rows = await withTenant(
          db.prisma,
          dbContext(ctx),
          (tx) =>
            tx.$queryRaw<ZoneRow[]>`${selectZones}
            WHERE true ${limit ? Prisma.sql`AND id = ANY(${[...limit]}::uuid[])` : Prisma.empty}
              ${after ? Prisma.sql`AND id > ${after}::uuid` : Prisma.empty}
            ORDER BY id LIMIT ${query.limit + 1}`,
        );
        return toPage(rows, query, toZone);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/zones/:id',
      summary: 'One zone with its polygon',
      tag: 'zones',
      access: 'tenant',
      permission: 'zone:read',
      params: idParamsSchema,
      response: zoneSchema,
      handler: ({ params }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), (tx) => readZone(tx, ctx, params.id)),
    }),
    defineRoute({
      method: 'post',
      path: '/zones',
      summary: 'Create a zone',
      tag: 'zones',
      access: 'tenant',
      permission: 'zone:write',
      body: createZoneSchema,
      response: zoneSchema,
      status: 201,
      handler: ({ body }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          // The foreign key alone would accept another tenant's zone as the parent.
          await requireInTenant(tx, 'zones', 'parentId', [body.parentId]);
          const rows = await tx.$queryRaw<{ id: string }[]>`
            INSERT INTO zones (tenant_id, parent_id, code, name, kind, geom)
            VALUES (${ctx.tenantId}::uuid, ${body.parentId}::uuid, ${body.code}, ${body.name}, ${body.kind}::zone_kind,
                    ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(body.geometry)}), 4326)))
            RETURNING id`.catch((error: unknown) => mapWriteError(error, body.code));
          const id = rows[0]?.id ?? '';
          await recordAudit(tx, ctx, {
            action: 'zone.create',
            resourceType: 'zone',
            resourceId: id,
            details: { code: body.code },
          });
          return readZone(tx, ctx, id);
        }),
    }),
    defineRoute({
      method: 'patch',
      path: '/zones/:id',
      summary: 'Rename or reshape a zone',
      tag: 'zones',
      access: 'tenant',
      permission: 'zone:write',
      params: idParamsSchema,
      body: updateZoneSchema,
      response: zoneSchema,
      handler: ({ params, body }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          await readZone(tx, ctx, params.id);
          const geometry = body.geometry ? JSON.stringify(body.geometry) : null;
          await tx.$executeRaw`
            UPDATE zones SET name = coalesce(${body.name ?? null}, name),
                             kind = coalesce(${body.kind ?? null}::zone_kind, kind),
                             geom = coalesce(ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(${geometry}), 4326)), geom)
             WHERE id = ${params.id}::uuid`.catch((error: unknown) => mapWriteError(error));
          await recordAudit(tx, ctx, {
            action: 'zone.update',
            resourceType: 'zone',
            resourceId: params.id,
            details: { ...body, geometry: geometry !== null },
          });
          return readZone(tx, ctx, params.id);
        }),
    }),
    defineRoute({
      method: 'delete',
      path: '/zones/:id',
      summary: 'Delete a zone (its assets stay, without a zone)',
      tag: 'zones',
      access: 'tenant',
      permission: 'zone:write',
      params: idParamsSchema,
      response: null,
      handler: ({ params }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const deleted = await tx.zone.deleteMany({ where: { id: params.id } });
          if (deleted.count === 0) throw notFound('Zone');
          await recordAudit(tx, ctx, { action: 'zone.delete', resourceType: 'zone', resourceId: params.id });
        }),
    }),
  ];
}
