import {
  commandAckRecordedSchema,
  commandAckSchema,
  deviceCommandBatchSchema,
  deviceCommandPollSchema,
} from '@tidewatch/shared';
import { AppError, conflict } from '../../http/app-error.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import type { IngestDevice } from '../ingest/ingest-device.ts';
import { deviceGuard } from '../ingest/ingest.routes.ts';
import { settleCommand } from './command-lifecycle.ts';
import { CommandWaiters } from './command-waiters.ts';

function httpDevice(device: IngestDevice): IngestDevice {
  if (device.transport !== 'http')
    throw conflict(
      'Only HTTP devices fetch their commands; MQTT devices receive them on devices/{id}/commands',
    );
  return device;
}

/** HTTP devices' side of commands: fetch the pending ones (long-poll), then acknowledge each. */
export function deviceCommandRoutes(deps: RouteDeps): AnyRoute[] {
  const { db, bus, config } = deps;
  const guard = deviceGuard(deps);
  const waiters = new CommandWaiters(db.pool, bus, config.HTTP_COMMAND_WAITERS);
  return [
    defineRoute({
      method: 'get',
      path: '/device/commands',
      summary:
        'A device fetches its pending commands (HTTP Basic: device id and secret), waiting up to waitS for one; each is handed out once',
      tag: 'commands',
      access: 'public',
      guard,
      query: deviceCommandPollSchema,
      response: deviceCommandBatchSchema,
      handler: async ({ query }, _ctx, res) => {
        const device = httpDevice(res.locals.ingestDevice as IngestDevice);
        const waitMs = Math.min(query.waitS, config.HTTP_COMMAND_MAX_WAIT_S) * 1000;
        const commands = await waiters.fetch(
          device,
          waitMs,
          // The device hung up (its socket is gone) or the server is stopping: stop waiting.
          () => res.socket === null || res.socket.destroyed || deps.isShuttingDown(),
        );
        if (commands === null)
          throw new AppError('unavailable', 'Too many devices are waiting; fetch again shortly', undefined, {
            'Retry-After': '5',
          });
        return { commands };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/device/commands/ack',
      summary: 'A device acknowledges a command it fetched (the same body as MQTT’s commands/ack)',
      tag: 'commands',
      access: 'public',
      guard,
      body: commandAckSchema,
      response: commandAckRecordedSchema,
      handler: async ({ body }, _ctx, res) => {
        const device = httpDevice(res.locals.ingestDevice as IngestDevice);
        const state = body.status === 'ok' ? 'acknowledged' : 'failed';
        const recorded = await settleCommand(
          db.pool,
          bus,
          { tenantId: device.tenantId, deviceId: device.id, id: body.id },
          {
            state,
            ...(body.result === undefined ? {} : { result: body.result }),
            ...(state === 'failed' ? { failureReason: body.message ?? 'the device reported an error' } : {}),
          },
          'device',
        );
        if (!recorded) throw conflict('This device has no open command with this id');
        return { id: body.id, state };
      },
    }),
  ];
}
