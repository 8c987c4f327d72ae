import type { DbContext } from '@tidewatch/db';
import type { AuthenticatedContext } from '../../http/request-context.ts';

/**
 * The caller acting on their own account: their home tenant, whichever tenant a super_admin is looking at.
 */
export function accountContext(ctx: AuthenticatedContext): DbContext {
  const { principal } = ctx;
  return { tenantId: principal.homeTenantId, userId: principal.userId, role: principal.role };
}

/** For audit entries about the caller's own account. */
export function accountAuditContext(ctx: AuthenticatedContext): AuthenticatedContext {
  return { ...ctx, tenantId: ctx.principal.homeTenantId };
}
