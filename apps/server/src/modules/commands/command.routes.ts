import { withTenant, type DeviceCommand as CommandRow } from '@tidewatch/db';
import {
  commandQuerySchema,
  deviceCommandSchema,
  idParamsSchema,
  pageOf,
  sendCommandSchema,
  type DeviceCommand,
} from '@tidewatch/shared';
import { conflict, notFound } from '../../http/app-error.ts';
import { pageArgs, toPage } from '../../http/pagination.ts';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import type { RouteDeps } from '../api-routes.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { findDevice } from '../devices/device.routes.ts';
import { checkModbusWrite } from '../modbus/modbus-binding.ts';
import { requireOpcuaCommand } from '../opcua/opcua-commands.ts';

const toCommand = (row: CommandRow): DeviceCommand => ({
  id: row.id,
  deviceId: row.deviceId,
  command: row.command,
  params: row.params as Record<string, unknown>,
  state: row.state,
  requestedBy: row.requestedBy,
  requestedAt: row.requestedAt.toISOString(),
  expiresAt: row.expiresAt.toISOString(),
  deliveredAt: row.deliveredAt?.toISOString() ?? null,
  acknowledgedAt: row.acknowledgedAt?.toISOString() ?? null,
  result: row.result ?? null,
  failureReason: row.failureReason,
});

/** Downlink commands: queued here as pending; delivery (MQTT, HTTP long-poll, Modbus writes) moves them on. */
export function commandRoutes({ db, bus }: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/commands',
      summary: 'List device commands, newest first',
      tag: 'commands',
      access: 'tenant',
      permission: 'command:read',
      query: commandQuerySchema,
      response: pageOf(deviceCommandSchema),
      handler: async ({ query }, ctx) => {
        const limit = zoneLimit(ctx);
        const rows = await withTenant(db.prisma, dbContext(ctx), (tx) =>
          tx.deviceCommand.findMany({
            where: {
              ...(query.deviceId ? { deviceId: query.deviceId } : {}),
              ...(query.state ? { state: query.state } : {}),
              ...(limit ? { device: { asset: { zoneId: { in: [...limit] } } } } : {}),
            },
            orderBy: [{ requestedAt: 'desc' }, { id: 'desc' }],
            ...pageArgs(query),
          }),
        );
        return toPage(rows, query, toCommand);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/commands/:id',
      summary: 'One command and where it stands',
      tag: 'commands',
      access: 'tenant',
      permission: 'command:read',
      params: idParamsSchema,
      response: deviceCommandSchema,
      handler: ({ params }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const row = await tx.deviceCommand.findUnique({ where: { id: params.id } });
          if (!row) throw notFound('Command');
          await findDevice(tx, ctx, row.deviceId);
          return toCommand(row);
        }),
    }),
    defineRoute({
      method: 'post',
      path: '/devices/:id/commands',
      summary: 'Send a command to a device (queued as pending until delivered)',
      tag: 'commands',
      access: 'tenant',
      permission: 'command:send',
      params: idParamsSchema,
      body: sendCommandSchema,
      response: deviceCommandSchema,
      status: 202,
      handler: async ({ params, body }, ctx) => {
        const command = await withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const device = await findDevice(tx, ctx, params.id);
          if (device.disabledAt) throw conflict('The device is disabled');
          if (device.transport === 'modbus') await checkModbusWrite(tx, params.id, body);
          else if (device.transport === 'opcua') await requireOpcuaCommand(tx, params.id, body.command);
          else if (!['mqtt', 'http', 'lorawan'].includes(device.transport))
            throw conflict('Only MQTT, HTTP, LoRaWAN, Modbus and OPC UA devices receive commands');
          const created = await tx.deviceCommand.create({
            data: {
              tenantId: ctx.tenantId,
              deviceId: params.id,
              command: body.command,
              params: body.params,
              requestedBy: ctx.principal.userId,
              expiresAt: new Date(Date.now() + body.ttlS * 1000),
            },
          });
          await recordAudit(tx, ctx, {
            action: 'command.send',
            resourceType: 'device_command',
            resourceId: created.id,
            details: { deviceId: params.id, command: body.command, params: body.params },
          });
          return toCommand(created);
        });
        // After the commit, so the dispatcher (on any instance) finds the row it is told about.
        bus.emit('command.changed', {
          tenantId: ctx.tenantId,
          deviceId: command.deviceId,
          commandId: command.id,
          state: 'pending',
        });
        return command;
      },
    }),
  ];
}
