import type { Me, Problem, TokenResponse, User } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { createUser, freshPassword, Mailbox, signInFirstTime } from './account-fixtures.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantB } from './harness.ts';
import { TestSocket } from './realtime-client.ts';

describe('passwords: temporary ones, changing one’s own, and the policy', () => {
  let server: RunningServer;
  let api: Api;
  let mailbox: Mailbox;
  let adminA: string;
  let adminB: string;

  beforeAll(async () => {
    mailbox = await Mailbox.start();
    server = await startTestServer({ SMTP_URL: mailbox.url });
    api = new Api(server.url);
    adminA = await api.tokenFor(tenantA.email('admin'));
    adminB = await api.tokenFor(tenantB.email('admin'));
  });
  afterAll(async () => {
    await server.close();
    await mailbox.close();
  });

  it('a user an admin created must choose their own password before anything else works', async () => {
    const account = await createUser(api, adminA, 'operator');
    expect(account.user.mustChangePassword).toBe(true);

    const tokens = await api.login(account.email, account.password);
    const alerts = await api.request<Problem>('GET', '/api/v1/alerts', { token: tokens.accessToken });
    const me = await api.request<Me>('GET', '/api/v1/me', { token: tokens.accessToken });
    const socket = await TestSocket.refused(server.url, { token: tokens.accessToken });

    expect(tokens.user.pendingStep).toBe('password_change');
    expect(alerts.status).toBe(403);
    expect(alerts.body.type).toBe('urn:tidewatch:problem:sign_in_incomplete');
    expect(me.body.pendingStep).toBe('password_change');
    expect(socket.problem.type).toBe('urn:tidewatch:problem:sign_in_incomplete');

    const password = freshPassword();
    const changed = await api.request<Me>('POST', '/api/v1/me/password', {
      token: tokens.accessToken,
      body: { currentPassword: account.password, newPassword: password },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.pendingStep).toBeNull();
    // The same session goes on, with its full lifetime, and the old password is gone.
    expect((await api.request('GET', '/api/v1/alerts', { token: tokens.accessToken })).status).toBe(200);
    const [session] = await adminQuery<{ hours: number }>(
      `SELECT (extract(epoch FROM expires_at - created_at) / 3600)::float8 AS hours FROM sessions WHERE user_id = $1`,
      [account.user.id],
    );
    expect(session?.hours).toBeGreaterThan(24);
    expect(
      (
        await api.request('POST', '/api/v1/auth/login', {
          body: { email: account.email, password: account.password },
        })
      ).status,
    ).toBe(401);
    expect((await api.login(account.email, password)).user.pendingStep).toBeNull();
    await mailbox.waitFor(account.email, /Your Tidewatch password was changed/);
    // The first sign-in came from an address the account had never used: that was told too, once.
    await mailbox.waitFor(account.email, /New sign-in to your Tidewatch account/);
    expect(
      mailbox.mails.filter((mail) => mail.to === account.email && /New sign-in/.test(mail.text)),
    ).toHaveLength(1);
  });

  it('a password an admin sets is temporary, ends the user’s sessions at once and tells the user', async () => {
    const account = await createUser(api, adminA, 'viewer');
    const { tokens } = await signInFirstTime(api, account);
    const socket = await TestSocket.connect(server.url, { token: tokens.accessToken });

    const temporary = freshPassword();
    const set = await api.request<User>('PATCH', `/api/v1/users/${account.user.id}`, {
      token: adminA,
      body: { password: temporary },
    });

    expect(set.body.mustChangePassword).toBe(true);
    await socket.waitFor('session:ended');
    expect((await api.request('GET', '/api/v1/me', { token: tokens.accessToken })).status).toBe(401);
    expect((await api.login(account.email, temporary)).user.pendingStep).toBe('password_change');
    await mailbox.waitFor(account.email, /set a temporary password/);
  });

  it('changing one’s own password needs the current one, ends the other sessions and keeps this one', async () => {
    const account = await createUser(api, adminA, 'operator');
    const { tokens, password } = await signInFirstTime(api, account);
    const other = await api.login(account.email, password);
    const otherSocket = await TestSocket.connect(server.url, { token: other.accessToken });

    const wrong = await api.request<Problem>('POST', '/api/v1/me/password', {
      token: tokens.accessToken,
      body: { currentPassword: 'not the password', newPassword: freshPassword() },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors?.[0]?.path).toBe('currentPassword');

    const next = freshPassword();
    const changed = await api.request<Me>('POST', '/api/v1/me/password', {
      token: tokens.accessToken,
      body: { currentPassword: password, newPassword: next },
    });

    expect(changed.status).toBe(200);
    await otherSocket.waitFor('session:ended');
    expect((await api.request('GET', '/api/v1/me', { token: other.accessToken })).status).toBe(401);
    expect(
      (await api.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: other.refreshToken } }))
        .status,
    ).toBe(401);
    expect((await api.request('GET', '/api/v1/me', { token: tokens.accessToken })).status).toBe(200);
  });

  it('five wrong current passwords end the session that gave them', async () => {
    const account = await createUser(api, adminA, 'viewer');
    const { tokens } = await signInFirstTime(api, account);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      statuses.push(
        (
          await api.request('POST', '/api/v1/me/password', {
            token: tokens.accessToken,
            body: { currentPassword: `guess ${String(i)}`, newPassword: freshPassword() },
          })
        ).status,
      );
    }
    expect(statuses).toEqual([400, 400, 400, 400, 401]);
    expect((await api.request('GET', '/api/v1/me', { token: tokens.accessToken })).status).toBe(401);
  });

  it('refuses short, common and personal passwords wherever a password is set', async () => {
    const account = await createUser(api, adminA, 'viewer');
    const { tokens, password } = await signInFirstTime(api, account);
    // The new user's own e-mail stands in for "personal" when creating one.
    const tries = async (candidate: string, newEmail = `p-${String(Date.now())}@accounts.example`) => [
      (
        await api.request<Problem>('POST', '/api/v1/users', {
          token: adminA,
          body: {
            email: newEmail,
            displayName: 'P',
            role: 'viewer',
            password: candidate === account.email ? newEmail : candidate,
          },
        })
      ).status,
      (
        await api.request('PATCH', `/api/v1/users/${account.user.id}`, {
          token: adminA,
          body: { password: candidate },
        })
      ).status,
      (
        await api.request('POST', '/api/v1/me/password', {
          token: tokens.accessToken,
          body: { currentPassword: password, newPassword: candidate },
        })
      ).status,
    ];
    for (const candidate of ['short-one', 'qwertyuiop123', 'Password2024!', 'dragondragon', account.email]) {
      expect(await tries(candidate), candidate).toEqual([400, 400, 400]);
    }
    // Nothing was changed by the refusals: the session and the password still work.
    expect((await api.request('GET', '/api/v1/me', { token: tokens.accessToken })).status).toBe(200);
    expect((await api.login(account.email, password)).user.pendingStep).toBeNull();
  });

  it('one e-mail in two tenants: creating it says nothing of the other, and sign-in names the tenant', async () => {
    const email = `shared-${String(Date.now())}@accounts.example`;
    const inA = await createUser(api, adminA, 'viewer', { email });
    const inB = await createUser(api, adminB, 'operator', { email });
    const again = await api.request<Problem>('POST', '/api/v1/users', {
      token: adminA,
      body: { email, displayName: 'Twice', role: 'viewer', password: freshPassword() },
    });

    expect(inB.user.tenantId).not.toBe(inA.user.tenantId);
    // Only a clash within the admin's own tenant is reported, which the admin can see in their list anyway.
    expect(again.status).toBe(409);

    const ambiguous = await api.request<Problem>('POST', '/api/v1/auth/login', {
      body: { email, password: inA.password },
    });
    const wrong = await api.request<Problem>('POST', '/api/v1/auth/login', {
      body: { email, password: 'not the password' },
    });
    expect(ambiguous.status).toBe(401);
    expect(ambiguous.body.detail).toBe(wrong.body.detail);
    const named = await api.request<TokenResponse>('POST', '/api/v1/auth/login', {
      body: { email, password: inB.password, tenant: tenantB.slug },
    });
    expect(named.status).toBe(200);
    expect(named.body.user.id).toBe(inB.user.id);
    const crossed = await api.request('POST', '/api/v1/auth/login', {
      body: { email, password: inB.password, tenant: tenantA.slug },
    });
    expect(crossed.status).toBe(401);
  });
});
