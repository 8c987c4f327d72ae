import { hashCredential, withTenant } from '@tidewatch/db';
import type { ChangePassword, Me } from '@tidewatch/shared';
import { invalid, type AppError } from '../../http/app-error.ts';
import type { AuthenticatedContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { accountAuditContext, accountContext } from './account-context.ts';
import { endSessionsOf } from './account-sessions.ts';
import type { AuthDeps } from './auth-deps.ts';
import { assertPasswordAllowed } from './password-policy.ts';
import { afterStepFailed, isOwnPassword, stepFailed } from './reauthenticate.ts';
import { describeMe, principalFromUser } from './session-tokens.ts';
import { advanceSignIn } from './sign-in-steps.ts';

/**
 * The user changes their own password, giving the current one. Every other session of theirs ends (a thief's
 * included); this one stays and, if the change was the step it owed, moves on. The user is told by e-mail.
 */
export async function changeOwnPassword(
  deps: AuthDeps,
  ctx: AuthenticatedContext,
  request: ChangePassword,
): Promise<Me> {
  const { principal } = ctx;
  assertPasswordAllowed('newPassword', request.newPassword, principal);
  if (request.newPassword === request.currentPassword) {
    throw invalid('newPassword', 'must differ from the current password');
  }
  const passwordHash = await hashCredential(request.newPassword);
  const outcome = await withTenant(
    deps.db.prisma,
    accountContext(ctx),
    async (tx): Promise<{ me: Me } | { error: AppError }> => {
      if (!(await isOwnPassword(tx, ctx, request.currentPassword))) {
        return {
          error: await stepFailed(tx, ctx, 'currentPassword', 'This is not your current password'),
        };
      }
      await tx.user.update({
        where: { id: principal.userId },
        data: { passwordHash, passwordChangedAt: new Date(), mustChangePassword: false },
      });
      const ended = await endSessionsOf(tx, principal.userId, 'password_changed', {
        except: principal.sessionId,
      });
      await tx.session.update({ where: { id: principal.sessionId }, data: { stepFailures: 0 } });
      await advanceSignIn(tx, principal.sessionId, deps.sessionTtlSeconds);
      await recordAudit(tx, accountAuditContext(ctx), {
        action: 'account.password_change',
        resourceType: 'user',
        resourceId: principal.userId,
        details: { otherSessionsEnded: ended, wasTemporary: principal.pendingStep === 'password_change' },
      });
      return { me: describeMe(await principalFromUser(tx, principal.userId, principal.sessionId)) };
    },
  );
  if ('error' in outcome) throw afterStepFailed(deps, ctx, outcome.error);
  deps.bus.emit('access.changed', { tenantId: principal.homeTenantId, userId: principal.userId });
  deps.notices.send(outcome.me, 'password_changed', ctx);
  return outcome.me;
}
