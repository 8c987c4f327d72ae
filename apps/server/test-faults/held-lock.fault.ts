import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_DEMO_PASSWORD, demoEmail, demoTenants } from '@tidewatch/db/testing';
import { ServerProcess } from '../src/testing/server-process.ts';
import { freePort, sleep } from './fault-tools.ts';

const [, pune] = demoTenants;
const HOLD_MS = 20_000;

interface Probe {
  readonly status: number;
  readonly ms: number;
}

async function timed(url: string, token: string): Promise<Probe> {
  const started = performance.now();
  const answer = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  await answer.arrayBuffer();
  return { status: answer.status, ms: performance.now() - started };
}

// A lock held for 20 s on the tables every request reads: answers stay bounded, and service comes back at once.
describe('a held lock and a slow query', () => {
  let server: ServerProcess;
  let token: string;

  beforeAll(async () => {
    server = new ServerProcess({
      port: await freePort(),
      mqttPort: await freePort(),
      databaseUrl: inject('appUrl'),
    });
    await server.start();
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: demoEmail('supervisor', pune), password: DEFAULT_DEMO_PASSWORD }),
    });
    token = ((await login.json()) as { accessToken: string }).accessToken;
  });
  afterAll(async () => {
    await server.stop();
  });

  it('answers /me and /alerts with 503 or 200 within 2.5 s while the lock is held, and 200 right after', async () => {
    const admin = new pg.Client({ connectionString: inject('adminUrl') });
    const app = new pg.Client({ connectionString: inject('appUrl') });
    await admin.connect();
    await app.connect();
    try {
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE users, alerts IN ACCESS EXCLUSIVE MODE');
      // A slow query of the application role: ended by the role's statement timeout.
      const slowStarted = performance.now();
      const slow = app.query('SELECT pg_sleep(20)').then(
        () => ({ code: 'none', ms: performance.now() - slowStarted }),
        (error: unknown) => ({
          code: (error as { code?: string }).code ?? '?',
          ms: performance.now() - slowStarted,
        }),
      );
      const probes: Probe[] = [];
      const heldUntil = performance.now() + HOLD_MS;
      while (performance.now() < heldUntil - 3000) {
        probes.push(
          ...(await Promise.all([
            timed(`${server.url}/api/v1/me`, token),
            timed(`${server.url}/api/v1/alerts`, token),
          ])),
        );
        await sleep(500);
      }
      await sleep(Math.max(0, heldUntil - performance.now()));
      await admin.query('ROLLBACK');
      const released = performance.now();
      let recovered = await timed(`${server.url}/api/v1/me`, token);
      while (recovered.status !== 200 && performance.now() - released < 10_000) {
        await sleep(50);
        recovered = await timed(`${server.url}/api/v1/me`, token);
      }
      const recoveryMs = performance.now() - released;
      const slowResult = await slow;
      const maxMs = Math.max(...probes.map((p) => p.ms));
      console.log(
        JSON.stringify({
          probes: probes.length,
          statuses: [...new Set(probes.map((p) => p.status))],
          maxMs: Math.round(maxMs),
          recoveryMs: Math.round(recoveryMs),
          slowQuery: { code: slowResult.code, ms: Math.round(slowResult.ms) },
        }),
      );
      expect(probes.every((p) => p.status === 503 || p.status === 200)).toBe(true);
      expect(maxMs).toBeLessThan(2500);
      expect(recovered.status).toBe(200);
      expect(recoveryMs).toBeLessThan(2000);
      expect(slowResult.code).toBe('57014');
      expect(slowResult.ms).toBeLessThan(6000);
    } finally {
      await admin.query('ROLLBACK').catch(() => undefined);
      await admin.end();
      await app.end();
    }
  });
});
