import { withTenant } from '@tidewatch/db';
import {
  availabilityQuerySchema,
  calibrationSchema,
  createCalibrationSchema,
  createFirmwareRecordSchema,
  deviceAvailabilitySchema,
  firmwareRecordSchema,
  idParamsSchema,
  zoneAvailabilitySchema,
  type DeviceAvailability,
  type ZoneAvailability,
} from '@tidewatch/shared';
import { z } from 'zod';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { defineRoute, RawBody, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { recordAudit } from '../audit/record-audit.ts';
import {
  deviceAvailability,
  deviceAvailabilityCsv,
  zoneAvailability,
  zoneAvailabilityCsv,
} from './availability.ts';
import { createCalibration, listCalibrations } from './calibration-service.ts';
import { listFirmware, recordFirmware } from './firmware-service.ts';

const csvFile = <T>(text: string, name: string): RawBody<T> =>
  new RawBody<T>(text, 'text/csv', { 'Content-Disposition': `attachment; filename="${name}"` });

/** Calibrations and firmware of devices, and how available devices and zones were over a period. */
export function deviceRecordRoutes({ db, bus }: RouteDeps): AnyRoute[] {
  /** After commit: every instance's ingest reads the device's calibrations again. */
  const calibrated = (ctx: TenantContext, deviceId: string): void => {
    bus.emit('device.changed', {
      tenantId: ctx.tenantId,
      deviceId,
      change: 'updated',
      credentialRotatedAt: null,
      relayed: false,
    });
  };
  return [
    defineRoute({
      method: 'get',
      path: '/devices/:id/calibrations',
      summary: 'The calibrations of the device’s series, newest first, each with the period it is in force',
      tag: 'devices',
      access: 'tenant',
      permission: 'device:read',
      params: idParamsSchema,
      response: z.object({ items: z.array(calibrationSchema) }),
      handler: async ({ params }, ctx) => ({
        items: await withTenant(db.prisma, dbContext(ctx), (tx) => listCalibrations(tx, ctx, params.id)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/devices/:id/calibrations',
      summary:
        'Calibrate a series from a time on (ingest stores raw × scale + offset for readings from then)',
      tag: 'devices',
      access: 'tenant',
      permission: 'maintenance_log:write',
      params: idParamsSchema,
      body: createCalibrationSchema,
      response: calibrationSchema,
      status: 201,
      handler: async ({ params, body }, ctx) => {
        const calibration = await withTenant(db.prisma, dbContext(ctx), (tx) =>
          createCalibration(tx, ctx, params.id, body),
        );
        calibrated(ctx, params.id);
        return calibration;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/devices/:id/firmware',
      summary: 'The firmware versions the device ran, newest first',
      tag: 'devices',
      access: 'tenant',
      permission: 'device:read',
      params: idParamsSchema,
      response: z.object({ items: z.array(firmwareRecordSchema) }),
      handler: async ({ params }, ctx) => ({
        items: await withTenant(db.prisma, dbContext(ctx), (tx) => listFirmware(tx, ctx, params.id)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/devices/:id/firmware',
      summary: 'Record a firmware installed on the device (the newest becomes its current version)',
      tag: 'devices',
      access: 'tenant',
      permission: 'maintenance_log:write',
      params: idParamsSchema,
      body: createFirmwareRecordSchema,
      response: firmwareRecordSchema,
      status: 201,
      handler: ({ params, body }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), (tx) => recordFirmware(tx, ctx, params.id, body)),
    }),
    defineRoute({
      method: 'get',
      path: '/devices/:id/availability',
      summary: 'Up time of a device over a period, with its downtimes (CSV of the downtimes with format=csv)',
      tag: 'devices',
      access: 'tenant',
      permission: 'device:read',
      params: idParamsSchema,
      query: availabilityQuerySchema,
      response: deviceAvailabilitySchema,
      handler: async ({ params, query }, ctx) => {
        const result = await withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const availability = await deviceAvailability(tx, ctx, params.id, query);
          // A file leaves the console: who took which period is on record, as for other exports.
          if (query.format === 'csv') {
            await recordAudit(tx, ctx, {
              action: 'device.availability_export',
              resourceType: 'device',
              resourceId: params.id,
              details: { from: query.from, to: query.to },
            });
          }
          return availability;
        });
        return query.format === 'csv'
          ? csvFile<DeviceAvailability>(deviceAvailabilityCsv(result), 'device-downtimes.csv')
          : result;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/zones/:id/availability',
      summary:
        'Up time of the zone’s devices over a period, each and together (CSV per device with format=csv)',
      tag: 'zones',
      access: 'tenant',
      permission: 'device:read',
      params: idParamsSchema,
      query: availabilityQuerySchema,
      response: zoneAvailabilitySchema,
      handler: async ({ params, query }, ctx) => {
        const result = await withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const availability = await zoneAvailability(tx, ctx, params.id, query);
          if (query.format === 'csv') {
            await recordAudit(tx, ctx, {
              action: 'zone.availability_export',
              resourceType: 'zone',
              resourceId: params.id,
              details: { from: query.from, to: query.to },
            });
          }
          return availability;
        });
        return query.format === 'csv'
          ? csvFile<ZoneAvailability>(zoneAvailabilityCsv(result), 'zone-availability.csv')
          : result;
      },
    }),
  ];
}
