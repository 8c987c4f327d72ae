import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import type { Alert, Page, Role, User } from '@tidewatch/shared';
import { signInFirstTime } from './account-fixtures.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';
import { TestSocket } from './realtime-client.ts';

/**
 * The periodic check of sockets is set far beyond the test's time here, so what the sockets receive can only
 * come from the change itself.
 */
describe('access changes reach open sockets at once', () => {
  let server: RunningServer;
  let api: Api;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    server = await startTestServer({ REALTIME_REVALIDATE_MS: '300000', ALERT_JOB_INTERVAL_MS: '3600000' });
    api = new Api(server.url);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await server.close();
  });

  it('re-scopes on a role change and closes on disable and on sign-out, without waiting for the interval', async () => {
    // A user of the test's own: other test files sign in as the demo users meanwhile.
    const admin = await api.tokenFor(tenantA.email('admin'));
    const email = `realtime-access-${randomUUID()}@example.org`;
    const temporary = 'a-long-test-password';
    const created = await api.request<User>('POST', '/api/v1/users', {
      token: admin,
      body: { email, displayName: 'Realtime access test', role: 'operator', password: temporary },
    });
    expect(created.status).toBe(201);
    const { password } = await signInFirstTime(api, { user: created.body, email, password: temporary });
    const patch = (body: object) =>
      api.request('PATCH', `/api/v1/users/${created.body.id}`, { token: admin, body });
    const socket = await TestSocket.connect(server.url, {
      token: (await api.login(email, password)).accessToken,
    });
    sockets.push(socket);
    await patch({ role: 'viewer' });
    const changed = await socket.waitFor('session:changed', (e) => e.role === 'viewer', 5000);
    await patch({ disabled: true });
    const ended = await socket.waitFor('session:ended', () => true, 5000);
    await patch({ disabled: false });

    const session = await api.login(email, password);
    const signedIn = await TestSocket.connect(server.url, { token: session.accessToken });
    sockets.push(signedIn);
    await api.request('POST', '/api/v1/auth/logout', { token: session.accessToken });
    const signedOut = await signedIn.waitFor('session:ended', () => true, 5000);

    expect(changed.role).toBe('viewer');
    expect(ended.reason).toBe('revoked');
    expect(signedOut.reason).toBe('revoked');
  });

  it('judges a request with the role the database has now, before the announcement of a change arrives', async () => {
    const admin = await api.tokenFor(tenantA.email('admin'));
    /** A user of the test's own with a socket open, and their id. */
    const userWithSocket = async (role: Role) => {
      const email = `realtime-role-${randomUUID()}@example.org`;
      const temporary = 'a-long-test-password';
      const created = await api.request<User>('POST', '/api/v1/users', {
        token: admin,
        body: { email, displayName: 'Realtime role test', role, password: temporary },
      });
      expect(created.status).toBe(201);
      const { password } = await signInFirstTime(api, { user: created.body, email, password: temporary });
      const socket = await TestSocket.connect(server.url, {
        token: (await api.login(email, password)).accessToken,
      });
      sockets.push(socket);
      return { id: created.body.id, socket };
    };
    const viewer = await userWithSocket('viewer');
    const operator = await userWithSocket('operator');
    const open = await api.request<Page<Alert>>('GET', '/api/v1/alerts?open=true&limit=1', { token: admin });
    const alert = open.body.items[0];
    if (!alert) throw new Error('the demo has open alerts');
    // Announcements off, so the sockets' principals are not told: as when an announcement is still on its way.
    const quietly = (id: string, role: Role) =>
      adminQuery(
        `BEGIN;
         ALTER TABLE users DISABLE TRIGGER users_access_changed;
         UPDATE users SET role = '${role}' WHERE id = '${id}';
         ALTER TABLE users ENABLE TRIGGER users_access_changed;
         COMMIT;`,
      );

    await quietly(viewer.id, 'operator');
    await quietly(operator.id, 'viewer');
    const promoted = await viewer.socket.request('alert:comment', {
      id: alert.id,
      comment: 'Promoted just now',
    });
    const demoted = await operator.socket.request('alert:comment', {
      id: alert.id,
      comment: 'Demoted just now',
    });

    expect(promoted.ok).toBe(true);
    expect(demoted.ok ? null : demoted.problem.status).toBe(403);
  });
});
