import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, demoTenantIds, disconnect, type Connections, type TenantIds } from './helpers.ts';

describe('telemetry storage', () => {
  let db: Connections;
  let tenants: TenantIds;
  let seriesA: number;
  let seriesB: number;

  beforeAll(async () => {
    db = await connect();
    tenants = await demoTenantIds(db.admin);
    const pick = async (tenantId: string): Promise<number> => {
      const { rows } = await db.admin.query<{ id: number }>(
        'SELECT min(id) AS id FROM series WHERE tenant_id = $1',
        [tenantId],
      );
      return Number(rows[0]?.id);
    };
    seriesA = await pick(tenants.a);
    seriesB = await pick(tenants.b);
  });
  afterAll(async () => {
    await disconnect(db);
  });

  /** Writes as the application does, in tenant A's context, and commits. */
  async function write(times: string[], values: number[], seriesId = seriesA): Promise<number> {
    await db.app.query('BEGIN');
    try {
      await db.app.query('SELECT app_set_context($1::uuid, NULL, $2)', [tenants.a, 'operator']);
      const { rows } = await db.app.query<{ stored: number }>(
        'SELECT telemetry_write($1::integer[], $2::timestamptz[], $3::float8[]) AS stored',
        [times.map(() => seriesId), times, values],
      );
      await db.app.query('COMMIT');
      return rows[0]?.stored ?? -1;
    } catch (error) {
      await db.app.query('ROLLBACK');
      throw error;
    }
  }

  /** What the rollup job does every few seconds. */
  async function rollUp(): Promise<void> {
    await db.admin.query('SELECT telemetry_rollup_dirty(100000)');
  }

  it('stores a re-sent reading once, and its rollups count it once', async () => {
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 5 * 60_000);
    const at = (seconds: number): string => new Date(minute.getTime() + seconds * 1000).toISOString();

    const first = await write([at(10), at(20)], [4, 8]);
    const resent = await write([at(10), at(20), at(30)], [99, 99, 6]);
    await rollUp();
    const stored = await db.admin.query<{ value: number }>(
      'SELECT value FROM telemetry WHERE series_id = $1 AND time >= $2 AND time < $3 ORDER BY time',
      [seriesA, at(0), at(60)],
    );
    const rollup = await db.admin.query(
      'SELECT min, max, count, avg, first, last FROM telemetry_1m WHERE series_id = $1 AND bucket = $2',
      [seriesA, at(0)],
    );

    expect([first, resent]).toEqual([2, 1]);
    expect(stored.rows.map((row) => row.value)).toEqual([4, 8, 6]);
    expect(rollup.rows).toEqual([{ min: 4, max: 8, count: 3, avg: 6, first: 4, last: 6 }]);
  });

  it('refuses a value that is not finite, beyond ±1e100 or non-zero below 1e-100, storing nothing of the call', async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60_000 + 9 * 60_000;
    const at = (seconds: number): string => new Date(minute + seconds * 1000).toISOString();

    // 5e-324 beside a 0 made the bucket's avg (sum / count) underflow, which PostgreSQL refuses too.
    for (const extreme of [1.7e308, -Number.MAX_VALUE, 1.01e100, Infinity, -Infinity, NaN, 5e-324, -1e-101]) {
      await expect(write([at(1), at(2)], [0, extreme])).rejects.toMatchObject({
        code: '22003',
        message: expect.stringMatching(/not zero or a finite number of magnitude 1e-100 to 1e100/) as unknown,
      });
    }
    const stored = await db.admin.query(
      'SELECT 1 FROM telemetry WHERE series_id = $1 AND time >= $2 AND time < $3',
      [seriesA, at(0), at(60)],
    );
    expect(stored.rows).toEqual([]);
  });

  it('keeps the rollups of many readings at the limit finite and equal to the raw rows', async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60_000 + 11 * 60_000;
    const times = Array.from({ length: 600 }, (_, i) => new Date(minute + i * 100).toISOString());

    // Written in two calls, so the second adds to the sums the first left.
    await write(
      times.slice(0, 300),
      times.slice(0, 300).map(() => 1e100),
    );
    await write(
      times.slice(300),
      times.slice(300).map((_, i) => (i % 2 === 0 ? 1e100 : 1e-100)),
    );
    await rollUp();
    const { rows } = await db.admin.query<{
      sum: number;
      count: number;
      avg: number;
      raw: number;
      max: number;
    }>(
      `SELECT m.sum, m.count, m.avg, m.max,
              (SELECT sum(value) FROM telemetry WHERE series_id = m.series_id AND time >= m.bucket
                  AND time < m.bucket + interval '1 minute') AS raw
         FROM telemetry_1m m WHERE m.series_id = $1 AND m.bucket = $2`,
      [seriesA, new Date(minute).toISOString()],
    );

    expect(rows).toHaveLength(1);
    expect(rows[0]?.count).toBe(600);
    expect(rows[0]?.max).toBe(1e100);
    expect(Number.isFinite(rows[0]?.sum)).toBe(true);
    const near = (actual: number | undefined, expected: number): boolean =>
      Math.abs((actual ?? 0) - expected) <= Math.abs(expected) * 1e-12;
    expect(near(rows[0]?.sum, 450e100)).toBe(true);
    expect(near(rows[0]?.sum, rows[0]?.raw ?? 0)).toBe(true);
    expect(near(rows[0]?.avg, 0.75e100)).toBe(true);
  });

  it('rejects a duplicate (series, time) even when written directly', async () => {
    const time = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 7 * 60_000).toISOString();
    await db.admin.query('INSERT INTO telemetry (series_id, time, value) VALUES ($1, $2, 1)', [
      seriesA,
      time,
    ]);

    await expect(
      db.admin.query('INSERT INTO telemetry (series_id, time, value) VALUES ($1, $2, 2)', [seriesA, time]),
    ).rejects.toThrow(/duplicate key/);
  });

  it("refuses to write into another tenant's series", async () => {
    await expect(write([new Date().toISOString()], [1], seriesB)).rejects.toThrow(/row-level security/);
  });

  it('keeps BRIN on time and daily partitions under the parent table', async () => {
    const { rows } = await db.admin.query<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes WHERE tablename = 'telemetry' AND indexdef LIKE '%brin%'`,
    );
    const partitions = await db.admin.query<{ count: string }>(
      `SELECT count(*) FROM pg_inherits WHERE inhparent = 'telemetry'::regclass`,
    );

    expect(rows).toHaveLength(1);
    expect(Number(partitions.rows[0]?.count)).toBeGreaterThanOrEqual(8);
  });
});
