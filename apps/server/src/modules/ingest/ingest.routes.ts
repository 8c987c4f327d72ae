import { checkTelemetryPayload, ingestResultSchema, telemetryPayloadSchema } from '@tidewatch/shared';
import type { Request, RequestHandler } from 'express';
import { AppError } from '../../http/app-error.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import { signInAddress } from '../device-auth/device-sign-in.ts';
import type { RouteDeps } from '../api-routes.ts';
import type { IngestDevice } from './ingest-device.ts';
import { QueueFullError, type QueueRefusal } from './ingest-queue.ts';
import { StoreRefusedError } from './store-refusal.ts';

const backOff: Readonly<Record<QueueRefusal, string>> = {
  queue_full: 'The server is catching up; send again shortly',
  device_share: 'This device sends faster than its readings are stored; send again shortly',
  tenant_share: 'This tenant’s devices send faster than their readings are stored; send again shortly',
};

/** What the sender is told when the database refused its readings alone (the others sent with them were stored). */
function refusal(error: StoreRefusedError): unknown {
  if (error.reason === 'value_refused')
    return new AppError(
      'validation_failed',
      'A value of these readings cannot be stored; sending it again will not help',
    );
  if (error.reason === 'series_gone')
    return new AppError(
      'conflict',
      'This device or one of its series was removed or changed; these readings cannot be stored',
    );
  // Not the sender's fault that we know of: answered as the 500 it is, and logged with the request.
  return error.cause;
}

/** HTTP Basic: the device id as user name, its secret as password. */
function deviceCredentials(req: Request): { deviceId: string; secret: string } | null {
  const match = /^Basic ([A-Za-z0-9+/=]{4,1024})$/.exec(req.get('authorization') ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString();
  const colon = decoded.indexOf(':');
  return colon < 1 ? null : { deviceId: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/**
 * Signs an HTTP device in from its Basic credentials (device id and secret) before the body is read, so a sender
 * without them never gets a megabyte parsed; the device is left in `res.locals.ingestDevice`.
 */
export function deviceGuard({
  ingest,
  deviceSignIn,
}: Pick<RouteDeps, 'ingest' | 'deviceSignIn'>): RequestHandler {
  return async (req, res, next) => {
    const credentials = deviceCredentials(req);
    const signIn = credentials
      ? await deviceSignIn.signIn('http', signInAddress(req.ip), credentials.deviceId, credentials.secret)
      : null;
    if (signIn?.outcome === 'busy')
      throw new AppError(
        'unavailable',
        'The server is busy checking credentials; send again shortly',
        undefined,
        {
          'Retry-After': '2',
        },
      );
    // Unknown device, wrong secret and a held attempt are one and the same answer.
    if (signIn?.outcome !== 'accepted') {
      ingest.metrics.refused.inc({ transport: 'http', reason: 'auth' });
      throw new AppError(
        'unauthenticated',
        'Send the device id and secret as HTTP Basic credentials',
        undefined,
        {
          'WWW-Authenticate': 'Basic realm="tidewatch-ingest"',
        },
      );
    }
    res.locals.ingestDevice = signIn.device;
    next();
  };
}

/** Readings from devices over HTTP: the same payload and rules as MQTT. */
export function ingestRoutes({ ingest, deviceSignIn }: RouteDeps): AnyRoute[] {
  const authenticateDevice = deviceGuard({ ingest, deviceSignIn });
  return [
    defineRoute({
      method: 'post',
      path: '/ingest',
      summary: 'A device sends readings (HTTP Basic: device id and secret). 202 once they are durable.',
      tag: 'telemetry',
      access: 'public',
      guard: authenticateDevice,
      body: telemetryPayloadSchema,
      bodyCheck: checkTelemetryPayload,
      response: ingestResultSchema,
      status: 202,
      handler: async ({ body }, _ctx, res) => {
        const device = res.locals.ingestDevice as IngestDevice;
        try {
          return await ingest.ingest(device, body, 'http');
        } catch (error) {
          if (error instanceof QueueFullError)
            throw new AppError('unavailable', backOff[error.reason], undefined, { 'Retry-After': '5' });
          if (error instanceof StoreRefusedError) throw refusal(error);
          throw error;
        }
      },
    }),
  ];
}
