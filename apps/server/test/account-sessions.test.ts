import type { EndedSessions, SecuritySettings, SessionInfo } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { createUser, signInFirstTime, type NewUser } from './account-fixtures.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantB } from './harness.ts';
import { TestSocket } from './realtime-client.ts';

describe('sessions: listed, ended one by one or everywhere, and ended when idle', () => {
  let server: RunningServer;
  let api: Api;
  let adminA: string;

  beforeAll(async () => {
    // Sockets are checked against the database often, so an idle session's socket closes within the test.
    server = await startTestServer({ REALTIME_REVALIDATE_MS: '300' });
    api = new Api(server.url);
    adminA = await api.tokenFor(tenantA.email('admin'));
  });
  afterAll(async () => {
    await server.close();
  });

  /** A user with their own password and `count` sessions, each from another "device". */
  async function userWithSessions(count: number): Promise<{ account: NewUser; tokens: string[] }> {
    const account = await createUser(api, adminA, 'operator');
    const { password } = await signInFirstTime(api, account);
    const tokens: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const answer = await api.request<{ accessToken: string }>('POST', '/api/v1/auth/login', {
        body: { email: account.email, password },
        headers: { 'user-agent': `device-${String(i)}` },
      });
      tokens.push(answer.body.accessToken);
    }
    return { account, tokens };
  }

  it('lists the caller’s sessions with device, address and which one is this', async () => {
    const { tokens } = await userWithSessions(2);
    const listed = await api.request<SessionInfo[]>('GET', '/api/v1/me/sessions', { token: tokens[1] ?? '' });

    expect(listed.status).toBe(200);
    // The first sign-in's session (the one that replaced the temporary password) stays; two more were opened.
    expect(listed.body).toHaveLength(3);
    const current = listed.body.filter((s) => s.current);
    expect(current).toHaveLength(1);
    expect(current[0]?.userAgent).toBe('device-1');
    expect(current[0]?.ip).toBe('127.0.0.1');
    expect(listed.body.map((s) => s.userAgent)).toContain('device-0');
  });

  it('ends one session of one’s own, and its socket closes at once; another user’s session is not found', async () => {
    const { tokens } = await userWithSessions(2);
    const socket = await TestSocket.connect(server.url, { token: tokens[0] ?? '' });
    const listed = await api.request<SessionInfo[]>('GET', '/api/v1/me/sessions', { token: tokens[1] ?? '' });
    const first = listed.body.find((s) => s.userAgent === 'device-0');

    const someoneElses = await userWithSessions(1);
    const foreign = await api.request('DELETE', `/api/v1/me/sessions/${first?.id ?? ''}`, {
      token: someoneElses.tokens[0] ?? '',
    });
    const ended = await api.request('DELETE', `/api/v1/me/sessions/${first?.id ?? ''}`, {
      token: tokens[1] ?? '',
    });

    expect(foreign.status).toBe(404);
    expect(ended.status).toBe(204);
    await socket.waitFor('session:ended');
    expect((await api.request('GET', '/api/v1/me', { token: tokens[0] ?? '' })).status).toBe(401);
    expect((await api.request('GET', '/api/v1/me', { token: tokens[1] ?? '' })).status).toBe(200);
  });

  it('signs out everywhere but here, or everywhere', async () => {
    const { tokens } = await userWithSessions(3);
    const sockets = await Promise.all(
      tokens.slice(0, 2).map((token) => TestSocket.connect(server.url, { token })),
    );

    const others = await api.request<EndedSessions>('POST', '/api/v1/me/sessions/end', {
      token: tokens[2] ?? '',
      body: {},
    });
    expect(others.body.ended).toBe(3);
    await Promise.all(sockets.map((socket) => socket.waitFor('session:ended')));
    expect((await api.request('GET', '/api/v1/me', { token: tokens[2] ?? '' })).status).toBe(200);

    const all = await api.request<EndedSessions>('POST', '/api/v1/me/sessions/end', {
      token: tokens[2] ?? '',
      body: { includeCurrent: true },
    });
    expect(all.body.ended).toBe(1);
    expect((await api.request('GET', '/api/v1/me', { token: tokens[2] ?? '' })).status).toBe(401);
  });

  it('an admin lists and ends a user’s sessions; another tenant’s admin cannot', async () => {
    const { account, tokens } = await userWithSessions(1);
    const socket = await TestSocket.connect(server.url, { token: tokens[0] ?? '' });
    const adminB = await api.tokenFor(tenantB.email('admin'));

    const listed = await api.request<SessionInfo[]>('GET', `/api/v1/users/${account.user.id}/sessions`, {
      token: adminA,
    });
    const fromB = await api.request('POST', `/api/v1/users/${account.user.id}/sessions/end`, {
      token: adminB,
    });
    const ended = await api.request<EndedSessions>('POST', `/api/v1/users/${account.user.id}/sessions/end`, {
      token: adminA,
    });

    expect(listed.body).toHaveLength(2);
    expect(fromB.status).toBe(404);
    expect(ended.body.ended).toBe(2);
    await socket.waitFor('session:ended');
    expect((await api.request('GET', '/api/v1/me', { token: tokens[0] ?? '' })).status).toBe(401);
  });

  it('ends a session idle past its role’s limit: requests, refresh and socket; background requests are not activity', async () => {
    const set = await api.request<SecuritySettings>('PATCH', '/api/v1/security-settings', {
      token: adminA,
      body: { idleTimeoutMinutes: { operator: 5 } },
    });
    expect(set.body.idleTimeoutMinutes.operator).toBe(5);
    try {
      const account = await createUser(api, adminA, 'operator');
      const { tokens } = await signInFirstTime(api, account);
      const socket = await TestSocket.connect(server.url, { token: tokens.accessToken });
      const lastActive = async () =>
        (
          await adminQuery<{ minutes: number }>(
            `SELECT (extract(epoch FROM now() - last_active_at) / 60)::float8 AS minutes FROM sessions
              WHERE user_id = $1 AND revoked_at IS NULL`,
            [account.user.id],
          )
        )[0]?.minutes ?? -1;
      const idleFor = (minutes: number) =>
        adminQuery(
          `UPDATE sessions SET last_active_at = now() - make_interval(mins => $2) WHERE user_id = $1`,
          [account.user.id, minutes],
        );

      // Four minutes without the user: a poll the console makes by itself does not count...
      await idleFor(4);
      const polled = await api.request('GET', '/api/v1/alerts', {
        token: tokens.accessToken,
        headers: { 'x-tidewatch-background': 'true' },
      });
      expect(polled.status).toBe(200);
      expect(await lastActive()).toBeGreaterThan(3.9);
      // ...the user's own request does.
      expect((await api.request('POST', '/api/v1/me/activity', { token: tokens.accessToken })).status).toBe(
        204,
      );
      expect(await lastActive()).toBeLessThan(0.1);

      // Six minutes without the user: the session has ended everywhere.
      await idleFor(6);
      await socket.waitFor('session:ended');
      expect((await api.request('GET', '/api/v1/me', { token: tokens.accessToken })).status).toBe(401);
      const refreshed = await api.request('POST', '/api/v1/auth/refresh', {
        body: { refreshToken: tokens.refreshToken },
      });
      expect(refreshed.status).toBe(401);
      // A request does not bring an idle session back.
      expect(await lastActive()).toBeGreaterThan(5.9);
    } finally {
      await api.request('PATCH', '/api/v1/security-settings', {
        token: adminA,
        body: { idleTimeoutMinutes: { operator: 720 } },
      });
    }
  });
});
