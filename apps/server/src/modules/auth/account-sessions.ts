import { withTenant, type TenantTransaction } from '@tidewatch/db';
import type { EndedSessions, SessionInfo } from '@tidewatch/shared';
import { notFound } from '../../http/app-error.ts';
import type { AuthenticatedContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { accountAuditContext, accountContext } from './account-context.ts';
import type { AuthDeps } from './auth-deps.ts';

interface SessionRow {
  id: string;
  ip: string | null;
  user_agent: string | null;
  created_at: Date;
  last_active_at: Date;
  expires_at: Date;
}

/** A user's sessions that may still act: not ended, not past their lifetime, not idle past their role's limit. */
export async function liveSessions(tx: TenantTransaction, userId: string): Promise<SessionRow[]> {
  return tx.$queryRaw<SessionRow[]>`
    SELECT s.id, host(s.ip) AS ip, s.user_agent, s.created_at, s.last_active_at, s.expires_at
      FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.user_id = ${userId}::uuid AND s.revoked_at IS NULL AND s.expires_at > now()
       AND s.last_active_at > now() - auth_idle_limit(u.tenant_id, u.role)
     ORDER BY s.last_active_at DESC`;
}

export const toSessionInfo = (row: SessionRow, currentId: string | null): SessionInfo => ({
  id: row.id,
  ip: row.ip,
  userAgent: row.user_agent,
  createdAt: row.created_at.toISOString(),
  lastActiveAt: row.last_active_at.toISOString(),
  expiresAt: row.expires_at.toISOString(),
  current: row.id === currentId,
});

/**
 * Ends sessions of one user (all, or all but one): their refresh tokens stop working and access tokens are refused
 * on the next request. The caller emits `access.changed` after commit so open sockets close at once.
 */
export async function endSessionsOf(
  tx: TenantTransaction,
  userId: string,
  reason: string,
  options: { readonly except?: string; readonly only?: string } = {},
): Promise<number> {
  const { count } = await tx.session.updateMany({
    where: {
      userId,
      revokedAt: null,
      ...(options.only ? { id: options.only } : {}),
      ...(options.except ? { id: { not: options.except } } : {}),
    },
    data: { revokedAt: new Date(), revokedReason: reason },
  });
  return count;
}

export async function listOwnSessions(deps: AuthDeps, ctx: AuthenticatedContext): Promise<SessionInfo[]> {
  const { userId, sessionId } = ctx.principal;
  const rows = await withTenant(deps.db.prisma, accountContext(ctx), (tx) => liveSessions(tx, userId));
  return rows.map((row) => toSessionInfo(row, sessionId));
}

/** Signs out one of the caller's sessions (another device, or this one). */
export async function endOwnSession(deps: AuthDeps, ctx: AuthenticatedContext, id: string): Promise<void> {
  const { userId, homeTenantId } = ctx.principal;
  await withTenant(deps.db.prisma, accountContext(ctx), async (tx) => {
    const ended = await endSessionsOf(tx, userId, 'ended_by_user', { only: id });
    if (ended === 0) throw notFound('Session');
    await recordAudit(tx, accountAuditContext(ctx), {
      action: 'account.session_end',
      resourceType: 'session',
      resourceId: id,
    });
  });
  deps.bus.emit('access.changed', { tenantId: homeTenantId, userId });
}

/** "Sign out everywhere": every other session of the caller, and this one too when asked. */
export async function endOwnSessions(
  deps: AuthDeps,
  ctx: AuthenticatedContext,
  includeCurrent: boolean,
): Promise<EndedSessions> {
  const { userId, sessionId, homeTenantId } = ctx.principal;
  const ended = await withTenant(deps.db.prisma, accountContext(ctx), async (tx) => {
    const count = await endSessionsOf(
      tx,
      userId,
      'ended_by_user',
      includeCurrent ? {} : { except: sessionId },
    );
    await recordAudit(tx, accountAuditContext(ctx), {
      action: 'account.sessions_end',
      resourceType: 'user',
      resourceId: userId,
      details: { ended: count, includeCurrent },
    });
    return count;
  });
  deps.bus.emit('access.changed', { tenantId: homeTenantId, userId });
  return { ended };
}
