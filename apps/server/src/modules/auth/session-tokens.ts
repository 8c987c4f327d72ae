import type { TenantTransaction } from '@tidewatch/db';
import { permissions, rolePermissions, signInSteps, type Me, type TokenResponse } from '@tidewatch/shared';
import { z } from 'zod';
import type { Principal } from '../../http/request-context.ts';
import type { AuthDeps } from './auth-deps.ts';
import { hashRefreshToken, newRefreshToken } from './refresh-token.ts';

const signInStepSchema = z.enum(signInSteps).nullable();

export function describeMe(principal: Principal): Me {
  return {
    id: principal.userId,
    email: principal.email,
    displayName: principal.displayName,
    role: principal.role,
    tenantId: principal.homeTenantId,
    zoneIds: [...principal.zoneIds],
    permissions: permissions.filter((p) => rolePermissions[principal.role].has(p)),
    pendingStep: principal.pendingStep,
  };
}

interface SessionOwner {
  readonly userId: string;
  readonly tenantId: string | null;
}

/** Stores a new refresh token for a session and returns it with a fresh access token. */
export async function issueTokens(
  deps: AuthDeps,
  tx: TenantTransaction,
  owner: SessionOwner,
  sessionId: string,
  expiresAt: Date,
): Promise<{ accessToken: string; refreshToken: string; tokenId: string }> {
  const refreshToken = newRefreshToken();
  const stored = await tx.refreshToken.create({
    data: {
      tenantId: owner.tenantId,
      sessionId,
      userId: owner.userId,
      tokenHash: hashRefreshToken(refreshToken),
      expiresAt,
    },
    select: { id: true },
  });
  const accessToken = await deps.tokens.issue({ userId: owner.userId, sessionId });
  return { accessToken, refreshToken, tokenId: stored.id };
}

/** Reads the user's own row, as shown to them. */
export async function principalFromUser(
  tx: TenantTransaction,
  userId: string,
  sessionId: string,
): Promise<Principal> {
  const user = await tx.user.findUniqueOrThrow({
    where: { id: userId },
    select: {
      email: true,
      displayName: true,
      role: true,
      tenantId: true,
      zones: { select: { zoneId: true } },
      sessions: { where: { id: sessionId }, select: { pendingStep: true } },
    },
  });
  return {
    userId,
    sessionId,
    email: user.email,
    displayName: user.displayName,
    role: user.role,
    homeTenantId: user.tenantId,
    zoneIds: user.zones.map((z) => z.zoneId).sort(),
    pendingStep: signInStepSchema.parse(user.sessions[0]?.pendingStep ?? null),
  };
}

export function tokenResponse(
  deps: AuthDeps,
  tokens: { accessToken: string; refreshToken: string },
  principal: Principal,
): TokenResponse {
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresIn: deps.tokens.ttlSeconds,
    user: describeMe(principal),
  };
}
