import { idParamsSchema, thingSpeakPreviewRequestSchema, thingSpeakPreviewSchema } from '@tidewatch/shared';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { previewChannel } from './channel-preview.ts';
import { ThingSpeakClient } from './thingspeak-client.ts';

/** A preview reads at most a hundred entries: a megabyte is plenty. */
const PREVIEW_MAX_BODY_BYTES = 1024 * 1024;

/** A ThingSpeak mapping tried on the channel's newest entries before the binding is saved. */
export function thingSpeakPreviewRoutes({ db, ingest, config, secrets }: RouteDeps): AnyRoute[] {
  const deps = {
    db,
    secrets,
    directory: ingest.directory,
    client: new ThingSpeakClient({
      baseUrl: config.THINGSPEAK_URL,
      timeoutMs: config.THINGSPEAK_TIMEOUT_MS,
      maxBodyBytes: PREVIEW_MAX_BODY_BYTES,
    }),
    window: {
      maxFutureMs: config.INGEST_MAX_FUTURE_S * 1000,
      maxAgeMs: config.INGEST_MAX_AGE_DAYS * 86_400_000,
    },
    enabled: config.thingSpeakEnabled,
  };
  return [
    defineRoute({
      method: 'post',
      path: '/devices/:id/thingspeak/preview',
      summary:
        'Read the channel once and show what a binding with this mapping would store (nothing is saved)',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:write',
      params: idParamsSchema,
      body: thingSpeakPreviewRequestSchema,
      response: thingSpeakPreviewSchema,
      problems: ['bad_gateway', 'gateway_timeout'],
      handler: ({ params, body }, ctx) => previewChannel(deps, ctx, params.id, body),
    }),
  ];
}
