import { tokenResponseSchema } from '@tidewatch/shared';
import { ApiError, errorFromResponse, NetworkError } from '../api/api-error.ts';
import { sessionFromTokens, type Session } from './session.ts';

export interface RefreshDeps {
  readonly fetch: typeof fetch;
  /** The session as stored now: another window may have refreshed already. */
  readonly storedSession: () => Session | null;
  readonly tokensChanged: (session: Session) => void;
  readonly signedOut: (reason: string) => void;
  readonly now: () => number;
  /** Runs `task` while no other window of the console refreshes (Web Locks), or directly without them. */
  readonly exclusive: <T>(task: () => Promise<T>) => Promise<T>;
}

const LOCK_NAME = 'tidewatch.session-refresh';

export function browserExclusive<T>(task: () => Promise<T>): Promise<T> {
  const locks = (navigator as Partial<Navigator>).locks;
  return locks ? locks.request(LOCK_NAME, task) : task();
}

/**
 * Trades the refresh token for a new pair. Each refresh token works once, so concurrent callers in this
 * window share one request, and a window that finds another already refreshed adopts its tokens instead of
 * spending the used one (which the server would treat as reuse and end the session).
 */
export function createTokenRefresher(deps: RefreshDeps): (stale: Session) => Promise<Session> {
  let inFlight: Promise<Session> | null = null;
  const refresh = async (stale: Session): Promise<Session> => {
    const stored = deps.storedSession();
    if (stored && stored.refreshToken !== stale.refreshToken && stored.serverUrl === stale.serverUrl) {
      deps.tokensChanged(stored);
      return stored;
    }
    let response: Response;
    try {
      response = await deps.fetch(`${stale.serverUrl}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: stale.refreshToken }),
      });
    } catch {
      throw new NetworkError(stale.serverUrl);
    }
    if (response.status === 401 || response.status === 400) {
      const error = await errorFromResponse(response);
      deps.signedOut('Your session has ended. Sign in again.');
      throw error;
    }
    if (!response.ok) throw await errorFromResponse(response);
    const tokens = tokenResponseSchema.parse(await response.json());
    const session = sessionFromTokens(stale.serverUrl, tokens, deps.now(), stale.tenantId);
    deps.tokensChanged(session);
    return session;
  };
  return (stale) => {
    inFlight ??= deps
      .exclusive(() => refresh(stale))
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
}

export function isSessionEnded(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 401 || error.status === 400);
}
