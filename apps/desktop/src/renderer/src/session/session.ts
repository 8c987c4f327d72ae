import { meSchema, type TokenResponse } from '@tidewatch/shared';
import { z } from 'zod';

/** A signed-in operator: which server, the token pair, when the access token expires (local clock). */
export const sessionSchema = z.object({
  serverUrl: z.string(),
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresAt: z.number(),
  user: meSchema,
  /** The tenant a super_admin is looking at (sent as X-Tenant-Id); others are fixed to their own. */
  tenantId: z.uuid().nullable(),
});
export type Session = z.infer<typeof sessionSchema>;

export function sessionFromTokens(
  serverUrl: string,
  tokens: TokenResponse,
  now: number,
  tenantId: string | null = tokens.user.tenantId,
): Session {
  return {
    serverUrl,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: now + tokens.expiresIn * 1000,
    user: tokens.user,
    tenantId,
  };
}

/**
 * When to refresh: a minute before expiry, or at 80 % of a lifetime too short for that; never in the past.
 * @example refreshDelayMs({ expiresAt: 900_000 }, 0) // 840000
 */
export function refreshDelayMs(session: Pick<Session, 'expiresAt'>, now: number): number {
  const remaining = session.expiresAt - now;
  return Math.max(0, remaining - 60_000, remaining * 0.8);
}
