import type { Database } from '@tidewatch/db';
import type { EventBus } from '../../events/event-bus.ts';
import { acknowledgeAlert, commentOnAlert, shelveAlert } from '../alerts/alert-actions.ts';
import { alertChangesAfter } from './alert-replay.ts';
import type { RealtimeMetrics } from './realtime-metrics.ts';
import type { RealtimeSocket } from './realtime-types.ts';
import { onRequest } from './socket-handler.ts';

/** Operator actions on alerts over the socket: the same services and permissions as the REST routes. */
export function registerAlertHandlers(
  socket: RealtimeSocket,
  deps: { readonly db: Database; readonly bus: EventBus; readonly metrics: RealtimeMetrics },
): void {
  const { metrics } = deps;
  onRequest(socket, metrics, 'alert:acknowledge', {
    permission: 'alert:acknowledge',
    handle: ({ id, comment }, ctx) => acknowledgeAlert(deps, ctx, id, comment),
  });
  onRequest(socket, metrics, 'alert:shelve', {
    permission: 'alert:shelve',
    handle: ({ id, durationS, reason }, ctx) => shelveAlert(deps, ctx, id, durationS, reason),
  });
  onRequest(socket, metrics, 'alert:comment', {
    permission: 'alert:comment',
    handle: ({ id, comment }, ctx) => commentOnAlert(deps, ctx, id, comment),
  });
  onRequest(socket, metrics, 'alerts:resync', {
    permission: 'alert:read',
    handle: ({ after, limit }, _ctx, session) => alertChangesAfter(deps.db.pool, session, after, limit),
  });
}
