import { useSessionStore } from '../session/session-store.ts';
import type { Session } from '../session/session.ts';
import { browserExclusive, createTokenRefresher } from '../session/token-refresh.ts';
import { loadSession } from '../session/session-storage.ts';
import { ApiError, errorFromResponse, NetworkError } from './api-error.ts';

export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly body?: unknown;
  /** Bytes sent as they are (an upload) instead of a JSON `body`; the server judges their type itself. */
  readonly bytes?: ArrayBuffer;
  /** Makes a retried action apply once on routes that honour it (the field app's offline queue). */
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignal;
  /**
   * The operator asked for this request (a sign-in step, the activity heartbeat). Every other request says it
   * is background, so polls and refreshes never keep an unattended console's session from its idle timeout.
   */
  readonly userActivity?: boolean;
}

/** Refresh this long before the access token expires rather than send a request bound to fail. */
const EXPIRY_MARGIN_MS = 15_000;

export const refreshTokens = createTokenRefresher({
  fetch: (input, init) => fetch(input, init),
  storedSession: () => loadSession(),
  tokensChanged: (session) => {
    useSessionStore.getState().tokensChanged(session);
  },
  signedOut: (reason) => {
    useSessionStore.getState().signedOut(reason);
  },
  now: () => Date.now(),
  exclusive: browserExclusive,
});

export function apiUrl(serverUrl: string, path: string, query?: RequestOptions['query']): string {
  const url = new URL(`/api/v1${path}`, serverUrl);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url.toString();
}

async function send(session: Session, path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${session.accessToken}`,
    accept: 'application/json',
  };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.bytes !== undefined) headers['content-type'] = 'application/octet-stream';
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  if (!options.userActivity) headers['x-tidewatch-background'] = 'true';
  if (session.user.role === 'super_admin' && session.tenantId) headers['x-tenant-id'] = session.tenantId;
  try {
    // The connection state comes from the socket alone; a failed request says so through its error.
    return await fetch(apiUrl(session.serverUrl, path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body: options.bytes ?? (options.body === undefined ? null : JSON.stringify(options.body)),
      signal: options.signal ?? null,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new NetworkError(session.serverUrl);
  }
}

/** The answer to one request, after refreshing the tokens shortly before expiry and once more on a 401. */
async function authorizedResponse(path: string, options: RequestOptions): Promise<Response> {
  let session = useSessionStore.getState().session;
  if (!session) throw new ApiError(401, 'unauthenticated', 'Not signed in');
  if (session.expiresAt - Date.now() < EXPIRY_MARGIN_MS) session = await refreshTokens(session);
  let response = await send(session, path, options);
  if (response.status === 401) {
    session = await refreshTokens(session);
    response = await send(session, path, options);
    if (response.status === 401) {
      const error = await errorFromResponse(response);
      useSessionStore.getState().signedOut('Your session has ended. Sign in again.');
      throw error;
    }
  }
  if (!response.ok) throw await errorFromResponse(response);
  return response;
}

/**
 * One request to the REST API as the signed-in operator. Refreshes the tokens shortly before they expire,
 * and once more when the server answers 401 (the token was revoked or the clock drifted), then retries.
 */
export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await authorizedResponse(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/**
 * A file the REST API answers with (a CSV export), as the signed-in operator, like `apiRequest`.
 * @example saveFile(await apiFile('/telemetry', { query: { series: '7', from, to, format: 'csv' } }), 'trend.csv')
 */
export async function apiFile(path: string, options: RequestOptions = {}): Promise<Blob> {
  return (await authorizedResponse(path, options)).blob();
}

/**
 * Binary bytes the REST API answers with (a vector tile), as the signed-in operator, like `apiRequest`; an
 * empty buffer for 204 (nothing there).
 */
export async function apiBytes(path: string, options: RequestOptions = {}): Promise<ArrayBuffer> {
  const response = await authorizedResponse(path, options);
  if (response.status === 204) return new ArrayBuffer(0);
  return response.arrayBuffer();
}
