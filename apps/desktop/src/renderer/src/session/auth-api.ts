import { tokenResponseSchema, type LoginRequest } from '@tidewatch/shared';
import { apiRequest, apiUrl } from '../api/api-client.ts';
import { errorFromResponse, NetworkError } from '../api/api-error.ts';
import { sessionFromTokens, type Session } from './session.ts';
import { useSessionStore } from './session-store.ts';

/**
 * The address the operator typed, reduced to an origin.
 * @example normalizeServerUrl('scada.example:8443') // 'https://scada.example:8443'
 */
export function normalizeServerUrl(text: string): string {
  const trimmed = text.trim();
  const withScheme = /^https?:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  const url = new URL(withScheme);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('Use an http or https address');
  return url.origin;
}

export async function signIn(serverUrl: string, credentials: LoginRequest): Promise<Session> {
  let response: Response;
  try {
    response = await fetch(apiUrl(serverUrl, '/auth/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(credentials),
    });
  } catch {
    throw new NetworkError(serverUrl);
  }
  if (!response.ok) throw await errorFromResponse(response);
  const session = sessionFromTokens(serverUrl, tokenResponseSchema.parse(await response.json()), Date.now());
  useSessionStore.getState().signedIn(session);
  return session;
}

/** Ends the session on the server too; the local sign-out happens even when the server cannot be reached. */
export async function signOut(): Promise<void> {
  try {
    await apiRequest('/auth/logout', { method: 'POST' });
  } catch {
    // Signed out here regardless; the server's session expires on its own.
  } finally {
    useSessionStore.getState().signedOut();
  }
}
