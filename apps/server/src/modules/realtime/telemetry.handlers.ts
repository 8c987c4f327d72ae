import type pg from 'pg';
import { invalid } from '../../http/app-error.ts';
import type { RealtimeMetrics } from './realtime-metrics.ts';
import type { RealtimeSocket } from './realtime-types.ts';
import { visibleSeries } from './series-access.ts';
import { onRequest } from './socket-handler.ts';
import type { TelemetryFanout } from './telemetry-fanout.ts';

/** Series one connection may follow at once. */
export const MAX_SUBSCRIPTIONS = 500;

/** Live telemetry subscriptions: only series the user may see are subscribed; the others are listed as refused. */
export function registerTelemetryHandlers(
  socket: RealtimeSocket,
  deps: { readonly pool: pg.Pool; readonly telemetry: TelemetryFanout; readonly metrics: RealtimeMetrics },
): void {
  const { pool, telemetry, metrics } = deps;
  onRequest(socket, metrics, 'telemetry:subscribe', {
    permission: 'telemetry:read',
    handle: async ({ seriesIds }, _ctx, session) => {
      const held = new Set(telemetry.subscribed(socket));
      const asked = [...new Set(seriesIds)].filter((id) => !held.has(id));
      if (held.size + asked.length > MAX_SUBSCRIPTIONS) {
        throw invalid(
          'seriesIds',
          `at most ${MAX_SUBSCRIPTIONS} series per connection; unsubscribe some first`,
        );
      }
      let scope = session.principal;
      let visible = await visibleSeries(pool, session, asked);
      // Re-scoped while we asked: ask again with the new zones.
      while (scope !== session.principal) {
        scope = session.principal;
        visible = await visibleSeries(pool, session, asked);
      }
      if (socket.connected) telemetry.subscribe(socket, visible);
      return { subscribed: telemetry.subscribed(socket), refused: asked.filter((id) => !visible.has(id)) };
    },
  });
  onRequest(socket, metrics, 'telemetry:unsubscribe', {
    handle: ({ seriesIds }) => {
      telemetry.unsubscribe(socket, seriesIds);
      return Promise.resolve({ subscribed: telemetry.subscribed(socket), refused: [] });
    },
  });
}
