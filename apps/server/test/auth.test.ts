import type { Me, Problem, TokenResponse } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';

describe('authentication', () => {
  let server: RunningServer;
  let api: Api;

  beforeAll(async () => {
    server = await startTestServer({ LOGIN_LOCKOUT_THRESHOLD: '3' });
    api = new Api(server.url);
  });
  afterAll(async () => {
    await server.close();
  });

  it('signs in with e-mail and password and returns tokens and the user', async () => {
    const tokens = await api.login(tenantA.email('operator'));

    expect(tokens.expiresIn).toBe(900);
    expect(tokens.user).toMatchObject({ email: tenantA.email('operator'), role: 'operator' });
    expect(tokens.user.permissions).toContain('alert:acknowledge');
    const me = await api.request<Me>('GET', '/api/v1/me', { token: tokens.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(tokens.user.id);
  });

  it('refuses a wrong password and an unknown e-mail alike, and audits both', async () => {
    const wrong = await api.request<Problem>('POST', '/api/v1/auth/login', {
      body: { email: tenantA.email('viewer'), password: 'not the password' },
    });
    const unknown = await api.request<Problem>('POST', '/api/v1/auth/login', {
      body: { email: 'nobody@nowhere.example', password: 'not the password' },
    });

    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.type).toBe('urn:tidewatch:problem:invalid_credentials');
    expect(unknown.body.detail).toBe(wrong.body.detail);
    expect(wrong.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const audited = await adminQuery<{ reason: string }>(
      `SELECT details->>'reason' AS reason FROM audit_log WHERE action = 'auth.login' AND outcome = 'failure'
         AND details->>'email' IN ($1, 'nobody@nowhere.example')`,
      [tenantA.email('viewer')],
    );
    expect(audited.map((row) => row.reason).sort()).toEqual(['unknown_email', 'wrong_password']);
  });

  it('locks an account after repeated failures, even against the right password, with back-off', async () => {
    const email = tenantA.email('maintenance');
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const failed = await api.request('POST', '/api/v1/auth/login', {
        body: { email, password: 'wrong-password' },
      });
      expect(failed.status).toBe(401);
    }

    const locked = await api.request<Problem>('POST', '/api/v1/auth/login', {
      body: { email, password: 'tidewatch-demo' },
    });

    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    const [user] = await adminQuery<{ failed_login_count: number; minutes: number }>(
      `SELECT failed_login_count, (extract(epoch FROM locked_until - now()) / 60)::float8 AS minutes FROM users WHERE email = $1`,
      [email],
    );
    expect(user?.failed_login_count).toBe(3);
    expect(user?.minutes).toBeGreaterThan(0.5);
    expect(user?.minutes).toBeLessThanOrEqual(1);

    // Unlock for the other tests, as an admin would.
    await adminQuery('UPDATE users SET locked_until = NULL, failed_login_count = 0 WHERE email = $1', [
      email,
    ]);
    expect(
      (await api.request('POST', '/api/v1/auth/login', { body: { email, password: 'tidewatch-demo' } }))
        .status,
    ).toBe(200);
  });

  it('rotates refresh tokens, and a re-used one revokes the whole session', async () => {
    const first = await api.login(tenantA.email('supervisor'));

    const second = await api.request<TokenResponse>('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: first.refreshToken },
    });
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    expect((await api.request('GET', '/api/v1/me', { token: second.body.accessToken })).status).toBe(200);

    const replay = await api.request<Problem>('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: first.refreshToken },
    });
    expect(replay.status).toBe(401);

    // The thief's replay ended the session: the legitimate newer tokens stop working too.
    const afterReplay = await api.request('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: second.body.refreshToken },
    });
    const meAfterReplay = await api.request('GET', '/api/v1/me', { token: second.body.accessToken });
    expect(afterReplay.status).toBe(401);
    expect(meAfterReplay.status).toBe(401);
    const [audit] = await adminQuery<{ count: string }>(
      `SELECT count(*) FROM audit_log WHERE action = 'auth.refresh_reuse' AND actor_id = $1`,
      [first.user.id],
    );
    expect(Number(audit?.count)).toBeGreaterThanOrEqual(1);
  });

  it('logs out: the refresh token and the access token stop working at once', async () => {
    const tokens = await api.login(tenantA.email('operator2'));

    const logout = await api.request('POST', '/api/v1/auth/logout', { token: tokens.accessToken });

    expect(logout.status).toBe(204);
    expect((await api.request('GET', '/api/v1/me', { token: tokens.accessToken })).status).toBe(401);
    expect(
      (await api.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: tokens.refreshToken } }))
        .status,
    ).toBe(401);
  });

  it('refuses missing, malformed, tampered and unsigned tokens', async () => {
    const tokens = await api.login(tenantA.email('viewer'));
    const [header, payload] = tokens.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(
      JSON.stringify({ ...claims, sub: '00000000-0000-4000-8000-000000000000' }),
    ).toString('base64url');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload ?? ''}.`;

    const statuses = await Promise.all(
      [undefined, 'garbage', `${header ?? ''}.${forged}.${tokens.accessToken.split('.')[2] ?? ''}`, none].map(
        async (token) =>
          (
            await api.request('GET', '/api/v1/me', {
              ...(token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }),
            })
          ).status,
      ),
    );

    expect(statuses).toEqual([401, 401, 401, 401]);
  });

  it('rate-limits sign-in attempts per e-mail', async () => {
    const limited = await startTestServer({ LOGIN_RATE_LIMIT_PER_EMAIL: '3', LOGIN_RATE_WINDOW_S: '60' });
    try {
      const client = new Api(limited.url);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        statuses.push(
          (
            await client.request('POST', '/api/v1/auth/login', {
              body: { email: 'ratelimit@nowhere.example', password: 'x' },
            })
          ).status,
        );
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await limited.close();
    }
  });
});
