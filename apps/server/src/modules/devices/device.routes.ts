import { brokerPasswordHash, hashCredential, withTenant, type TenantTransaction } from '@tidewatch/db';
import {
  deviceCredentialsSchema,
  deviceQuerySchema,
  deviceSchema,
  idParamsSchema,
  pageOf,
  provisionDeviceSchema,
  splitTag,
  updateDeviceSchema,
  type Device,
  type DeviceConnectivity,
  type DeviceTransport,
} from '@tidewatch/shared';
import type { DomainEvents } from '../../events/event-bus.ts';
import { conflict, invalid, notFound } from '../../http/app-error.ts';
import { pageArgs, toPage } from '../../http/pagination.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import type { RouteDeps } from '../api-routes.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { isUniqueViolation } from '../database-errors.ts';
import { setTags } from '../tags/tag.queries.ts';
import { requireInZones } from '../tenant-references.ts';
import { newDeviceSecret } from './device-secret.ts';

const deviceSelect = {
  id: true,
  assetId: true,
  name: true,
  serialNumber: true,
  transport: true,
  firmwareVersion: true,
  disabledAt: true,
  credentialRotatedAt: true,
  state: { select: { connectivity: true, lastSeenAt: true } },
  series: { select: { id: true, metric: { select: { key: true, unit: true } } }, orderBy: { id: 'asc' } },
  tags: { select: { tag: { select: { key: true, value: true } } } },
} as const;

interface DeviceRow {
  id: string;
  assetId: string | null;
  name: string;
  serialNumber: string | null;
  transport: DeviceTransport;
  firmwareVersion: string | null;
  disabledAt: Date | null;
  credentialRotatedAt: Date | null;
  state: { connectivity: DeviceConnectivity; lastSeenAt: Date | null } | null;
  series: { id: number; metric: { key: string; unit: string } }[];
  tags: { tag: { key: string; value: string } }[];
}

const toDevice = (row: DeviceRow): Device => ({
  id: row.id,
  assetId: row.assetId,
  name: row.name,
  serialNumber: row.serialNumber,
  transport: row.transport,
  firmwareVersion: row.firmwareVersion,
  disabled: row.disabledAt !== null,
  credentialRotatedAt: row.credentialRotatedAt?.toISOString() ?? null,
  connectivity: row.state?.connectivity ?? 'unknown',
  lastSeenAt: row.state?.lastSeenAt?.toISOString() ?? null,
  series: row.series.map((s) => ({ id: s.id, metricKey: s.metric.key, unit: s.metric.unit })),
  tags: row.tags.map(({ tag }) => (tag.value === '' ? tag.key : `${tag.key}:${tag.value}`)).sort(),
});

/** The `?tag=` filter as Prisma sees it: `key` matches every value of the key. */
function tagWhere(tag: string | undefined): { tags?: { some: { tag: { key: string; value?: string } } } } {
  if (tag === undefined) return {};
  const { key, value } = splitTag(tag);
  return { tags: { some: { tag: value === '' ? { key } : { key, value } } } };
}

/** Zone-limited users see the devices on assets of their zones. */
function zoneWhere(ctx: TenantContext): { asset?: { zoneId: { in: string[] } } } {
  const limit = zoneLimit(ctx);
  return limit ? { asset: { zoneId: { in: [...limit] } } } : {};
}

export async function findDevice(tx: TenantTransaction, ctx: TenantContext, id: string): Promise<DeviceRow> {
  const row = await tx.device.findFirst({ where: { id, ...zoneWhere(ctx) }, select: deviceSelect });
  if (!row) throw notFound('Device');
  return row;
}

/** Adds a series for each metric key the device does not report yet. */
export async function ensureSeries(
  tx: TenantTransaction,
  ctx: TenantContext,
  deviceId: string,
  metricKeys: readonly string[],
): Promise<void> {
  if (metricKeys.length === 0) return;
  const metrics = await tx.metric.findMany({
    where: { key: { in: [...metricKeys] } },
    select: { id: true, key: true },
  });
  const missing = metricKeys.filter((key) => !metrics.some((m) => m.key === key));
  if (missing.length) throw invalid('metricKeys', `Unknown metrics: ${missing.join(', ')}`);
  await tx.series.createMany({
    data: metrics.map((m) => ({ tenantId: ctx.tenantId, deviceId, metricId: m.id })),
    skipDuplicates: true,
  });
}

/** Devices: provisioning and rotation return the secret once; only its hash is stored. */
export function deviceRoutes({ db, bus }: RouteDeps): AnyRoute[] {
  /** After commit: every instance forgets the device's cached secret and ends the connections it must. */
  const changed = (
    tenantId: string,
    device: Device,
    change: DomainEvents['device.changed']['change'],
  ): void => {
    bus.emit('device.changed', {
      tenantId,
      deviceId: device.id,
      change,
      credentialRotatedAt:
        device.credentialRotatedAt === null ? null : Date.parse(device.credentialRotatedAt),
      relayed: false,
    });
  };
  return [
    defineRoute({
      method: 'get',
      path: '/devices',
      summary: 'List devices with their connectivity and series',
      tag: 'devices',
      access: 'tenant',
      permission: 'device:read',
      query: deviceQuerySchema,
      response: pageOf(deviceSchema),
      handler: async ({ query }, ctx) => {
        const rows = await withTenant(db.prisma, dbContext(ctx), (tx) =>
          tx.device.findMany({
            where: {
              ...zoneWhere(ctx),
              ...(query.assetId ? { assetId: query.assetId } : {}),
              ...(query.transport ? { transport: query.transport } : {}),
              ...tagWhere(query.tag),
            },
            select: deviceSelect,
            orderBy: { id: 'asc' },
            ...pageArgs(query),
          }),
        );
        return toPage(rows as DeviceRow[], query, toDevice);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/devices/:id',
      summary: 'One device',
      tag: 'devices',
      access: 'tenant',
      permission: 'device:read',
      params: idParamsSchema,
      response: deviceSchema,
      handler: async ({ params }, ctx) =>
        toDevice(await withTenant(db.prisma, dbContext(ctx), (tx) => findDevice(tx, ctx, params.id))),
    }),
    defineRoute({
      method: 'post',
      path: '/devices',
      summary: 'Provision a device; the answer carries its secret, which is never shown again',
      tag: 'devices',
      access: 'tenant',
      permission: 'device:write',
      body: provisionDeviceSchema,
      response: deviceCredentialsSchema,
      status: 201,
      handler: async ({ body }, ctx) => {
        // Devices of connector transports (ThingSpeak, LoRaWAN...) have no secret of their own.
        const secret = body.transport === 'mqtt' || body.transport === 'http' ? newDeviceSecret() : null;
        const credentialHash = secret === null ? null : await hashCredential(secret);
        const brokerHash =
          secret !== null && body.transport === 'mqtt' ? await brokerPasswordHash(secret) : null;
        return withTenant(db.prisma, dbContext(ctx), async (tx) => {
          await requireInZones(tx, zoneLimit(ctx), 'assets', 'assetId', [body.assetId]);
          const created = await tx.device
            .create({
              data: {
                tenantId: ctx.tenantId,
                assetId: body.assetId,
                name: body.name,
                serialNumber: body.serialNumber,
                transport: body.transport,
                credentialHash,
                brokerPasswordHash: brokerHash,
                credentialRotatedAt: secret === null ? null : new Date(),
                state: { create: { tenantId: ctx.tenantId } },
              },
              select: { id: true },
            })
            .catch((error: unknown) => {
              throw isUniqueViolation(error) ? conflict('A device with this serial number exists') : error;
            });
          await ensureSeries(tx, ctx, created.id, body.metricKeys);
          await setTags(tx, ctx.tenantId, 'device', created.id, body.tags);
          await recordAudit(tx, ctx, {
            action: 'device.provision',
            resourceType: 'device',
            resourceId: created.id,
            details: {
              name: body.name,
              transport: body.transport,
              metricKeys: body.metricKeys,
              tags: body.tags,
            },
          });
          return { device: toDevice(await findDevice(tx, ctx, created.id)), secret };
        }).then((credentials) => {
          if (body.tags.length > 0) bus.emit('tags.changed', { tenantId: ctx.tenantId });
          return credentials;
        });
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/devices/:id',
      summary: 'Rename, rebind, tag, add metrics to, disable or re-enable a device',
      tag: 'devices',
      access: 'tenant',
      permission: 'device:write',
      params: idParamsSchema,
      body: updateDeviceSchema,
      response: deviceSchema,
      handler: ({ params, body }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const current = await findDevice(tx, ctx, params.id);
          await requireInZones(tx, zoneLimit(ctx), 'assets', 'assetId', [body.assetId]);
          await tx.device.update({
            where: { id: params.id },
            data: {
              ...(body.name !== undefined ? { name: body.name } : {}),
              ...(body.assetId !== undefined ? { assetId: body.assetId } : {}),
              ...(body.disabled !== undefined
                ? { disabledAt: body.disabled ? (current.disabledAt ?? new Date()) : null }
                : {}),
            },
          });
          await ensureSeries(tx, ctx, params.id, body.metricKeys ?? []);
          if (body.tags) await setTags(tx, ctx.tenantId, 'device', params.id, body.tags);
          await recordAudit(tx, ctx, {
            action: body.disabled === true ? 'device.disable' : 'device.update',
            resourceType: 'device',
            resourceId: params.id,
            details: body,
          });
          return toDevice(await findDevice(tx, ctx, params.id));
        }).then((device) => {
          changed(
            ctx.tenantId,
            device,
            body.disabled === undefined ? 'updated' : body.disabled ? 'disabled' : 'enabled',
          );
          if (body.tags) bus.emit('tags.changed', { tenantId: ctx.tenantId });
          return device;
        }),
    }),
    defineRoute({
      method: 'post',
      path: '/devices/:id/rotate-secret',
      summary: 'Issue a new secret; the old one stops working at once',
      tag: 'devices',
      access: 'tenant',
      permission: 'device:write',
      params: idParamsSchema,
      response: deviceCredentialsSchema,
      handler: async ({ params }, ctx) => {
        const secret = newDeviceSecret();
        const credentialHash = await hashCredential(secret);
        const brokerHash = await brokerPasswordHash(secret);
        return withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const current = await findDevice(tx, ctx, params.id);
          if (current.transport !== 'mqtt' && current.transport !== 'http')
            throw invalid('id', `A ${current.transport} device has no secret of its own`);
          await tx.device.update({
            where: { id: params.id },
            data: {
              credentialHash,
              brokerPasswordHash: current.transport === 'mqtt' ? brokerHash : null,
              credentialRotatedAt: new Date(),
            },
          });
          await recordAudit(tx, ctx, {
            action: 'device.rotate_secret',
            resourceType: 'device',
            resourceId: params.id,
          });
          return { device: toDevice(await findDevice(tx, ctx, params.id)), secret };
        }).then((credentials) => {
          // The old secret must stop working now, not when the cache expires, and on every instance.
          changed(ctx.tenantId, credentials.device, 'secret_rotated');
          return credentials;
        });
      },
    }),
  ];
}
