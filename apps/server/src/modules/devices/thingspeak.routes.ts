import { withTenant, type TenantTransaction } from '@tidewatch/db';
import {
  idParamsSchema,
  putThingSpeakBindingSchema,
  thingSpeakBindingSchema,
  type ThingSpeakBinding,
} from '@tidewatch/shared';
import { conflict, invalid, notFound } from '../../http/app-error.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { isUniqueViolation } from '../database-errors.ts';
import { readKeyContext } from '../secrets/stored-secrets.ts';
import { ensureSeries, findDevice } from './device.routes.ts';

async function readBinding(tx: TenantTransaction, deviceId: string): Promise<ThingSpeakBinding> {
  const row = await tx.thingSpeakBinding.findUnique({
    where: { deviceId },
    include: {
      mappings: { include: { series: { include: { metric: true } } }, orderBy: { fieldNumber: 'asc' } },
    },
  });
  if (!row) throw notFound('ThingSpeak binding');
  return {
    id: row.id,
    deviceId: row.deviceId,
    channelId: Number(row.channelId),
    hasReadKey: row.readApiKey !== null,
    pollIntervalS: row.pollIntervalS,
    enabled: row.enabled,
    lastEntryId: row.lastEntryId === null ? null : Number(row.lastEntryId),
    lastPolledAt: row.lastPolledAt?.toISOString() ?? null,
    lastError: row.lastError,
    fields: row.mappings.map((m) => ({
      field: m.fieldNumber,
      seriesId: m.seriesId,
      metricKey: m.series.metric.key,
      scale: m.scale,
      offset: m.offset,
    })),
  };
}

async function thingSpeakDevice(tx: TenantTransaction, ctx: TenantContext, id: string): Promise<void> {
  const device = await findDevice(tx, ctx, id);
  if (device.transport !== 'thingspeak')
    throw invalid('id', 'Only a device of transport "thingspeak" has a binding');
}

/** A ThingSpeak channel bound to a device: field1..field8 each mapped to a metric with scale and offset. */
export function thingSpeakRoutes({ db, ingest, secrets }: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/devices/:id/thingspeak',
      summary: 'The device’s ThingSpeak binding (the read key is never returned)',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:read',
      params: idParamsSchema,
      response: thingSpeakBindingSchema,
      handler: ({ params }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          await findDevice(tx, ctx, params.id);
          return readBinding(tx, params.id);
        }),
    }),
    defineRoute({
      method: 'put',
      path: '/devices/:id/thingspeak',
      summary: 'Bind a ThingSpeak channel to the device, or replace its binding',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:write',
      params: idParamsSchema,
      body: putThingSpeakBindingSchema,
      response: thingSpeakBindingSchema,
      handler: ({ params, body }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          await thingSpeakDevice(tx, ctx, params.id);
          await ensureSeries(
            tx,
            ctx,
            params.id,
            body.fields.map((f) => f.metricKey),
          );
          const series = await tx.series.findMany({
            where: { deviceId: params.id },
            include: { metric: true },
          });
          const seriesId = (key: string): number => series.find((s) => s.metric.key === key)?.id ?? 0;
          const stored = await tx.thingSpeakBinding.findUnique({
            where: { deviceId: params.id },
            select: { channelId: true, readApiKey: true },
          });
          // Stored sealed, bound to this device; a kept key is kept as stored.
          const readApiKey =
            body.readApiKey !== undefined
              ? body.readApiKey && secrets.seal(body.readApiKey, readKeyContext(ctx.tenantId, params.id))
              : stored?.channelId === BigInt(body.channelId)
                ? stored.readApiKey
                : null;
          const binding = await tx.thingSpeakBinding
            .upsert({
              where: { deviceId: params.id },
              create: {
                tenantId: ctx.tenantId,
                deviceId: params.id,
                channelId: BigInt(body.channelId),
                readApiKey,
                pollIntervalS: body.pollIntervalS,
                enabled: body.enabled,
              },
              update: {
                channelId: BigInt(body.channelId),
                readApiKey,
                pollIntervalS: body.pollIntervalS,
                enabled: body.enabled,
              },
            })
            .catch((error: unknown) => {
              throw isUniqueViolation(error) ? conflict('This channel is bound to another device') : error;
            });
          await tx.thingSpeakFieldMapping.deleteMany({ where: { bindingId: binding.id } });
          await tx.thingSpeakFieldMapping.createMany({
            data: body.fields.map((f) => ({
              tenantId: ctx.tenantId,
              bindingId: binding.id,
              fieldNumber: f.field,
              seriesId: seriesId(f.metricKey),
              scale: f.scale,
              offset: f.offset,
            })),
          });
          await recordAudit(tx, ctx, {
            action: 'thingspeak.bind',
            resourceType: 'device',
            resourceId: params.id,
            details: {
              channelId: body.channelId,
              fields: body.fields,
              readApiKey: body.readApiKey === undefined ? 'kept' : body.readApiKey ? 'set' : null,
            },
          });
          return readBinding(tx, params.id);
        }).then((binding) => {
          ingest.directory.invalidate(params.id);
          return binding;
        }),
    }),
    defineRoute({
      method: 'delete',
      path: '/devices/:id/thingspeak',
      summary: 'Unbind the ThingSpeak channel (stored readings stay)',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:write',
      params: idParamsSchema,
      response: null,
      handler: ({ params }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          await findDevice(tx, ctx, params.id);
          const deleted = await tx.thingSpeakBinding.deleteMany({ where: { deviceId: params.id } });
          if (deleted.count === 0) throw notFound('ThingSpeak binding');
          await recordAudit(tx, ctx, {
            action: 'thingspeak.unbind',
            resourceType: 'device',
            resourceId: params.id,
          });
        }),
    }),
  ];
}
