import { DEFAULT_DEMO_PASSWORD, demoEmail, demoTenants } from '@tidewatch/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminDb } from '../src/admin-db.ts';
import { classifyAnswer } from '../src/answer-check.ts';
import { ApiClient, type ApiAnswer } from '../src/api-client.ts';
import { reportResults } from '../src/results.ts';
import { startSecurityServer, type RunningServer } from '../src/test-server.ts';

const [, tenantA] = demoTenants;
const THRESHOLD = 3;

const login = (
  api: ApiClient,
  email: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<ApiAnswer> => api.call('POST', '/api/v1/auth/login', { body: { email, password }, headers });

describe('brute-force sign-in', () => {
  const figures: Record<string, unknown> = {};

  afterAll(async () => {
    await reportResults('login-brute-force', figures);
  });

  describe('against the lockout', () => {
    let server: RunningServer;
    let api: ApiClient;
    let db: AdminDb;

    beforeAll(async () => {
      server = await startSecurityServer({ LOGIN_LOCKOUT_THRESHOLD: String(THRESHOLD) });
      api = new ApiClient(server.url, { connections: 16 });
      db = new AdminDb();
    });
    afterAll(async () => {
      // Later files sign in as these users: leave them as the seed made them.
      await db.query(
        'UPDATE users SET failed_login_count = 0, locked_until = NULL WHERE email = ANY($1::text[])',
        [[demoEmail('operator2', tenantA), demoEmail('maintenance', tenantA)]],
      );
      await api.close();
      await db.close();
      await server.close();
    });

    const account = (email: string) =>
      db.one<{ failed_login_count: number; locked_s: number | null }>(
        `SELECT failed_login_count, extract(epoch FROM locked_until - now())::float8 AS locked_s FROM users WHERE email = $1`,
        [email],
      );

    it('counts every one of a parallel burst of wrong passwords and then refuses the right one too', async () => {
      const email = demoEmail('operator2', tenantA);

      const burst = await Promise.all(
        Array.from({ length: 24 }, (_v, i) => login(api, email, `wrong-${String(i)}`)),
      );

      const statuses = burst.map((a) => a.status);
      expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
      expect(
        burst.every(
          (a) => classifyAnswer({ status: a.status, headers: a.headers, text: a.text }).kind === 'problem',
        ),
      ).toBe(true);
      const { failed_login_count: counted } = await account(email);
      figures.burst = {
        attempts: 24,
        refusedAsWrong: statuses.filter((s) => s === 401).length,
        locked: statuses.filter((s) => s === 429).length,
        counted,
      };
      // Each wrong password the server checked is a failure on record: parallelism must not lose any.
      expect(counted).toBe(statuses.filter((s) => s === 401).length);
      const right = await login(api, email, DEFAULT_DEMO_PASSWORD);
      expect(right.status).toBe(429);
      expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('opens again once the lockout has passed, and locks for twice as long after the next failure', async () => {
      const email = demoEmail('maintenance', tenantA);
      for (let i = 0; i < THRESHOLD; i += 1) expect((await login(api, email, 'wrong')).status).toBe(401);
      const locked = await login(api, email, DEFAULT_DEMO_PASSWORD);
      expect(locked.status).toBe(429);
      const first = await account(email);
      expect(first.locked_s).toBeGreaterThan(30);

      // The clock moves on: the lock ends a second ago.
      await db.query(`UPDATE users SET locked_until = now() - interval '1 second' WHERE email = $1`, [email]);
      expect((await login(api, email, 'wrong-again')).status).toBe(401);
      const second = await account(email);
      expect(second.locked_s).toBeGreaterThan(90);
      expect((await login(api, email, DEFAULT_DEMO_PASSWORD)).status).toBe(429);

      await db.query(`UPDATE users SET locked_until = now() - interval '1 second' WHERE email = $1`, [email]);
      expect((await login(api, email, DEFAULT_DEMO_PASSWORD)).status).toBe(200);
      expect((await account(email)).failed_login_count).toBe(0);
      figures.backoff = {
        firstLockS: Math.round(first.locked_s ?? 0),
        secondLockS: Math.round(second.locked_s ?? 0),
      };
    });
  });

  describe('against the rate limits', () => {
    let server: RunningServer;

    beforeAll(async () => {
      server = await startSecurityServer({
        LOGIN_RATE_LIMIT_PER_IP: '6',
        LOGIN_RATE_LIMIT_PER_EMAIL: '4',
        LOGIN_RATE_WINDOW_S: '60',
        LOGIN_LOCKOUT_THRESHOLD: '100',
      });
    });
    afterAll(async () => {
      await server.close();
    });

    /** A client connecting from its own loopback address: another IP as far as the server can tell. */
    const fromAddress = (address: string): ApiClient =>
      new ApiClient(server.url, { connections: 1, localAddress: address });

    it('limits one e-mail tried from many IPs, in any letter case, with 429 and Retry-After', async () => {
      const statuses: number[] = [];
      let retryAfter: string | undefined;
      for (let i = 0; i < 8; i += 1) {
        const client = fromAddress(`127.0.0.${String(10 + i)}`);
        const email = i % 2 === 0 ? 'victim@nowhere.example' : 'VICTIM@Nowhere.Example';
        const answer = await login(client, email, `guess-${String(i)}`);
        statuses.push(answer.status);
        if (answer.status === 429) retryAfter = answer.headers['retry-after'];
        await client.close();
      }
      figures.perEmail = { statuses };
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    });

    it('limits one IP trying many e-mails, and a forged X-Forwarded-For does not make it another IP', async () => {
      const client = fromAddress('127.0.0.50');
      const statuses: number[] = [];
      let retryAfter: string | undefined;
      for (let i = 0; i < 9; i += 1) {
        const answer = await login(client, `user${String(i)}@nowhere.example`, 'guess', {
          'x-forwarded-for': `203.0.113.${String(i)}`,
        });
        statuses.push(answer.status);
        if (answer.status === 429) retryAfter = answer.headers['retry-after'];
      }
      await client.close();
      figures.perIp = { statuses };
      expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    });
  });
});
