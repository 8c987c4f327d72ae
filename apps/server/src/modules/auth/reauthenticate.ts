import { verifyCredential, type TenantTransaction } from '@tidewatch/db';
import { AppError, invalid } from '../../http/app-error.ts';
import type { AuthenticatedContext } from '../../http/request-context.ts';
import type { AuthDeps } from './auth-deps.ts';

/** Wrong passwords or codes one session may give (changing the password, second factor) before it is ended. */
export const MAX_STEP_FAILURES = 5;

/**
 * Counts a wrong password or code given on the caller's session; the fifth ends the session, so a stolen
 * session cannot be used to guess the password or a code. Resolves with the error to throw.
 */
export async function stepFailed(
  tx: TenantTransaction,
  ctx: AuthenticatedContext,
  field: string,
  message: string,
): Promise<AppError> {
  const session = await tx.session.update({
    where: { id: ctx.principal.sessionId },
    data: { stepFailures: { increment: 1 } },
    select: { stepFailures: true },
  });
  if (session.stepFailures < MAX_STEP_FAILURES) return invalid(field, message);
  await tx.session.update({
    where: { id: ctx.principal.sessionId },
    data: { revokedAt: new Date(), revokedReason: 'too_many_failures' },
  });
  return new AppError('unauthenticated', 'Too many wrong answers: the session has ended; sign in again');
}

/**
 * The error a failed step resolved with, to throw after its transaction committed. When the step ended the
 * session, this instance's cached principal goes first: the database's announcement arrives on another connection
 * and could lose the race with the caller's next request.
 */
export function afterStepFailed(
  deps: Pick<AuthDeps, 'bus'>,
  ctx: AuthenticatedContext,
  error: AppError,
): AppError {
  if (error.code === 'unauthenticated') {
    deps.bus.emit('access.changed', { tenantId: ctx.principal.homeTenantId, userId: ctx.principal.userId });
  }
  return error;
}

/** Whether `password` is the caller's current password. */
export async function isOwnPassword(
  tx: TenantTransaction,
  ctx: AuthenticatedContext,
  password: string,
): Promise<boolean> {
  const user = await tx.user.findUniqueOrThrow({
    where: { id: ctx.principal.userId },
    select: { passwordHash: true },
  });
  return verifyCredential(user.passwordHash, password).catch(() => false);
}
