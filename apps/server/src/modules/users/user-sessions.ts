import { withTenant } from '@tidewatch/db';
import type { EndedSessions, SessionInfo } from '@tidewatch/shared';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { endSessionsOf, liveSessions, toSessionInfo } from '../auth/account-sessions.ts';
import { findTenantUser, type UserServiceDeps } from './user-service.ts';

/** An administrator's view of a user's live sessions. */
export function listUserSessions(
  deps: UserServiceDeps,
  ctx: TenantContext,
  userId: string,
): Promise<SessionInfo[]> {
  return withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
    await findTenantUser(tx, ctx, userId);
    const rows = await liveSessions(tx, userId);
    return rows.map((row) =>
      toSessionInfo(row, userId === ctx.principal.userId ? ctx.principal.sessionId : null),
    );
  });
}

/** Signs a user out everywhere (a lost laptop, someone leaving); their open sockets close at once. */
export async function endUserSessions(
  deps: UserServiceDeps,
  ctx: TenantContext,
  userId: string,
): Promise<EndedSessions> {
  const ended = await withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
    await findTenantUser(tx, ctx, userId);
    const count = await endSessionsOf(tx, userId, 'ended_by_admin');
    await recordAudit(tx, ctx, {
      action: 'user.sessions_end',
      resourceType: 'user',
      resourceId: userId,
      details: { ended: count },
    });
    return count;
  });
  deps.bus.emit('access.changed', { tenantId: ctx.tenantId, userId });
  return { ended };
}

/**
 * Removes a user's authenticator (a lost phone) and ends their sessions. If the tenant requires a second factor
 * of their role, they set up a new one at the next sign-in.
 */
export async function resetUserTotp(
  deps: UserServiceDeps,
  ctx: TenantContext,
  userId: string,
): Promise<void> {
  const user = await withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
    const row = await findTenantUser(tx, ctx, userId);
    await tx.userTotp.deleteMany({ where: { userId } });
    const ended = await endSessionsOf(tx, userId, 'second_factor_reset');
    await recordAudit(tx, ctx, {
      action: 'user.totp_reset',
      resourceType: 'user',
      resourceId: userId,
      details: { hadSecondFactor: row.totp?.confirmedAt != null, sessionsEnded: ended },
    });
    return row;
  });
  deps.bus.emit('access.changed', { tenantId: ctx.tenantId, userId });
  deps.notices.send(user, 'totp_reset_by_admin', ctx);
}
