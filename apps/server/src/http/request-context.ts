import type { DbContext } from '@tidewatch/db';
import type { Role, SignInStep } from '@tidewatch/shared';
import type { Logger } from '../logger.ts';

/** The caller, as the database says it is right now. */
export interface Principal {
  readonly userId: string;
  readonly sessionId: string;
  readonly email: string;
  readonly displayName: string;
  readonly role: Role;
  /** The user's own tenant; null for super_admin. */
  readonly homeTenantId: string | null;
  /** Empty: every zone of the tenant. */
  readonly zoneIds: readonly string[];
  /** A sign-in step the session still owes; until it is done only that step's routes answer. */
  readonly pendingStep: SignInStep | null;
}

/** What every service call receives: who, in which tenant, and for which request. */
export interface RequestContext {
  readonly requestId: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly log: Logger;
  readonly principal: Principal | null;
  /** The tenant this request acts in: the user's own, or the one a super_admin chose. */
  readonly tenantId: string | null;
}

/** A context with a signed-in principal, as every non-public route gets. */
export interface AuthenticatedContext extends RequestContext {
  readonly principal: Principal;
}

/** A context acting inside one tenant. */
export interface TenantContext extends AuthenticatedContext {
  readonly tenantId: string;
}

/**
 * The row-level-security context for the database. With a principal, the transaction also checks that its session
 * may still act: the principal may come from a cache a few seconds old.
 */
export function dbContext(ctx: RequestContext): DbContext {
  const { principal } = ctx;
  if (!principal) return { tenantId: ctx.tenantId, userId: null, role: null };
  return {
    tenantId: ctx.tenantId,
    userId: principal.userId,
    role: principal.role,
    sessionId: principal.sessionId,
    zoneIds: principal.zoneIds,
  };
}
