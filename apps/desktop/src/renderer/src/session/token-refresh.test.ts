import type { TokenResponse } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/api-error.ts';
import { refreshDelayMs, sessionFromTokens, type Session } from './session.ts';
import { createTokenRefresher, type RefreshDeps } from './token-refresh.ts';

const user: TokenResponse['user'] = {
  id: '11111111-1111-4111-8111-111111111111',
  email: 'operator@hyderabad-west.example',
  displayName: 'Omar Operator',
  role: 'operator',
  tenantId: '22222222-2222-4222-8222-222222222222',
  zoneIds: [],
  permissions: ['alert:read'],
  pendingStep: null,
};
const tokens = (n: number): TokenResponse => ({
  accessToken: `access-${n}`,
  refreshToken: `refresh-token-number-${n}-xxxxxxxx`,
  expiresIn: 900,
  user,
});
const session = (n: number): Session => sessionFromTokens('https://scada.example', tokens(n), 0);

/** A refresher whose "server" is a function, and whose storage is one variable shared like localStorage. */
function harness(answer: (body: { refreshToken: string }) => Response) {
  const calls: string[] = [];
  let stored: Session | null = session(1);
  let signedOutReason: string | null = null;
  const deps: RefreshDeps = {
    fetch: (_input, init) => {
      const body = JSON.parse(init?.body as string) as { refreshToken: string };
      calls.push(body.refreshToken);
      return Promise.resolve(answer(body));
    },
    storedSession: () => stored,
    tokensChanged: (next) => {
      stored = next;
    },
    signedOut: (reason) => {
      stored = null;
      signedOutReason = reason;
    },
    now: () => 1_000,
    exclusive: (task) => task(),
  };
  return {
    refresh: createTokenRefresher(deps),
    calls,
    stored: () => stored,
    setStored: (value: Session | null) => {
      stored = value;
    },
    signedOutReason: () => signedOutReason,
  };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('token refresh', () => {
  it('spends each refresh token once, however many requests need new tokens at the same time', async () => {
    const h = harness(() => json(tokens(2)));
    const results = await Promise.all([h.refresh(session(1)), h.refresh(session(1)), h.refresh(session(1))]);
    expect(h.calls).toEqual([session(1).refreshToken]);
    expect(results.map((s) => s.accessToken)).toEqual(['access-2', 'access-2', 'access-2']);
    expect(h.stored()?.refreshToken).toBe(tokens(2).refreshToken);
    expect(h.stored()?.expiresAt).toBe(1_000 + 900_000);
  });

  it('adopts tokens another window already refreshed instead of reusing the spent one', async () => {
    const h = harness(() => json(tokens(99)));
    h.setStored(session(2));
    const result = await h.refresh(session(1));
    expect(h.calls).toEqual([]);
    expect(result.accessToken).toBe('access-2');
  });

  it('signs the operator out when the server refuses the refresh token', async () => {
    const h = harness(() =>
      json({ type: 'urn:tidewatch:problem:unauthenticated', title: 'Unauthenticated', status: 401 }, 401),
    );
    await expect(h.refresh(session(1))).rejects.toBeInstanceOf(ApiError);
    expect(h.stored()).toBeNull();
    expect(h.signedOutReason()).toMatch(/sign in again/i);
  });

  it('keeps the session when the server is only unavailable', async () => {
    const h = harness(() =>
      json({ type: 'urn:tidewatch:problem:unavailable', title: 'Unavailable', status: 503 }, 503),
    );
    await expect(h.refresh(session(1))).rejects.toMatchObject({ status: 503, code: 'unavailable' });
    expect(h.stored()?.refreshToken).toBe(session(1).refreshToken);
  });

  it('schedules the refresh a minute before expiry, or at 80 % of a short lifetime', () => {
    expect(refreshDelayMs({ expiresAt: 900_000 }, 0)).toBe(840_000);
    expect(refreshDelayMs({ expiresAt: 60_000 }, 0)).toBe(48_000);
    expect(refreshDelayMs({ expiresAt: 100_000 }, 0)).toBe(80_000);
    expect(refreshDelayMs({ expiresAt: 1000 }, 5000)).toBe(0);
  });
});
