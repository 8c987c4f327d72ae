import type {
  AccountSecurity,
  Me,
  Problem,
  RecoveryCodes,
  SecuritySettings,
  TokenResponse,
  TotpEnrolment,
} from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import {
  authenticatorCode,
  createUser,
  Mailbox,
  nextStepCode,
  signInFirstTime,
  type NewUser,
} from './account-fixtures.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';
import { TestSocket } from './realtime-client.ts';

describe('two-step verification with an authenticator app (TOTP)', () => {
  let server: RunningServer;
  let api: Api;
  let mailbox: Mailbox;
  let adminA: string;

  beforeAll(async () => {
    mailbox = await Mailbox.start();
    server = await startTestServer({ SMTP_URL: mailbox.url });
    api = new Api(server.url);
    adminA = await api.tokenFor(tenantA.email('admin'));
  });
  afterAll(async () => {
    await server.close();
    await mailbox.close();
  });

  interface Enrolled {
    readonly account: NewUser;
    readonly password: string;
    readonly secret: string;
    readonly recoveryCodes: string[];
    /** The code used to confirm: it may not be used again. */
    readonly lastCode: string;
  }

  async function enrolled(role: 'operator' | 'supervisor' = 'operator'): Promise<Enrolled> {
    const account = await createUser(api, adminA, role);
    const { tokens, password } = await signInFirstTime(api, account);
    const started = await api.request<TotpEnrolment>('POST', '/api/v1/me/totp', {
      token: tokens.accessToken,
    });
    const code = authenticatorCode(started.body.secret);
    const confirmed = await api.request<RecoveryCodes>('POST', '/api/v1/me/totp/confirm', {
      token: tokens.accessToken,
      body: { code },
    });
    if (confirmed.status !== 200) throw new Error(JSON.stringify(confirmed.body));
    return {
      account,
      password,
      secret: started.body.secret,
      recoveryCodes: confirmed.body.recoveryCodes,
      lastCode: code,
    };
  }

  const secondFactor = (token: string, body: object) =>
    api.request<Me & Problem>('POST', '/api/v1/auth/second-factor', { token, body });

  it('enrols with the secret and its otpauth URI, confirmed by a code; the secret is stored sealed', async () => {
    const account = await createUser(api, adminA, 'operator');
    const { tokens } = await signInFirstTime(api, account);
    const started = await api.request<TotpEnrolment>('POST', '/api/v1/me/totp', {
      token: tokens.accessToken,
    });
    const uri = new URL(started.body.otpauthUri);

    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('secret')).toBe(started.body.secret);
    expect(uri.searchParams.get('issuer')).toBe('Tidewatch');
    const wrong = await api.request<Problem>('POST', '/api/v1/me/totp/confirm', {
      token: tokens.accessToken,
      body: { code: authenticatorCode(started.body.secret, Date.now() - 300_000) },
    });
    expect(wrong.status).toBe(400);
    const confirmed = await api.request<RecoveryCodes>('POST', '/api/v1/me/totp/confirm', {
      token: tokens.accessToken,
      body: { code: authenticatorCode(started.body.secret) },
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    expect(new Set(confirmed.body.recoveryCodes).size).toBe(10);

    const [stored] = await adminQuery<{ secret_sealed: string; hashes: number }>(
      `SELECT secret_sealed, cardinality(recovery_code_hashes) AS hashes FROM user_totp WHERE user_id = $1`,
      [account.user.id],
    );
    expect(stored?.secret_sealed.startsWith('tw1.')).toBe(true);
    expect(stored?.secret_sealed).not.toContain(started.body.secret);
    expect(stored?.hashes).toBe(10);
    const security = await api.request<AccountSecurity>('GET', '/api/v1/me/security', {
      token: tokens.accessToken,
    });
    expect(security.body).toMatchObject({ totpEnabled: true, recoveryCodesLeft: 10 });
    await mailbox.waitFor(account.email, /Two-step verification was turned on/);
  });

  it('a sealed secret copied onto another user does not open there', async () => {
    const [first, second] = [await enrolled(), await enrolled()];
    await adminQuery(
      `UPDATE user_totp SET secret_sealed = (SELECT secret_sealed FROM user_totp WHERE user_id = $1)
        WHERE user_id = $2`,
      [first.account.user.id, second.account.user.id],
    );
    const pending = await api.login(second.account.email, second.password);

    const withCopied = await secondFactor(pending.accessToken, { code: nextStepCode(first.secret) });
    expect(withCopied.status).toBe(400);
    expect((await api.request('GET', '/api/v1/alerts', { token: pending.accessToken })).status).toBe(403);
  });

  it('signs in with password and then a code; the same code never works twice', async () => {
    const user = await enrolled();
    const first = await api.login(user.account.email, user.password);
    expect(first.user.pendingStep).toBe('second_factor');
    expect((await api.request('GET', '/api/v1/alerts', { token: first.accessToken })).status).toBe(403);

    // The code that confirmed the enrolment is spent already.
    const replayed = await secondFactor(first.accessToken, { code: user.lastCode });
    expect(replayed.status).toBe(400);
    const code = nextStepCode(user.secret);
    const passed = await secondFactor(first.accessToken, { code });
    expect(passed.status).toBe(200);
    expect(passed.body.pendingStep).toBeNull();
    expect((await api.request('GET', '/api/v1/alerts', { token: first.accessToken })).status).toBe(200);

    // A second sign-in (a thief who saw the code) cannot use it again.
    const second = await api.login(user.account.email, user.password);
    const replay = await secondFactor(second.accessToken, { code });
    expect(replay.status).toBe(400);
    expect((await api.request('GET', '/api/v1/alerts', { token: second.accessToken })).status).toBe(403);
    // Nor can a socket be opened before the step is done.
    const socket = await TestSocket.refused(server.url, { token: second.accessToken });
    expect(socket.problem.type).toBe('urn:tidewatch:problem:sign_in_incomplete');
  });

  it('a recovery code works once, in any letter case, and the user is told how many are left', async () => {
    const user = await enrolled();
    const code = user.recoveryCodes[0] ?? '';
    const first = await api.login(user.account.email, user.password);
    const used = await secondFactor(first.accessToken, { recoveryCode: code.toUpperCase() });
    expect(used.status).toBe(200);

    const second = await api.login(user.account.email, user.password);
    const again = await secondFactor(second.accessToken, { recoveryCode: code });
    expect(again.status).toBe(400);
    const mail = await mailbox.waitFor(user.account.email, /recovery code was used/);
    expect(mail.text).toMatch(/Recovery codes left: 9/);
  });

  it('five wrong codes end the pending session; the user’s wrong codes are throttled across sessions', async () => {
    const user = await enrolled();
    const statuses: number[] = [];
    const tokens: string[] = [];
    for (let session = 0; session < 2; session += 1) {
      const pending = await api.login(user.account.email, user.password);
      tokens.push(pending.accessToken);
      for (let i = 0; i < 5; i += 1) {
        statuses.push((await secondFactor(pending.accessToken, { code: '000000' })).status);
      }
    }
    expect(statuses).toEqual([400, 400, 400, 400, 401, 400, 400, 400, 400, 401]);
    expect((await api.request('GET', '/api/v1/me', { token: tokens[0] ?? '' })).status).toBe(401);

    // Ten wrong codes in the window: now even the right code is answered as a wrong one.
    const third = await api.login(user.account.email, user.password);
    const right = await secondFactor(third.accessToken, {
      code: nextStepCode(user.secret),
    });
    expect(right.status).toBe(400);
    expect(right.body.detail).toBe('The request is not valid');
  });

  it('a tenant that requires it for supervisors asks them to enrol at sign-in, before anything else', async () => {
    const required = await api.request<SecuritySettings>('PATCH', '/api/v1/security-settings', {
      token: adminA,
      body: { totpRequiredRoles: ['supervisor', 'tenant_admin'] },
    });
    expect(required.body.totpRequiredRoles).toEqual(['supervisor', 'tenant_admin']);
    try {
      const account = await createUser(api, adminA, 'supervisor');
      const { tokens, password } = await signInFirstTime(api, account);
      // The temporary password was replaced on that session; now it owes the enrolment.
      const me = await api.request<Me>('GET', '/api/v1/me', { token: tokens.accessToken });
      expect(me.body.pendingStep).toBe('second_factor_enrolment');
      expect((await api.request('GET', '/api/v1/alerts', { token: tokens.accessToken })).status).toBe(403);

      const started = await api.request<TotpEnrolment>('POST', '/api/v1/me/totp', {
        token: tokens.accessToken,
      });
      const confirmed = await api.request<RecoveryCodes>('POST', '/api/v1/me/totp/confirm', {
        token: tokens.accessToken,
        body: { code: authenticatorCode(started.body.secret) },
      });
      expect(confirmed.body.user.pendingStep).toBeNull();
      expect((await api.request('GET', '/api/v1/alerts', { token: tokens.accessToken })).status).toBe(200);

      // Required: it cannot be turned off, even with the password and a code.
      const off = await api.request<Problem>('POST', '/api/v1/me/totp/disable', {
        token: tokens.accessToken,
        body: { password, code: confirmed.body.recoveryCodes[0] },
      });
      expect(off.status).toBe(403);
      // An operator of the same tenant is not asked.
      const operator = await createUser(api, adminA, 'operator');
      const { tokens: operatorTokens } = await signInFirstTime(api, operator);
      const operatorMe = await api.request<Me>('GET', '/api/v1/me', { token: operatorTokens.accessToken });
      expect(operatorMe.body.pendingStep).toBeNull();
    } finally {
      await api.request('PATCH', '/api/v1/security-settings', {
        token: adminA,
        body: { totpRequiredRoles: [] },
      });
    }
  });

  it('turns off with password and code, replaces recovery codes with the password; an admin can reset it', async () => {
    const user = await enrolled();
    const signIn = async (): Promise<TokenResponse> => {
      const pending = await api.login(user.account.email, user.password);
      const codes = user.recoveryCodes.splice(0, 1);
      await secondFactor(pending.accessToken, { recoveryCode: codes[0] });
      return pending;
    };
    const session = await signIn();
    const replaced = await api.request<RecoveryCodes>('POST', '/api/v1/me/totp/recovery-codes', {
      token: session.accessToken,
      body: { password: user.password },
    });
    expect(replaced.status).toBe(200);
    const old = await api.login(user.account.email, user.password);
    expect((await secondFactor(old.accessToken, { recoveryCode: user.recoveryCodes[0] })).status).toBe(400);
    user.recoveryCodes.splice(0, user.recoveryCodes.length, ...replaced.body.recoveryCodes);

    const withoutCode = await api.request<Problem>('POST', '/api/v1/me/totp/disable', {
      token: session.accessToken,
      body: { password: user.password, code: '123456' },
    });
    expect(withoutCode.status).toBe(400);
    const off = await api.request('POST', '/api/v1/me/totp/disable', {
      token: session.accessToken,
      body: { password: user.password, code: user.recoveryCodes[0] },
    });
    expect(off.status).toBe(204);
    expect((await api.login(user.account.email, user.password)).user.pendingStep).toBeNull();
    await mailbox.waitFor(user.account.email, /Two-step verification was turned off/);

    // An admin removes a lost authenticator: the user's sessions end and they sign in with the password alone.
    const again = await enrolled();
    const live = await api.login(again.account.email, again.password);
    const reset = await api.request('POST', `/api/v1/users/${again.account.user.id}/totp/reset`, {
      token: adminA,
    });
    expect(reset.status).toBe(204);
    expect((await api.request('GET', '/api/v1/me', { token: live.accessToken })).status).toBe(401);
    expect((await api.login(again.account.email, again.password)).user.pendingStep).toBeNull();
    await mailbox.waitFor(again.account.email, /removed the two-step verification/);
  });
});
