import { withTenant } from '@tidewatch/db';
import type { AuthenticatedContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';
import type { AuthDeps } from './auth-deps.ts';

/** Ends the caller's session: its refresh tokens stop working and its access tokens are refused at once. */
export async function logout(deps: AuthDeps, ctx: AuthenticatedContext): Promise<void> {
  const { principal } = ctx;
  await withTenant(
    deps.db.prisma,
    { tenantId: principal.homeTenantId, userId: principal.userId, role: principal.role },
    async (tx) => {
      await tx.session.updateMany({
        where: { id: principal.sessionId, revokedAt: null },
        data: { revokedAt: new Date(), revokedReason: 'logout' },
      });
      await recordAudit(
        tx,
        { ...ctx, tenantId: principal.homeTenantId },
        {
          action: 'auth.logout',
          resourceType: 'session',
          resourceId: principal.sessionId,
        },
      );
    },
  );
  deps.bus.emit('access.changed', { tenantId: principal.homeTenantId, userId: principal.userId });
}
