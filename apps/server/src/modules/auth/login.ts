import { withTenant } from '@tidewatch/db';
import type { LoginRequest, Role, TokenResponse } from '@tidewatch/shared';
import { ipKeyGenerator } from 'express-rate-limit';
import { AppError } from '../../http/app-error.ts';
import type { RequestContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';
import type { AuthDeps } from './auth-deps.ts';
import { CredentialChecksBusyError } from './credential-checks.ts';
import { issueTokens, principalFromUser, tokenResponse } from './session-tokens.ts';
import { nextSignInStep, PENDING_SESSION_TTL_S } from './sign-in-steps.ts';

interface LoginCandidate {
  user_id: string;
  tenant_id: string | null;
  role: Role;
  password_hash: string;
  disabled: boolean;
  must_change_password: boolean;
  totp_enabled: boolean;
  totp_required: boolean;
}

// Verified against when there is no password to check (unknown e-mail, throttled attempt), so every refusal
// costs the same argon2id work as a wrong password.
const STAND_IN_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$Tjo+v48hgoP/MROtxUD7KA$r4O+gdX+LHy+DrsA2GDy+L2sMaOHpiwDBWWRlpFaDNA';

const invalidCredentials = (): AppError => new AppError('invalid_credentials', 'E-mail or password is wrong');

/** The address throttling counts by: an IPv4 address, or an IPv6 /56 (one customer's whole allocation). */
export function throttleAddress(ctx: RequestContext): string {
  return ipKeyGenerator(ctx.ip ?? 'unknown');
}

/**
 * Checks a password and opens a session, which may still owe a sign-in step (second factor, a new password,
 * enrolment). Unknown e-mail, wrong password, disabled account and a throttled attempt all answer the same 401
 * after the same argon2id work; only the audit log tells them apart.
 */
export async function login(
  deps: AuthDeps,
  ctx: RequestContext,
  request: LoginRequest,
): Promise<TokenResponse> {
  const keys = deps.throttle.keys(request.email, throttleAddress(ctx));
  const { rows } = await deps.db.pool.query<LoginCandidate>('SELECT * FROM auth_login_candidate($1, $2)', [
    request.email,
    request.tenant ?? null,
  ]);
  const candidate = rows[0];
  const held = await deps.throttle.holds(keys, candidate?.user_id ?? null);
  const hash = !held && candidate ? candidate.password_hash : STAND_IN_HASH;
  const passwordOk = await deps.credentialChecks
    .verify('user', hash, request.password)
    .catch((error: unknown) => {
      // Too many checks waiting: no verdict, so no failure counted; the person tries again in a moment.
      if (error instanceof CredentialChecksBusyError)
        throw new AppError('unavailable', 'Signing in is busy; try again in a moment', undefined, {
          'Retry-After': '2',
        });
      throw error;
    });

  if (held || !candidate || !passwordOk || candidate.disabled) {
    if (!held) await deps.throttle.failed(keys);
    const reason = held
      ? 'throttled'
      : !candidate
        ? 'unknown_email'
        : !passwordOk
          ? 'wrong_password'
          : 'disabled';
    deps.loginAttempts.inc({ outcome: reason });
    const tenantId = candidate?.tenant_id ?? null;
    const userId = candidate?.user_id ?? null;
    await withTenant(deps.db.prisma, { tenantId, userId, role: null }, (tx) =>
      recordAudit(tx, ctx, {
        action: 'auth.login',
        resourceType: 'user',
        resourceId: userId,
        outcome: held ? 'denied' : 'failure',
        tenantId,
        actorId: userId,
        actorType: 'user',
        details: { email: request.email, tenant: request.tenant, reason },
      }),
    );
    throw invalidCredentials();
  }

  const knownAddress = await deps.throttle.succeeded(keys, candidate.user_id);
  const pendingStep = nextSignInStep({
    totpEnabled: candidate.totp_enabled,
    secondFactorDone: false,
    mustChangePassword: candidate.must_change_password,
    totpRequired: candidate.totp_required,
  });
  const now = new Date();
  const lifetimeS = pendingStep === null ? deps.sessionTtlSeconds : PENDING_SESSION_TTL_S;
  const expiresAt = new Date(now.getTime() + lifetimeS * 1000);
  const userContext = { tenantId: candidate.tenant_id, userId: candidate.user_id, role: candidate.role };
  const response = await withTenant(deps.db.prisma, userContext, async (tx) => {
    await tx.user.update({ where: { id: candidate.user_id }, data: { lastLoginAt: now } });
    const session = await tx.session.create({
      data: {
        tenantId: candidate.tenant_id,
        userId: candidate.user_id,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        expiresAt,
        pendingStep,
      },
      select: { id: true },
    });
    const tokens = await issueTokens(
      deps,
      tx,
      { userId: candidate.user_id, tenantId: candidate.tenant_id },
      session.id,
      expiresAt,
    );
    const principal = await principalFromUser(tx, candidate.user_id, session.id);
    await recordAudit(
      tx,
      { ...ctx, principal, tenantId: candidate.tenant_id },
      {
        action: 'auth.login',
        resourceType: 'session',
        resourceId: session.id,
        details: { pendingStep, newAddress: !knownAddress },
      },
    );
    return tokenResponse(deps, tokens, principal);
  });
  deps.loginAttempts.inc({ outcome: 'success' });
  if (!knownAddress) deps.notices.send(response.user, 'new_sign_in', ctx);
  return response;
}
