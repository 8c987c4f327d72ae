import { verifyCredential, withTenant } from '@tidewatch/db';
import type { LoginRequest, Role, TokenResponse } from '@tidewatch/shared';
import { AppError } from '../../http/app-error.ts';
import type { RequestContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';
import type { AuthDeps } from './auth-deps.ts';
import { issueTokens, principalFromUser, tokenResponse } from './session-tokens.ts';

interface LoginCandidate {
  user_id: string;
  tenant_id: string | null;
  role: Role;
  password_hash: string;
  failed_login_count: number;
  locked_until: Date | null;
  disabled: boolean;
}

// Verified against when the e-mail is unknown, so both answers take as long (argon2id of a random string).
const UNKNOWN_USER_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$Tjo+v48hgoP/MROtxUD7KA$r4O+gdX+LHy+DrsA2GDy+L2sMaOHpiwDBWWRlpFaDNA';

const invalidCredentials = (): AppError => new AppError('invalid_credentials', 'E-mail or password is wrong');

/** Minutes an account stays locked after `failures` consecutive failures: doubling from 1, at most 60. */
export function lockoutMinutes(failures: number, threshold: number): number {
  if (failures < threshold) return 0;
  return Math.min(60, 2 ** (failures - threshold));
}

/** Checks a password, applies lockout with back-off, and opens a session. Every attempt is audited. */
export async function login(
  deps: AuthDeps,
  ctx: RequestContext,
  request: LoginRequest,
): Promise<TokenResponse> {
  const { rows } = await deps.db.pool.query<LoginCandidate>('SELECT * FROM auth_login_candidate($1)', [
    request.email,
  ]);
  const candidate = rows[0];
  const failAudit = async (
    outcome: 'failure' | 'denied',
    reason: string,
    tenantId: string | null,
    userId: string | null,
  ) => {
    deps.loginAttempts.inc({ outcome: reason });
    await withTenant(deps.db.prisma, { tenantId, userId, role: null }, (tx) =>
      recordAudit(tx, ctx, {
        action: 'auth.login',
        resourceType: 'user',
        resourceId: userId,
        outcome,
        tenantId,
        actorId: userId,
        actorType: 'user',
        details: { email: request.email, reason },
      }),
    );
  };

  if (!candidate) {
    await verifyCredential(UNKNOWN_USER_HASH, request.password).catch(() => false);
    await failAudit('failure', 'unknown_email', null, null);
    throw invalidCredentials();
  }
  const userContext = { tenantId: candidate.tenant_id, userId: candidate.user_id, role: candidate.role };
  const now = new Date();
  if (candidate.locked_until && candidate.locked_until > now) {
    await failAudit('denied', 'locked', candidate.tenant_id, candidate.user_id);
    const retryAfter = Math.ceil((candidate.locked_until.getTime() - now.getTime()) / 1000);
    throw new AppError('too_many_requests', 'Too many failed sign-ins; try again later', undefined, {
      'Retry-After': String(retryAfter),
    });
  }
  const passwordOk = await verifyCredential(candidate.password_hash, request.password).catch(() => false);
  if (!passwordOk || candidate.disabled) {
    if (!passwordOk) {
      // Incremented in the database, not written from the count read before hashing: parallel guesses would
      // otherwise overwrite each other's failures and never reach the lockout.
      await withTenant(deps.db.prisma, userContext, async (tx) => {
        const { failedLoginCount } = await tx.user.update({
          where: { id: candidate.user_id },
          data: { failedLoginCount: { increment: 1 } },
          select: { failedLoginCount: true },
        });
        const minutes = lockoutMinutes(failedLoginCount, deps.lockoutThreshold);
        if (minutes > 0) {
          await tx.user.update({
            where: { id: candidate.user_id },
            data: { lockedUntil: new Date(Date.now() + minutes * 60_000) },
          });
        }
      });
    }
    await failAudit(
      'failure',
      candidate.disabled ? 'disabled' : 'wrong_password',
      candidate.tenant_id,
      candidate.user_id,
    );
    throw invalidCredentials();
  }

  const expiresAt = new Date(now.getTime() + deps.sessionTtlSeconds * 1000);
  const response = await withTenant(deps.db.prisma, userContext, async (tx) => {
    await tx.user.update({
      where: { id: candidate.user_id },
      data: { failedLoginCount: 0, lockedUntil: null, lastLoginAt: now },
    });
    const session = await tx.session.create({
      data: {
        tenantId: candidate.tenant_id,
        userId: candidate.user_id,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        expiresAt,
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
      },
    );
    return tokenResponse(deps, tokens, principal);
  });
  deps.loginAttempts.inc({ outcome: 'success' });
  return response;
}
