import { Writable } from 'node:stream';
import pg from 'pg';
import pino from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { warmMapConnections } from '../src/modules/spatial/map-warm-up.ts';
import { freePort } from '../src/testing/ports.ts';

interface Line {
  readonly level: number;
  readonly msg: string;
  readonly failed?: number;
}

function capturedLog() {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Line);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

const pools: pg.Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end()));
});

function appPool(max: number, connectionString = inject('appUrl')): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 2000 });
  pools.push(pool);
  return pool;
}

/** Each pooled connection at once (so each is a different one): its backend and the statements it has parsed. */
async function backends(pool: pg.Pool, count: number) {
  const clients = await Promise.all(Array.from({ length: count }, () => pool.connect()));
  try {
    return await Promise.all(
      clients.map(async (client) => {
        const { rows } = await client.query<{ pid: number; statements: string[] }>(
          `SELECT pg_backend_pid() AS pid,
                  coalesce(array_agg(name ORDER BY name) FILTER (WHERE name IS NOT NULL), '{}') AS statements
             FROM (SELECT 1) one LEFT JOIN pg_prepared_statements ON true`,
        );
        return rows[0] ?? { pid: 0, statements: [] };
      }),
    );
  } finally {
    for (const client of clients) client.release();
  }
}

// The first operator to open the map after a start must not wait for six new backends to load PostGIS and the
// tiles' catalog: the server opens them beforehand, as no tenant.
describe('map connections warmed at start', () => {
  it('opens six connections that have each run every statement of a tile, and keeps them in the pool', async () => {
    const pool = appPool(12);
    const { log, lines } = capturedLog();
    await warmMapConnections(pool, log);
    expect(pool.totalCount).toBe(6);
    expect(pool.idleCount).toBe(6);
    const warmed = await backends(pool, 6);
    expect(new Set(warmed.map((backend) => backend.pid)).size).toBe(6);
    for (const backend of warmed) {
      expect(backend.statements).toEqual(
        expect.arrayContaining([
          'map-tile-clustered',
          'map-tile-network',
          'map-tile-no-jit',
          'map-tile-points',
          'map-version',
        ]),
      );
    }
    expect(lines.filter((line) => line.level >= 40)).toEqual([]);
  });

  it('never takes more connections than the pool may hold', async () => {
    const pool = appPool(2);
    const { log } = capturedLog();
    await warmMapConnections(pool, log);
    expect(pool.totalCount).toBe(2);
  });

  it('logs a database it cannot reach and carries on: the connections warm on their first tiles', async () => {
    const unreachable = `postgresql://tidewatch@127.0.0.1:${String(await freePort())}/nowhere`;
    const pool = appPool(6, unreachable);
    const { log, lines } = capturedLog();
    await expect(warmMapConnections(pool, log)).resolves.toBeUndefined();
    expect(pool.totalCount).toBe(0);
    const warning = lines.find((line) => line.level === 40);
    expect(warning?.msg).toMatch(/not warmed/);
    expect(warning?.failed).toBe(6);
  });
});
