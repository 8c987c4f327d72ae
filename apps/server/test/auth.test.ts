import type { Me, Problem, TokenResponse } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, DEMO_PASSWORD, startTestServer, tenantA } from './harness.ts';

describe('authentication', () => {
  let server: RunningServer;
  let api: Api;

  beforeAll(async () => {
    server = await startTestServer({ LOGIN_THROTTLE_PAIR_FAILURES: '3' });
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

  it('throttles repeated failures with the very answer of a wrong password, even to the right one', async () => {
    const email = tenantA.email('maintenance');
    const attempt = (password: string, who = email) =>
      api.request<Problem>('POST', '/api/v1/auth/login', { body: { email: who, password } });
    const wrong = [];
    for (let i = 0; i < 3; i += 1) wrong.push(await attempt('wrong-password'));

    const throttled = await attempt(DEMO_PASSWORD);
    const unknown = await attempt('wrong-password', 'nobody-at-all@nowhere.example');

    const shape = (answer: { status: number; body: Problem; headers: Headers }) => ({
      status: answer.status,
      type: answer.body.type,
      title: answer.body.title,
      detail: answer.body.detail,
      keys: Object.keys(answer.body).sort(),
      retryAfter: answer.headers.get('retry-after'),
    });
    expect(wrong.map((answer) => answer.status)).toEqual([401, 401, 401]);
    expect(shape(throttled)).toEqual(shape(wrong[0] ?? throttled));
    expect(shape(unknown)).toEqual(shape(wrong[0] ?? throttled));
    const audited = await adminQuery<{ reason: string }>(
      `SELECT details->>'reason' AS reason FROM audit_log WHERE action = 'auth.login' AND details->>'email' = $1
        ORDER BY at DESC, id DESC LIMIT 1`,
      [email],
    );
    expect(audited[0]?.reason).toBe('throttled');

    // The hold passes (as time would have it): the right password works again and the pair's count is forgotten.
    await adminQuery(`UPDATE login_throttles SET blocked_until = now() - interval '1 second'`);
    expect((await attempt(DEMO_PASSWORD)).status).toBe(200);
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

  it('rate-limits sign-in requests per address with 429, whatever e-mail they name', async () => {
    const limited = await startTestServer({ LOGIN_RATE_LIMIT_PER_IP: '3', LOGIN_RATE_WINDOW_S: '60' });
    try {
      const client = new Api(limited.url);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        statuses.push(
          (
            await client.request('POST', '/api/v1/auth/login', {
              body: { email: `ratelimit${String(i)}@nowhere.example`, password: 'x' },
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
