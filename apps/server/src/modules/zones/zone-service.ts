import { Prisma, type TenantTransaction } from '@tidewatch/db';
import type { createZoneSchema, Page, updateZoneSchema, Zone, ZoneKind, ZoneQuery } from '@tidewatch/shared';
import type { z } from 'zod';
import { conflict, forbidden, invalid, notFound } from '../../http/app-error.ts';
import { decodeCursor, toPage } from '../../http/pagination.ts';
import type { TenantContext } from '../../http/request-context.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { isCheckViolation, isForeignKeyViolation, isUniqueViolation } from '../database-errors.ts';
import { deleteOrArchive, type Removal } from '../records/delete-or-archive.ts';
import { requireInZones } from '../tenant-references.ts';

type CreateZone = z.infer<typeof createZoneSchema>;
type UpdateZone = z.infer<typeof updateZoneSchema>;

interface ZoneRow {
  id: string;
  code: string;
  name: string;
  kind: ZoneKind;
  parent_id: string | null;
  geometry: Zone['geometry'];
  archived_at: Date | null;
}

const toZone = (row: ZoneRow): Zone => ({
  id: row.id,
  code: row.code,
  name: row.name,
  kind: row.kind,
  parentId: row.parent_id,
  geometry: row.geometry,
  archivedAt: row.archived_at?.toISOString() ?? null,
});

const selectZones = Prisma.sql`
  SELECT id, code, name, kind, parent_id, ST_AsGeoJSON(geom, 7)::jsonb AS geometry, archived_at FROM zones`;

/** Only the caller's own zones when they are zone-limited. */
function withinLimit(ctx: TenantContext): Prisma.Sql {
  const limit = zoneLimit(ctx);
  return limit ? Prisma.sql`AND id = ANY(${[...limit]}::uuid[])` : Prisma.empty;
}

function mapWriteError(error: unknown, code?: string): never {
  if (isUniqueViolation(error)) throw conflict(`A zone with code "${code ?? ''}" exists`);
  if (isForeignKeyViolation(error)) throw invalid('parentId', 'No such zone');
  if (isCheckViolation(error))
    throw invalid('geometry', 'The polygon is not valid (self-intersecting or open)');
  throw error;
}

/** A zone the caller may see, archived or not (history links to archived zones still resolve). */
export async function readZone(tx: TenantTransaction, ctx: TenantContext, id: string): Promise<Zone> {
  const rows = await tx.$queryRaw<ZoneRow[]>`${selectZones} WHERE id = ${id}::uuid ${withinLimit(ctx)}`;
  const row = rows[0];
  if (!row) throw notFound('Zone');
  return toZone(row);
}

/** A live zone the caller may change: outside their zones it does not exist for them. */
async function liveZone(tx: TenantTransaction, ctx: TenantContext, id: string): Promise<Zone> {
  const zone = await readZone(tx, ctx, id);
  if (zone.archivedAt !== null) throw conflict('The zone is archived');
  return zone;
}

export async function listZones(
  tx: TenantTransaction,
  ctx: TenantContext,
  query: ZoneQuery,
): Promise<Page<Zone>> {
  const after = query.cursor ? decodeCursor(query.cursor) : null;
  const rows = await tx.$queryRaw<ZoneRow[]>`${selectZones}
    WHERE ${query.archived ? Prisma.sql`archived_at IS NOT NULL` : Prisma.sql`archived_at IS NULL`} ${withinLimit(ctx)}
      ${after ? Prisma.sql`AND id > ${after}::uuid` : Prisma.empty}
    ORDER BY id LIMIT ${query.limit + 1}`;
  return toPage(rows, query, toZone);
}

/**
 * A new zone. A zone-limited user may not make one: it would lie outside their own zones, where they cannot act.
 */
export async function createZone(tx: TenantTransaction, ctx: TenantContext, body: CreateZone): Promise<Zone> {
  if (zoneLimit(ctx)) throw forbidden('Only a user with every zone of the tenant may create zones');
  // The foreign key alone would accept another tenant's zone (or an archived one) as the parent.
  await requireInZones(tx, null, 'zones', 'parentId', [body.parentId]);
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
}

export async function updateZone(
  tx: TenantTransaction,
  ctx: TenantContext,
  id: string,
  body: UpdateZone,
): Promise<Zone> {
  await liveZone(tx, ctx, id);
  const geometry = body.geometry ? JSON.stringify(body.geometry) : null;
  await tx.$executeRaw`
    UPDATE zones SET name = coalesce(${body.name ?? null}, name),
                     kind = coalesce(${body.kind ?? null}::zone_kind, kind),
                     geom = coalesce(ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(${geometry}), 4326)), geom)
     WHERE id = ${id}::uuid`.catch((error: unknown) => mapWriteError(error));
  await recordAudit(tx, ctx, {
    action: 'zone.update',
    resourceType: 'zone',
    resourceId: id,
    details: { ...body, geometry: geometry !== null },
  });
  return readZone(tx, ctx, id);
}

/**
 * Takes a zone off the map: its live assets stay, without a zone, and its sub-zones lose their parent. The zone is
 * deleted when nothing names it, and archived when history (alerts, incidents), a rule or a user's zone limit
 * does: a user limited to it keeps that limit, and so never comes to see the whole tenant.
 */
export async function removeZone(tx: TenantTransaction, ctx: TenantContext, id: string): Promise<Removal> {
  const zone = await liveZone(tx, ctx, id);
  const unzoned = await tx.$executeRaw`
    UPDATE assets SET zone_id = NULL WHERE zone_id = ${id}::uuid AND archived_at IS NULL`;
  await tx.$executeRaw`UPDATE zones SET parent_id = NULL WHERE parent_id = ${id}::uuid AND archived_at IS NULL`;
  const removal = await deleteOrArchive(tx, 'zones', id, ctx.principal.userId);
  await recordAudit(tx, ctx, {
    action: removal === 'deleted' ? 'zone.delete' : 'zone.archive',
    resourceType: 'zone',
    resourceId: id,
    details: { code: zone.code, assetsLeftWithoutZone: unzoned },
  });
  return removal;
}
