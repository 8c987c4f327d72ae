import { z } from 'zod';
import { AppError } from '../../http/app-error.ts';
import type { ContextResolver } from '../../http/route.ts';
import type { Logger } from '../../logger.ts';
import type { AccessTokens } from './access-token.ts';
import type { PrincipalCache } from './principal-cache.ts';

const tenantHeaderSchema = z.uuid();
/** Sent by clients on requests no person asked for; the idle timeout does not count them as activity. */
export const BACKGROUND_HEADER = 'x-tidewatch-background';

/**
 * Builds the request's context: verifies the bearer token, then takes the user's current role, tenant and zones
 * from the database (or from the principal cache, which the database keeps current; `fresh` skips it). A
 * super_admin acts in the tenant named by X-Tenant-Id, or in none.
 */
export function contextResolver(
  principals: PrincipalCache,
  tokens: AccessTokens,
  baseLog: Logger,
): ContextResolver {
  return async (caller, authenticate, fresh = false) => {
    const { requestId } = caller;
    const base = {
      requestId,
      ip: caller.ip,
      userAgent: caller.header('user-agent')?.slice(0, 500) ?? null,
    };
    const header = caller.header('authorization');
    if (!authenticate || header === undefined) {
      return { ...base, log: baseLog.child({ requestId }), principal: null, tenantId: null };
    }
    const match = /^Bearer ([A-Za-z0-9._~+/=-]{10,4096})$/.exec(header);
    if (!match?.[1])
      throw new AppError('unauthenticated', 'Send the access token as "Authorization: Bearer <token>"');
    const claims = await tokens.verify(match[1]);
    // Requests a client makes by itself (polling) say so; they do not keep an unattended session alive.
    const activity = caller.header(BACKGROUND_HEADER) === undefined;
    const principal = await principals.load(claims.userId, claims.sessionId, activity, fresh);
    if (!principal) throw new AppError('unauthenticated', 'The session has ended; sign in again');
    let tenantId = principal.homeTenantId;
    const chosen = caller.header('x-tenant-id');
    if (principal.role === 'super_admin' && chosen !== undefined) {
      const parsed = tenantHeaderSchema.safeParse(chosen);
      if (!parsed.success) throw new AppError('validation_failed', 'X-Tenant-Id must be a tenant id');
      tenantId = parsed.data;
    }
    // Made when a handler first logs: most requests never do, and a child logger costs as much as a list's check.
    let log: Logger | undefined;
    return {
      ...base,
      get log() {
        log ??= baseLog.child({ requestId, userId: principal.userId, tenantId });
        return log;
      },
      principal,
      tenantId,
    };
  };
}
