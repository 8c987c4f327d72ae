import { AppError } from '../../http/app-error.ts';
import type { AccessTokens } from '../auth/access-token.ts';
import type { RealtimeMetrics } from './realtime-metrics.ts';
import type { RealtimeSocket } from './realtime-types.ts';
import type { SessionRevalidator } from './session-revalidator.ts';
import { onRequest } from './socket-handler.ts';
import { tokenExpiry } from './socket-auth.ts';

/** `session:renew`: a refreshed access token of the same session keeps the socket open past the old one's expiry. */
export function registerSessionHandlers(
  socket: RealtimeSocket,
  deps: {
    readonly tokens: AccessTokens;
    readonly revalidator: SessionRevalidator;
    readonly metrics: RealtimeMetrics;
  },
): void {
  onRequest(socket, deps.metrics, 'session:renew', {
    handle: async ({ token }, _ctx, session) => {
      const claims = await deps.tokens.verify(token);
      if (claims.userId !== session.principal.userId || claims.sessionId !== session.principal.sessionId) {
        throw new AppError('unauthenticated', 'The token belongs to another session; connect again with it');
      }
      session.expiresAt = tokenExpiry(token);
      deps.revalidator.track(socket);
      return { expiresAt: new Date(session.expiresAt).toISOString() };
    },
  });
}
