import type { TenantTransaction } from '@tidewatch/db';
import type { SignInStep } from '@tidewatch/shared';
import { AppError } from '../../http/app-error.ts';

/** A session that still owes a sign-in step lives this long; finishing the last step gives it its full life. */
export const PENDING_SESSION_TTL_S = 600;

const stepMessages: Record<SignInStep, string> = {
  second_factor: 'Finish signing in: enter the code from your authenticator app',
  password_change: 'Finish signing in: your password was set by an administrator; choose your own',
  second_factor_enrolment: 'Finish signing in: your organisation requires a second factor; set one up',
};

export const signInIncomplete = (step: SignInStep): AppError =>
  new AppError('sign_in_incomplete', stepMessages[step]);

export interface StepFacts {
  readonly totpEnabled: boolean;
  /** The second factor was given on this session. */
  readonly secondFactorDone: boolean;
  readonly mustChangePassword: boolean;
  /** The tenant requires a second factor for the user's role. */
  readonly totpRequired: boolean;
}

/**
 * The step a session owes next: the second factor first (so a temporary password alone cannot change the
 * password of an account that has one), then the user's own password, then enrolment where it is required.
 */
export function nextSignInStep(facts: StepFacts): SignInStep | null {
  if (facts.totpEnabled && !facts.secondFactorDone) return 'second_factor';
  if (facts.mustChangePassword) return 'password_change';
  if (facts.totpRequired && !facts.totpEnabled) return 'second_factor_enrolment';
  return null;
}

/** Whether the tenant requires a second factor of this role (never of a platform administrator). */
export async function totpRequiredFor(
  tx: TenantTransaction,
  tenantId: string | null,
  role: string,
): Promise<boolean> {
  if (tenantId === null) return false;
  const settings = await tx.tenantSecuritySettings.findUnique({
    where: { tenantId },
    select: { totpRequiredRoles: true },
  });
  return settings?.totpRequiredRoles.some((required) => required === role) ?? false;
}

/**
 * Reads what decides the session's next step and stores it; when nothing is owed any more, the session gets its
 * full lifetime from its creation. Runs in the user's own context.
 */
export async function advanceSignIn(
  tx: TenantTransaction,
  sessionId: string,
  sessionTtlSeconds: number,
): Promise<SignInStep | null> {
  const session = await tx.session.findUniqueOrThrow({
    where: { id: sessionId },
    select: {
      createdAt: true,
      secondFactorAt: true,
      pendingStep: true,
      user: {
        select: {
          tenantId: true,
          role: true,
          mustChangePassword: true,
          totp: { select: { confirmedAt: true } },
        },
      },
    },
  });
  const { user } = session;
  const step = nextSignInStep({
    totpEnabled: user.totp?.confirmedAt != null,
    secondFactorDone: session.secondFactorAt !== null,
    mustChangePassword: user.mustChangePassword,
    totpRequired: await totpRequiredFor(tx, user.tenantId, user.role),
  });
  if (step !== session.pendingStep) {
    await tx.session.update({
      where: { id: sessionId },
      data: {
        pendingStep: step,
        ...(step === null
          ? { expiresAt: new Date(session.createdAt.getTime() + sessionTtlSeconds * 1000) }
          : {}),
      },
    });
  }
  return step;
}
