import { withTenant, type TenantTransaction } from '@tidewatch/db';
import type {
  AccountSecurity,
  Me,
  RecoveryCodes,
  SecondFactorRequest,
  TotpEnrolment,
} from '@tidewatch/shared';
import { conflict, forbidden, invalid, type AppError } from '../../http/app-error.ts';
import type { AuthenticatedContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { totpSecretContext } from '../secrets/stored-secrets.ts';
import { accountAuditContext, accountContext } from './account-context.ts';
import type { AuthDeps } from './auth-deps.ts';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.ts';
import { afterStepFailed, isOwnPassword, stepFailed } from './reauthenticate.ts';
import { describeMe, principalFromUser } from './session-tokens.ts';
import { advanceSignIn, totpRequiredFor } from './sign-in-steps.ts';
import { base32Encode, matchTotpStep, newTotpSecret, totpUri } from './totp.ts';

const ISSUER = 'Tidewatch';
const wrongCode = 'This code is not right';

/** A transaction's outcome: thrown only after commit, so what was counted on the way (failures) stays counted. */
type Outcome<T> = { readonly ok: T } | { readonly error: AppError };

async function settle<T>(
  deps: AuthDeps,
  ctx: AuthenticatedContext,
  outcome: Promise<Outcome<T>>,
): Promise<T> {
  const result = await outcome;
  if ('error' in result) throw afterStepFailed(deps, ctx, result.error);
  return result.ok;
}

/**
 * Accepts a code from the authenticator (never one of a step already used) or a recovery code (which is used
 * up). Resolves with how it was proven, or null.
 */
async function proveSecondFactor(
  tx: TenantTransaction,
  box: SecretBox,
  ctx: AuthenticatedContext,
  answer: { code: string } | { recoveryCode: string },
): Promise<{ by: 'code' } | { by: 'recovery_code'; codesLeft: number } | null> {
  const { userId } = ctx.principal;
  const totp = await tx.userTotp.findUnique({ where: { userId } });
  if (!totp?.confirmedAt) return null;
  if ('code' in answer) {
    const secret = await box
      .open(totp.secretSealed, totpSecretContext(totp.tenantId, userId))
      .catch((error: unknown) => {
        // Changed in the database, or copied from another user: no code can match it.
        ctx.log.error({ err: error, userId }, 'a TOTP secret does not open');
        return null;
      });
    if (secret === null) return null;
    const step = matchTotpStep(secret, answer.code, Date.now(), Number(totp.lastUsedStep));
    if (step === null) return null;
    // The guard against replay: of two requests with one code, one moves the step on and the other finds it moved.
    const moved = await tx.userTotp.updateMany({
      where: { userId, lastUsedStep: { lt: BigInt(step) } },
      data: { lastUsedStep: BigInt(step) },
    });
    return moved.count === 1 ? { by: 'code' } : null;
  }
  const hash = hashRecoveryCode(answer.recoveryCode);
  const used = await tx.$queryRaw<{ left: number }[]>`
    UPDATE user_totp SET recovery_code_hashes = array_remove(recovery_code_hashes, ${hash})
     WHERE user_id = ${userId}::uuid AND ${hash} = ANY (recovery_code_hashes)
    RETURNING cardinality(recovery_code_hashes) AS left`;
  const left = used[0]?.left;
  return left === undefined ? null : { by: 'recovery_code', codesLeft: left };
}

const asAnswer = (code: string): { code: string } | { recoveryCode: string } =>
  /^\d{6}$/.test(code) ? { code } : { recoveryCode: code };

/** The sign-in step: the second factor of a user who has one. */
export async function verifySecondFactor(
  deps: AuthDeps,
  ctx: AuthenticatedContext,
  request: SecondFactorRequest,
): Promise<Me> {
  const { userId, sessionId } = ctx.principal;
  if (ctx.principal.pendingStep !== 'second_factor') throw conflict('This session is not asked for a code');
  const box = deps.secrets;
  const key = deps.throttle.secondFactorKey(userId);
  // Held back like a sign-in: the answer is the same as for a wrong code, and the code is not even looked at.
  const held = await deps.throttle.holdsSecondFactor(key);
  type Proof = NonNullable<Awaited<ReturnType<typeof proveSecondFactor>>>;
  const outcome = await withTenant(
    deps.db.prisma,
    accountContext(ctx),
    async (tx): Promise<Outcome<{ me: Me; proof: Proof }>> => {
      const proof = held ? null : await proveSecondFactor(tx, box, ctx, request);
      const by = 'code' in request ? 'code' : 'recovery_code';
      if (!proof) {
        await recordAudit(tx, accountAuditContext(ctx), {
          action: 'auth.second_factor',
          resourceType: 'session',
          resourceId: sessionId,
          outcome: held ? 'denied' : 'failure',
          details: { by, reason: held ? 'throttled' : 'wrong' },
        });
        return { error: await stepFailed(tx, ctx, 'code' in request ? 'code' : 'recoveryCode', wrongCode) };
      }
      await tx.session.update({
        where: { id: sessionId },
        data: { secondFactorAt: new Date(), stepFailures: 0 },
      });
      await advanceSignIn(tx, sessionId, deps.sessionTtlSeconds);
      await recordAudit(tx, accountAuditContext(ctx), {
        action: 'auth.second_factor',
        resourceType: 'session',
        resourceId: sessionId,
        details: { by },
      });
      return { ok: { me: describeMe(await principalFromUser(tx, userId, sessionId)), proof } };
    },
  );
  if ('error' in outcome) {
    if (!held) await deps.throttle.secondFactorFailed(key);
    throw afterStepFailed(deps, ctx, outcome.error);
  }
  const { me, proof } = outcome.ok;
  if (proof.by === 'recovery_code') {
    deps.notices.send(me, 'recovery_code_used', { ...ctx, codesLeft: proof.codesLeft });
  }
  return me;
}

/** Starts setting up an authenticator: a new secret, shown once, that works after a first code confirms it. */
export async function startTotpEnrolment(deps: AuthDeps, ctx: AuthenticatedContext): Promise<TotpEnrolment> {
  const { userId, email, homeTenantId } = ctx.principal;
  const box = deps.secrets;
  const secret = newTotpSecret();
  const tenantSlug = await withTenant(deps.db.prisma, accountContext(ctx), async (tx) => {
    const existing = await tx.userTotp.findUnique({ where: { userId }, select: { confirmedAt: true } });
    if (existing?.confirmedAt) {
      throw conflict(
        'Two-step verification is already on; turn it off first to set up another authenticator',
      );
    }
    const sealed = box.seal(secret, totpSecretContext(homeTenantId, userId));
    await tx.userTotp.upsert({
      where: { userId },
      create: { userId, tenantId: homeTenantId, secretSealed: sealed },
      update: { secretSealed: sealed, confirmedAt: null, lastUsedStep: 0n, recoveryCodeHashes: [] },
    });
    await recordAudit(tx, accountAuditContext(ctx), {
      action: 'account.totp_enrolment_started',
      resourceType: 'user',
      resourceId: userId,
    });
    if (homeTenantId === null) return null;
    const tenant = await tx.tenant.findUnique({ where: { id: homeTenantId }, select: { slug: true } });
    return tenant?.slug ?? null;
  });
  // The tenant in the label tells two accounts of one address apart in the authenticator app.
  const account = tenantSlug ? `${email} (${tenantSlug})` : email;
  return { secret: base32Encode(secret), otpauthUri: totpUri(secret, account, ISSUER) };
}

/** The first code confirms the authenticator; the recovery codes are made and shown this once. */
export async function confirmTotpEnrolment(
  deps: AuthDeps,
  ctx: AuthenticatedContext,
  code: string,
): Promise<RecoveryCodes> {
  const { userId, sessionId } = ctx.principal;
  const box = deps.secrets;
  const recoveryCodes = newRecoveryCodes();
  const me = await withTenant(deps.db.prisma, accountContext(ctx), async (tx) => {
    const totp = await tx.userTotp.findUnique({ where: { userId } });
    if (!totp || totp.confirmedAt) throw conflict('Start setting up two-step verification first');
    const secret = await box.open(totp.secretSealed, totpSecretContext(totp.tenantId, userId));
    const step = matchTotpStep(secret, code, Date.now(), 0);
    if (step === null) throw invalid('code', `${wrongCode}; check that the phone’s clock is right`);
    await tx.userTotp.update({
      where: { userId },
      data: {
        confirmedAt: new Date(),
        lastUsedStep: BigInt(step),
        recoveryCodeHashes: recoveryCodes.map(hashRecoveryCode),
      },
    });
    // Proven on this session just now: it does not have to ask again.
    await tx.session.update({ where: { id: sessionId }, data: { secondFactorAt: new Date() } });
    await advanceSignIn(tx, sessionId, deps.sessionTtlSeconds);
    await recordAudit(tx, accountAuditContext(ctx), {
      action: 'account.totp_enabled',
      resourceType: 'user',
      resourceId: userId,
    });
    return describeMe(await principalFromUser(tx, userId, sessionId));
  });
  deps.notices.send(me, 'totp_enabled', ctx);
  return { recoveryCodes, user: me };
}

/** Turns the second factor off, with the password and a code (or a recovery code), unless the tenant requires it. */
export async function disableTotp(
  deps: AuthDeps,
  ctx: AuthenticatedContext,
  request: { password: string; code: string },
): Promise<void> {
  const { userId, role, homeTenantId } = ctx.principal;
  const box = deps.secrets;
  await settle(
    deps,
    ctx,
    withTenant(deps.db.prisma, accountContext(ctx), async (tx): Promise<Outcome<null>> => {
      const totp = await tx.userTotp.findUnique({ where: { userId }, select: { confirmedAt: true } });
      if (!totp?.confirmedAt) throw conflict('Two-step verification is not on');
      if (await totpRequiredFor(tx, homeTenantId, role)) {
        throw forbidden('Your organisation requires two-step verification for your role');
      }
      if (!(await isOwnPassword(tx, ctx, request.password))) {
        return { error: await stepFailed(tx, ctx, 'password', 'This is not your current password') };
      }
      if (!(await proveSecondFactor(tx, box, ctx, asAnswer(request.code)))) {
        return { error: await stepFailed(tx, ctx, 'code', wrongCode) };
      }
      await tx.userTotp.delete({ where: { userId } });
      await recordAudit(tx, accountAuditContext(ctx), {
        action: 'account.totp_disabled',
        resourceType: 'user',
        resourceId: userId,
      });
      return { ok: null };
    }),
  );
  deps.notices.send(ctx.principal, 'totp_disabled', ctx);
}

/** New recovery codes for a confirmed authenticator, with the password; the old ones stop working. */
export async function replaceRecoveryCodes(
  deps: AuthDeps,
  ctx: AuthenticatedContext,
  password: string,
): Promise<RecoveryCodes> {
  const { userId, sessionId } = ctx.principal;
  const recoveryCodes = newRecoveryCodes();
  const me = await settle(
    deps,
    ctx,
    withTenant(deps.db.prisma, accountContext(ctx), async (tx): Promise<Outcome<Me>> => {
      const totp = await tx.userTotp.findUnique({ where: { userId }, select: { confirmedAt: true } });
      if (!totp?.confirmedAt) throw conflict('Two-step verification is not on');
      if (!(await isOwnPassword(tx, ctx, password))) {
        return { error: await stepFailed(tx, ctx, 'password', 'This is not your current password') };
      }
      await tx.userTotp.update({
        where: { userId },
        data: { recoveryCodeHashes: recoveryCodes.map(hashRecoveryCode) },
      });
      await recordAudit(tx, accountAuditContext(ctx), {
        action: 'account.recovery_codes_replaced',
        resourceType: 'user',
        resourceId: userId,
      });
      return { ok: describeMe(await principalFromUser(tx, userId, sessionId)) };
    }),
  );
  deps.notices.send(me, 'recovery_codes_replaced', ctx);
  return { recoveryCodes, user: me };
}

/** What the account page shows about how the caller signs in. */
export async function describeAccountSecurity(
  deps: AuthDeps,
  ctx: AuthenticatedContext,
): Promise<AccountSecurity> {
  const { userId, role, homeTenantId } = ctx.principal;
  return withTenant(deps.db.prisma, accountContext(ctx), async (tx) => {
    const user = await tx.user.findUniqueOrThrow({
      where: { id: userId },
      select: { passwordChangedAt: true, totp: { select: { confirmedAt: true, recoveryCodeHashes: true } } },
    });
    const [idle] = await tx.$queryRaw<{ minutes: number }[]>`
      SELECT (extract(epoch FROM auth_idle_limit(${homeTenantId}::uuid, ${role}::user_role)) / 60)::int AS minutes`;
    const enabled = user.totp?.confirmedAt != null;
    return {
      totpEnabled: enabled,
      totpRequired: await totpRequiredFor(tx, homeTenantId, role),
      recoveryCodesLeft: enabled ? (user.totp?.recoveryCodeHashes.length ?? 0) : 0,
      passwordChangedAt: user.passwordChangedAt.toISOString(),
      idleTimeoutMinutes: idle?.minutes ?? 0,
    };
  });
}
