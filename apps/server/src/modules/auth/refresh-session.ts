import { withTenant } from '@tidewatch/db';
import type { RefreshRequest, Role, TokenResponse } from '@tidewatch/shared';
import { AppError } from '../../http/app-error.ts';
import type { RequestContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';
import type { AuthDeps } from './auth-deps.ts';
import { hashRefreshToken } from './refresh-token.ts';
import { issueTokens, principalFromUser, tokenResponse } from './session-tokens.ts';

interface RefreshCandidate {
  token_id: string;
  session_id: string;
  user_id: string;
  tenant_id: string | null;
  role: Role;
  used_at: Date | null;
  expires_at: Date;
  session_revoked: boolean;
  disabled: boolean;
  idle: boolean;
}

const sessionEnded = (): AppError => new AppError('unauthenticated', 'The session has ended; sign in again');

/**
 * Trades a refresh token for a new pair. Each token works once: presenting a spent one means it was stolen or
 * replayed, so the whole session (every token descended from its login) is revoked.
 */
export async function refreshSession(
  deps: AuthDeps,
  ctx: RequestContext,
  request: RefreshRequest,
): Promise<TokenResponse> {
  const { rows } = await deps.db.pool.query<RefreshCandidate>('SELECT * FROM auth_refresh_candidate($1)', [
    hashRefreshToken(request.refreshToken),
  ]);
  const candidate = rows[0];
  if (!candidate) throw sessionEnded();
  const userContext = { tenantId: candidate.tenant_id, userId: candidate.user_id, role: candidate.role };
  const auditContext = { ...ctx, tenantId: candidate.tenant_id };

  const revokeForReuse = async (): Promise<never> => {
    await withTenant(deps.db.prisma, userContext, async (tx) => {
      await tx.session.updateMany({
        where: { id: candidate.session_id, revokedAt: null },
        data: { revokedAt: new Date(), revokedReason: 'refresh_token_reuse' },
      });
      await recordAudit(tx, auditContext, {
        action: 'auth.refresh_reuse',
        resourceType: 'session',
        resourceId: candidate.session_id,
        outcome: 'denied',
        actorId: candidate.user_id,
        actorType: 'user',
      });
    });
    deps.bus.emit('access.changed', { tenantId: candidate.tenant_id, userId: candidate.user_id });
    throw sessionEnded();
  };

  if (candidate.used_at !== null) return revokeForReuse();
  if (candidate.session_revoked || candidate.disabled || candidate.idle || candidate.expires_at <= new Date())
    throw sessionEnded();

  const result = await withTenant(deps.db.prisma, userContext, async (tx) => {
    // Marking the token spent is the race guard: of two concurrent refreshes with one token, one wins.
    const spent = await tx.refreshToken.updateMany({
      where: { id: candidate.token_id, usedAt: null },
      data: { usedAt: new Date() },
    });
    if (spent.count === 0) return null;
    const session = await tx.session.update({
      where: { id: candidate.session_id },
      data: { lastUsedAt: new Date() },
      select: { expiresAt: true },
    });
    const tokens = await issueTokens(
      deps,
      tx,
      { userId: candidate.user_id, tenantId: candidate.tenant_id },
      candidate.session_id,
      session.expiresAt,
    );
    await tx.refreshToken.update({
      where: { id: candidate.token_id },
      data: { replacedById: tokens.tokenId },
    });
    const principal = await principalFromUser(tx, candidate.user_id, candidate.session_id);
    return tokenResponse(deps, tokens, principal);
  });
  return result ?? revokeForReuse();
}
