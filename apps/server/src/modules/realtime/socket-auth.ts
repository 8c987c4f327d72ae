import { can, realtimeAuthSchema } from '@tidewatch/shared';
import { decodeJwt } from 'jose';
import type pg from 'pg';
import { AppError, forbidden } from '../../http/app-error.ts';
import type { Logger } from '../../logger.ts';
import type { AccessTokens } from '../auth/access-token.ts';
import { loadPrincipal } from '../auth/principal.ts';
import { signInIncomplete } from '../auth/sign-in-steps.ts';
import { SocketSession } from './socket-session.ts';

export interface HandshakeInfo {
  readonly auth: unknown;
  readonly address: string;
  readonly userAgent: string | undefined;
}

/** When a verified token expires, in epoch milliseconds. */
export function tokenExpiry(token: string): number {
  const { exp } = decodeJwt(token);
  if (exp === undefined) throw new AppError('unauthenticated', 'The access token is not valid');
  return exp * 1000;
}

/**
 * Who is connecting: the token is verified, then the user's current role, tenant and zones are read from the
 * database, as for a REST request. A super_admin names the tenant to watch in `auth.tenantId`.
 */
export async function authenticateHandshake(
  pool: pg.Pool,
  tokens: AccessTokens,
  handshake: HandshakeInfo,
  log: Logger,
): Promise<{ session: SocketSession; resumeAfter: number | undefined }> {
  const auth = realtimeAuthSchema.safeParse(handshake.auth);
  if (!auth.success) {
    throw new AppError('unauthenticated', 'Connect with auth: { token: <access token> }');
  }
  const claims = await tokens.verify(auth.data.token);
  const principal = await loadPrincipal(pool, claims.userId, claims.sessionId);
  if (!principal) throw new AppError('unauthenticated', 'The session has ended; sign in again');
  if (principal.pendingStep !== null) throw signInIncomplete(principal.pendingStep);
  const tenantId = principal.role === 'super_admin' ? (auth.data.tenantId ?? null) : principal.homeTenantId;
  if (tenantId === null) {
    throw new AppError('tenant_required', 'Choose a tenant with auth.tenantId');
  }
  if (!can(principal.role, 'alert:read')) throw forbidden('Your role may not read alerts');
  const session = new SocketSession(
    principal,
    tenantId,
    tokenExpiry(auth.data.token),
    { ip: handshake.address || null, userAgent: handshake.userAgent?.slice(0, 500) ?? null },
    log,
    () => loadPrincipal(pool, claims.userId, claims.sessionId),
  );
  return { session, resumeAfter: auth.data.lastSequence };
}
