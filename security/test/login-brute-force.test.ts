import { createHash } from 'node:crypto';
import { DEFAULT_DEMO_PASSWORD, demoEmail, demoTenants } from '@tidewatch/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminDb } from '../src/admin-db.ts';
import { classifyAnswer } from '../src/answer-check.ts';
import { ApiClient, type ApiAnswer } from '../src/api-client.ts';
import { reportResults } from '../src/results.ts';
import { startSecurityServer, type RunningServer } from '../src/test-server.ts';

const [, tenantA] = demoTenants;
const PAIR = 3;
const ACCOUNT = 6;
const ADDRESS = 20;
const ROUNDS = 21;

const login = (api: ApiClient, email: string, password: string, headers: Record<string, string> = {}) =>
  api.call('POST', '/api/v1/auth/login', { body: { email, password }, headers });

/** What an attacker can compare between two refusals: everything but the request's own id. */
function shapeOf(answer: ApiAnswer): string {
  const { requestId: _id, instance: _instance, ...body } = answer.body as Record<string, unknown>;
  const headers = Object.keys(answer.headers)
    .filter((name) => !['date', 'x-request-id', 'content-length', 'etag'].includes(name))
    .sort()
    .map((name) => `${name}: ${name.startsWith('ratelimit') ? '*' : (answer.headers[name] ?? '')}`);
  return JSON.stringify({ status: answer.status, body, headers });
}

/** The throttle's key for an e-mail and address, computed here as the server documents it. */
const pairKey = (email: string, address: string): Buffer =>
  createHash('sha256').update(`pair\u0000${email.toLowerCase()}\u0000${address}`).digest();

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

describe('brute-force sign-in', () => {
  const figures: Record<string, unknown> = {};
  const clients: ApiClient[] = [];
  let db: AdminDb;

  /** A client connecting from its own loopback address: another address as far as the server can tell. */
  const from = (server: RunningServer, address: string): ApiClient => {
    const client = new ApiClient(server.url, { connections: 16, localAddress: address });
    clients.push(client);
    return client;
  };

  beforeAll(() => {
    db = new AdminDb();
  });
  afterAll(async () => {
    await reportResults('login-brute-force', figures);
    // Later files sign in as these users from these addresses: leave no hold behind.
    await db.query('DELETE FROM login_throttles');
    await Promise.all(clients.map((client) => client.close()));
    await db.close();
  });

  /** Refused sign-ins of an e-mail from an address since `since`, by the reason the audit log gives. */
  const refusals = async (email: string, address: string, since: Date): Promise<Record<string, number>> => {
    const rows = await db.query<{ reason: string; n: number }>(
      `SELECT details->>'reason' AS reason, count(*)::int AS n FROM audit_log
        WHERE action = 'auth.login' AND details->>'email' = $1 AND ip = $2::inet AND at >= $3
        GROUP BY 1`,
      [email, address, since],
    );
    return Object.fromEntries(rows.map((row) => [row.reason, row.n]));
  };

  describe('against the throttle', () => {
    let server: RunningServer;

    beforeAll(async () => {
      server = await startSecurityServer({
        LOGIN_THROTTLE_PAIR_FAILURES: String(PAIR),
        LOGIN_THROTTLE_ACCOUNT_FAILURES: String(ACCOUNT),
        LOGIN_THROTTLE_ADDRESS_FAILURES: String(ADDRESS),
      });
    });
    afterAll(async () => {
      await server.close();
    });

    it('counts every wrong password of a parallel burst, then holds the pair with the very answer of a wrong one', async () => {
      const email = demoEmail('operator2', tenantA);
      const attacker = from(server, '127.0.0.30');
      const home = from(server, '127.0.0.20');
      expect((await login(home, email, DEFAULT_DEMO_PASSWORD)).status).toBe(200);
      const since = new Date(Date.now() - 1000);

      const burst = await Promise.all(
        Array.from({ length: 24 }, (_v, i) => login(attacker, email, `wrong-${String(i)}`)),
      );
      const right = await login(attacker, email, DEFAULT_DEMO_PASSWORD);

      expect(burst.every((a) => classifyAnswer(a).kind === 'problem')).toBe(true);
      const shapes = new Set([...burst, right].map(shapeOf));
      expect(shapes.size).toBe(1);
      expect(right.status).toBe(401);
      const reasons = await refusals(email, '127.0.0.30', since);
      const [pair] = await db.query<{ failures: number; held_s: number }>(
        `SELECT failures, extract(epoch FROM blocked_until - now())::float8 AS held_s FROM login_throttles
          WHERE key = $1`,
        [pairKey(email, '127.0.0.30')],
      );
      // Each wrong password the server evaluated is a failure on record: parallelism must not lose any.
      expect(pair?.failures).toBe(reasons.wrong_password);
      expect(reasons.wrong_password ?? 0).toBeGreaterThanOrEqual(PAIR);
      expect((reasons.throttled ?? 0) + (reasons.wrong_password ?? 0)).toBe(25);
      expect(pair?.held_s).toBeGreaterThan(30);
      // The owner, at home, is not held by what happened elsewhere.
      expect((await login(home, email, DEFAULT_DEMO_PASSWORD)).status).toBe(200);
      figures.burst = {
        attempts: 24,
        evaluated: reasons.wrong_password,
        held: reasons.throttled,
        rightPasswordFromAttacker: right.status,
        distinctAnswers: shapes.size,
        pairHeldS: Math.round(pair?.held_s ?? 0),
      };
    });

    it('slows a distributed attack on one account down, without keeping its owner out at home', async () => {
      const email = demoEmail('maintenance', tenantA);
      const home = from(server, '127.0.0.21');
      expect((await login(home, email, DEFAULT_DEMO_PASSWORD)).status).toBe(200);

      const statuses: number[] = [];
      for (let i = 0; i < ACCOUNT + 2; i += 1) {
        statuses.push((await login(from(server, `127.0.1.${String(i + 1)}`), email, 'guess')).status);
      }
      const stranger = from(server, '127.0.2.1');
      const fromElsewhere = await login(stranger, email, DEFAULT_DEMO_PASSWORD);
      const atHome = await login(home, email, DEFAULT_DEMO_PASSWORD);

      expect(statuses.every((status) => status === 401)).toBe(true);
      expect(fromElsewhere.status).toBe(401);
      expect(atHome.status).toBe(200);
      // The slow-down passes (as time would have it): the owner's right password works from anywhere again.
      await db.query(`UPDATE login_throttles SET blocked_until = now() - interval '1 second'`);
      expect((await login(stranger, email, DEFAULT_DEMO_PASSWORD)).status).toBe(200);
      figures.distributed = {
        addresses: ACCOUNT + 2,
        rightPasswordFromNewAddress: fromElsewhere.status,
        rightPasswordFromHome: atHome.status,
      };
    });

    it('holds an address that sprays many e-mails, but not the accounts that sign in there nor other addresses', async () => {
      const sprayer = from(server, '127.0.0.50');
      const neighbour = from(server, '127.0.0.51');
      // Someone at the desk behind the same address, who signed in there before.
      const deskUser = demoEmail('admin', tenantA);
      expect((await login(sprayer, deskUser, DEFAULT_DEMO_PASSWORD)).status).toBe(200);
      const statuses: number[] = [];
      for (let i = 0; i < ADDRESS; i += 1) {
        statuses.push((await login(sprayer, `spray${String(i)}@nowhere.example`, 'Summer2026!')).status);
      }
      const viewer = demoEmail('viewer', tenantA);
      const held = await login(sprayer, viewer, DEFAULT_DEMO_PASSWORD);
      const elsewhere = await login(neighbour, viewer, DEFAULT_DEMO_PASSWORD);
      const atDesk = await login(sprayer, deskUser, DEFAULT_DEMO_PASSWORD);

      expect(statuses.every((status) => status === 401)).toBe(true);
      expect(held.status).toBe(401);
      expect(elsewhere.status).toBe(200);
      expect(atDesk.status).toBe(200);
      figures.spray = {
        emails: ADDRESS,
        rightPasswordFromSprayer: held.status,
        fromNeighbour: elsewhere.status,
        knownAccountAtSprayer: atDesk.status,
      };
    });
  });

  describe('answers alike', () => {
    let server: RunningServer;

    beforeAll(async () => {
      server = await startSecurityServer();
    });
    afterAll(async () => {
      await server.close();
    });

    it('answers an unknown e-mail, a wrong password and a held attempt alike, in about the same time', async () => {
      const held = demoEmail('operator', tenantA);
      const wrong = demoEmail('supervisor', tenantA);
      // A hold on (held, 127.0.0.61), arranged as the throttle would leave it.
      await db.query(
        `INSERT INTO login_throttles (key, failures, window_started_at, blocked_until)
         VALUES ($1, 100, now(), now() + interval '1 hour')
         ON CONFLICT (key) DO UPDATE SET blocked_until = excluded.blocked_until`,
        [pairKey(held, '127.0.0.61')],
      );
      const kinds = {
        unknown: {
          client: from(server, '127.0.0.63'),
          email: (i: number) => `ghost${String(i)}@nowhere.example`,
        },
        wrong: { client: from(server, '127.0.0.62'), email: () => wrong },
        held: { client: from(server, '127.0.0.61'), email: () => held },
      };
      const times: Record<string, number[]> = { unknown: [], wrong: [], held: [] };
      const shapes = new Set<string>();
      const entries = Object.entries(kinds);
      for (let round = 0; round < ROUNDS; round += 1) {
        // Each kind goes first in turn, so no kind always pays for what ran before it.
        const order = [...entries.slice(round % 3), ...entries.slice(0, round % 3)];
        for (const [kind, { client, email }] of order) {
          const password = kind === 'held' ? DEFAULT_DEMO_PASSWORD : `not-it-${String(round)}`;
          const started = performance.now();
          const answer = await login(client, email(round), password);
          times[kind]?.push(performance.now() - started);
          expect(answer.status).toBe(401);
          // The first round warms each path up.
          if (round > 0) shapes.add(shapeOf(answer));
        }
      }
      const medians = Object.fromEntries(
        Object.entries(times).map(([kind, samples]) => [
          kind,
          Math.round(median(samples.slice(1)) * 10) / 10,
        ]),
      );
      figures.alike = { rounds: ROUNDS, distinctAnswers: shapes.size, medianMs: medians };
      expect(shapes.size).toBe(1);
      const values = Object.values(medians);
      // Every path does the same argon2id work; what is left is a database round trip or two.
      expect(Math.max(...values) / Math.min(...values)).toBeLessThan(1.5);
    });
  });

  describe('against the rate limit per address', () => {
    let server: RunningServer;

    beforeAll(async () => {
      server = await startSecurityServer({ LOGIN_RATE_LIMIT_PER_IP: '6', LOGIN_RATE_WINDOW_S: '60' });
    });
    afterAll(async () => {
      await server.close();
    });

    it('limits one address trying many e-mails with 429, and a forged X-Forwarded-For does not make it another', async () => {
      const client = from(server, '127.0.0.70');
      const statuses: number[] = [];
      let retryAfter: string | undefined;
      for (let i = 0; i < 9; i += 1) {
        const answer = await login(client, `user${String(i)}@nowhere.example`, 'guess', {
          'x-forwarded-for': `203.0.113.${String(i)}`,
        });
        statuses.push(answer.status);
        if (answer.status === 429) retryAfter = answer.headers['retry-after'];
      }
      figures.perAddress = { statuses };
      expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    });
  });
});
