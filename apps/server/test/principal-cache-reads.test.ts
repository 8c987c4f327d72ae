import { decodeJwt } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PrincipalCache } from '../src/modules/auth/principal-cache.ts';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';

// A cached principal expires every few seconds and wants the session's activity written once a minute; at a
// thousand requests a second many arrive while it is being read again. Counted here against the real database.
describe('principal reads under a burst of one session’s requests', () => {
  let server: RunningServer;
  let pool: pg.Pool;
  let reads = 0;
  let userId: string;
  let sessionId: string;

  beforeAll(async () => {
    server = await startTestServer();
    const token = await new Api(server.url).tokenFor(tenantA.email('operator'));
    const claims = decodeJwt(token);
    userId = String(claims.sub);
    sessionId = String(claims.sid);
    pool = new pg.Pool({ connectionString: inject('appUrl'), max: 10 });
    // Counts the principal reads (readPrincipal's one query) and runs them as they are.
    const query = pool.query.bind(pool) as (config: pg.QueryConfig) => Promise<pg.QueryResult>;
    pool.query = ((config: pg.QueryConfig) => {
      reads += 1;
      return query(config);
    }) as typeof pool.query;
  });
  afterAll(async () => {
    await pool.end();
    await server.close();
  });

  const activityDue = () =>
    adminQuery(`UPDATE sessions SET last_active_at = now() - interval '2 minutes' WHERE id = $1`, [
      sessionId,
    ]);

  it('while the cache is trusted, share one read that writes the activity once', async () => {
    const cache = new PrincipalCache(pool, { ttlMs: 5000, maxEntries: 100 });
    cache.setAvailable(true);
    await activityDue();
    reads = 0;
    const principals = await Promise.all(
      Array.from({ length: 40 }, () => cache.load(userId, sessionId, true)),
    );
    expect(reads).toBe(1);
    expect(new Set(principals.map((p) => p?.role))).toEqual(new Set(['operator']));
    const [session] = await adminQuery<{ idle_s: number }>(
      `SELECT extract(epoch FROM now() - last_active_at)::float8 AS idle_s FROM sessions WHERE id = $1`,
      [sessionId],
    );
    expect(session?.idle_s).toBeLessThan(30);
    // Cached now: no read at all.
    await Promise.all(Array.from({ length: 10 }, () => cache.load(userId, sessionId, true)));
    expect(reads).toBe(1);
  });

  it('reads for each request that asks for a fresh principal, or while the cache is not trusted', async () => {
    const cache = new PrincipalCache(pool, { ttlMs: 5000, maxEntries: 100 });
    cache.setAvailable(true);
    reads = 0;
    await Promise.all(Array.from({ length: 3 }, () => cache.load(userId, sessionId, false, true)));
    expect(reads).toBe(3);
    cache.setAvailable(false);
    reads = 0;
    await Promise.all(Array.from({ length: 3 }, () => cache.load(userId, sessionId, false)));
    expect(reads).toBe(3);
  });
});
