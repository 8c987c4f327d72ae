import { withTenant } from '@tidewatch/db';
import {
  idParamsSchema,
  modbusBindingSchema,
  modbusPreviewSchema,
  putModbusBindingSchema,
} from '@tidewatch/shared';
import { invalid } from '../../http/app-error.ts';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { findDevice } from '../devices/device.routes.ts';
import { modbusAddressAllowed } from './address-policy.ts';
import { deleteModbusBinding, modbusDevice, readModbusBinding, saveModbusBinding } from './modbus-binding.ts';
import { previewModbus } from './modbus-preview.ts';

/** A Modbus device's binding: its gateway address, unit id, schedule and register map, and the connector's state. */
export function modbusRoutes({ db, ingest, config }: RouteDeps): AnyRoute[] {
  const circuit = { threshold: config.MODBUS_CIRCUIT_THRESHOLD };
  const allowed = (host: string) => modbusAddressAllowed(host, config.MODBUS_ALLOW_NETWORKS);
  const previewDeps = {
    db,
    directory: ingest.directory,
    window: {
      maxFutureMs: config.INGEST_MAX_FUTURE_S * 1000,
      maxAgeMs: config.INGEST_MAX_AGE_DAYS * 86_400_000,
    },
    allowed,
    connectTimeoutMs: config.MODBUS_CONNECT_TIMEOUT_MS,
  };
  return [
    defineRoute({
      method: 'get',
      path: '/devices/:id/modbus',
      summary:
        'The device’s Modbus binding and the connector’s state (connected, last read, last error, circuit)',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:read',
      params: idParamsSchema,
      response: modbusBindingSchema,
      handler: ({ params }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          await findDevice(tx, ctx, params.id);
          return readModbusBinding(tx, params.id, circuit);
        }),
    }),
    defineRoute({
      method: 'put',
      path: '/devices/:id/modbus',
      summary: 'Bind the device to a Modbus TCP endpoint with its register map, or replace its binding',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:write',
      params: idParamsSchema,
      body: putModbusBindingSchema,
      response: modbusBindingSchema,
      handler: async ({ params, body }, ctx) => {
        const binding = await withTenant(db.prisma, dbContext(ctx), async (tx) => {
          await modbusDevice(tx, ctx, params.id);
          if (!allowed(body.host))
            throw invalid(
              'host',
              'The server may not connect to this address; the operator allows networks with MODBUS_ALLOW_NETWORKS',
            );
          await saveModbusBinding(tx, ctx, params.id, body);
          await recordAudit(tx, ctx, {
            action: 'modbus.bind',
            resourceType: 'device',
            resourceId: params.id,
            details: { host: body.host, port: body.port, unitId: body.unitId, registers: body.registers },
          });
          return readModbusBinding(tx, params.id, circuit);
        });
        ingest.directory.invalidate(params.id);
        return binding;
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/devices/:id/modbus',
      summary: 'Unbind the device from Modbus (stored readings stay)',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:write',
      params: idParamsSchema,
      response: null,
      handler: ({ params }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          await findDevice(tx, ctx, params.id);
          await deleteModbusBinding(tx, params.id);
          await recordAudit(tx, ctx, {
            action: 'modbus.unbind',
            resourceType: 'device',
            resourceId: params.id,
          });
        }),
    }),
    defineRoute({
      method: 'post',
      path: '/devices/:id/modbus/preview',
      summary: 'Read the registers once and show what a binding with this map would store (nothing is saved)',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:write',
      params: idParamsSchema,
      body: putModbusBindingSchema,
      response: modbusPreviewSchema,
      problems: ['bad_gateway', 'gateway_timeout'],
      handler: ({ params, body }, ctx) => previewModbus(previewDeps, ctx, params.id, body),
    }),
  ];
}
