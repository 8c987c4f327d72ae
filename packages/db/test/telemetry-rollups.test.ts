import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { prepareTelemetryStage, storeTelemetry, type StagedReading } from '../src/telemetry-stage.ts';
import { connect, demoTenantIds, disconnect, type Connections, type TenantIds } from './helpers.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;

interface Bucket {
  series_id: number;
  bucket: Date;
  min: number;
  max: number;
  sum: number;
  count: number;
}

describe('telemetry rollups computed after the write', () => {
  let db: Connections;
  let tenants: TenantIds;
  let seriesA: number[];
  let seriesB: number;
  // An hour of its own, ahead of the seeded readings and of the other tests' minutes.
  let hour: number;

  beforeAll(async () => {
    db = await connect();
    tenants = await demoTenantIds(db.admin);
    const { rows } = await db.admin.query<{ id: number; tenant_id: string }>(
      `SELECT id, tenant_id FROM series WHERE tenant_id = ANY($1::uuid[]) ORDER BY id DESC`,
      [[tenants.a, tenants.b]],
    );
    seriesA = rows
      .filter((row) => row.tenant_id === tenants.a)
      .map((row) => row.id)
      .slice(0, 3);
    seriesB = rows.find((row) => row.tenant_id === tenants.b)?.id ?? 0;
    hour = Math.floor(Date.now() / HOUR) * HOUR + 3 * HOUR;
    const day = new Date(hour).toISOString().slice(0, 10);
    await db.admin.query('SELECT telemetry_ensure_partitions($1::date, $1::date)', [day]);
    await prepareTelemetryStage(db.app);
  });
  afterAll(async () => {
    await disconnect(db);
  });

  /** Stores readings as ingest does: tenant A's context, the stage, one transaction. Returns the new ones. */
  async function store(readings: StagedReading[], client: pg.Client = db.app): Promise<StagedReading[]> {
    await client.query('BEGIN');
    try {
      await client.query('SELECT app_set_context($1::uuid, NULL, NULL)', [tenants.a]);
      const fresh = await storeTelemetry(client, readings);
      await client.query('COMMIT');
      return fresh;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  }

  const rollUp = async (): Promise<number> => {
    const { rows } = await db.admin.query<{ done: number }>('SELECT telemetry_rollup_dirty(100000) AS done');
    return rows[0]?.done ?? 0;
  };

  /** What a trend reads, as tenant A: the fresh minutes or hours of some series over the test's hour. */
  async function fresh(source: 'telemetry_minutes' | 'telemetry_hours', series: number[]): Promise<Bucket[]> {
    await db.app.query('BEGIN');
    try {
      await db.app.query('SELECT app_set_context($1::uuid, NULL, NULL)', [tenants.a]);
      const { rows } = await db.app.query<Bucket>(
        `SELECT series_id, bucket, min, max, sum, count::int AS count FROM ${source}($1::int[], $2, $3)
          ORDER BY series_id, bucket`,
        [series, new Date(hour), new Date(hour + HOUR)],
      );
      return rows;
    } finally {
      await db.app.query('ROLLBACK');
    }
  }

  /** The same buckets computed straight from the raw rows, and as the rollup tables hold them. */
  async function fromRaw(unit: 'minute' | 'hour', series: number[]): Promise<Bucket[]> {
    const { rows } = await db.admin.query<Bucket>(
      `SELECT series_id, date_trunc('${unit}', time) AS bucket, min(value) AS min, max(value) AS max,
              sum(value) AS sum, count(*)::int AS count
         FROM telemetry WHERE series_id = ANY($1::int[]) AND time >= $2 AND time < $3
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [series, new Date(hour), new Date(hour + HOUR)],
    );
    return rows;
  }
  async function rollups(table: 'telemetry_1m' | 'telemetry_1h', series: number[]): Promise<Bucket[]> {
    const { rows } = await db.admin.query<Bucket>(
      `SELECT series_id, bucket, min, max, sum, count FROM ${table}
        WHERE series_id = ANY($1::int[]) AND bucket >= $2 AND bucket < $3 ORDER BY series_id, bucket`,
      [series, new Date(hour), new Date(hour + HOUR)],
    );
    return rows;
  }

  it('shows a reading just written in minute and hour trends before the job, and counts it once after', async () => {
    const series = seriesA[0] ?? 0;
    await store([
      { seriesId: series, time: hour + 1000, value: 2 },
      { seriesId: series, time: hour + 2000, value: 4 },
    ]);
    await rollUp();
    // Written after the job ran: only the raw rows know it until the next run.
    await store([{ seriesId: series, time: hour + 3000, value: 9 }]);

    const expected = [{ series_id: series, bucket: new Date(hour), min: 2, max: 9, sum: 15, count: 3 }];
    expect(await fresh('telemetry_minutes', [series])).toEqual(expected);
    expect(await fresh('telemetry_hours', [series])).toEqual(expected);

    await rollUp();

    expect(await fresh('telemetry_minutes', [series])).toEqual(expected);
    expect(await fresh('telemetry_hours', [series])).toEqual(expected);
    expect(await rollups('telemetry_1m', [series])).toEqual(expected);
    expect(await rollups('telemetry_1h', [series])).toEqual(expected);
  });

  it('stores a re-sent reading once and hands on only the new ones', async () => {
    const series = seriesA[1] ?? 0;
    const first = await store([
      { seriesId: series, time: hour + 5 * MINUTE, value: 1 },
      { seriesId: series, time: hour + 5 * MINUTE, value: 1 },
      { seriesId: series, time: hour + 6 * MINUTE, value: 2 },
    ]);
    const again = await store([
      { seriesId: series, time: hour + 5 * MINUTE, value: 100 },
      { seriesId: series, time: hour + 6 * MINUTE, value: 100 },
      { seriesId: series, time: hour + 7 * MINUTE, value: 3 },
    ]);
    const resentOnly = await store([{ seriesId: series, time: hour + 7 * MINUTE, value: 3 }]);
    await rollUp();

    expect(first.map((r) => r.value)).toEqual([1, 2]);
    expect(again).toEqual([{ seriesId: series, time: hour + 7 * MINUTE, value: 3 }]);
    expect(resentOnly).toEqual([]);
    expect(await rollups('telemetry_1m', [series])).toEqual(await fromRaw('minute', [series]));
    expect((await rollups('telemetry_1h', [series]))[0]).toMatchObject({ sum: 6, count: 3 });
  });

  it('recomputes every touched bucket from the raw rows, whatever the order of writes', async () => {
    const series = seriesA.slice(0, 3);
    // Late and out-of-order readings across minutes and series, in several transactions.
    for (let round = 0; round < 4; round += 1) {
      const readings = series.flatMap((id, i) =>
        Array.from({ length: 20 }, (_, k) => ({
          seriesId: id,
          time: hour + ((k * 7 + round * 13 + i) % 50) * MINUTE + round * 1000 + 500,
          value: (k + 1) * (round + 1) + i,
        })),
      );
      await store(readings);
      if (round === 1) await rollUp();
    }
    expect(await fresh('telemetry_minutes', series)).toEqual(await fromRaw('minute', series));
    expect(await fresh('telemetry_hours', series)).toEqual(await fromRaw('hour', series));

    await rollUp();

    expect(await rollups('telemetry_1m', series)).toEqual(await fromRaw('minute', series));
    expect(await rollups('telemetry_1h', series)).toEqual(await fromRaw('hour', series));
    expect(await fresh('telemetry_hours', series)).toEqual(await fromRaw('hour', series));
  });

  it('keeps a bucket a transaction still writing when the job runs meanwhile', async () => {
    const series = seriesA[2] ?? 0;
    const other = new pg.Client({ connectionString: inject('seededAppUrl') });
    await other.connect();
    try {
      await prepareTelemetryStage(other);
      await store([{ seriesId: series, time: hour + 55 * MINUTE, value: 1 }]);
      await other.query('BEGIN');
      await other.query('SELECT app_set_context($1::uuid, NULL, NULL)', [tenants.a]);
      await storeTelemetry(other, [{ seriesId: series, time: hour + 55 * MINUTE + 1000, value: 5 }]);
      // The job sees the first write's key and its raw row, not the second's, still uncommitted.
      await rollUp();
      await other.query('COMMIT');
      await rollUp();
    } finally {
      await other.end();
    }
    const expected = {
      series_id: series,
      bucket: new Date(hour + 55 * MINUTE),
      min: 1,
      max: 5,
      sum: 6,
      count: 2,
    };
    expect((await rollups('telemetry_1m', [series])).at(-1)).toEqual(expected);
  });

  it('rolls an open minute up once, after it closes, and reads it raw until then, never twice', async () => {
    const series = seriesA[0] ?? 0;
    const open = hour + 57 * MINUTE;
    const dirtyKeys = async (): Promise<number> => {
      const { rows } = await db.admin.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM telemetry_dirty WHERE series_id = $1 AND bucket = $2',
        [series, new Date(open)],
      );
      return rows[0]?.n ?? 0;
    };
    /** Closes the minutes that end by `at`, as the job would with the clock at `at` plus a second. */
    const closeMinutesAt = (at: number) =>
      db.admin.query('SELECT telemetry_close_minutes(make_interval(secs => $1))', [
        (Date.now() - at - 1000) / 1000,
      ]);
    const other = new pg.Client({ connectionString: inject('seededAppUrl') });
    await other.connect();
    try {
      await prepareTelemetryStage(other);
      await closeMinutesAt(open);
      await rollUp();

      // The minute is open: no dirty key, the trends read its raw rows.
      await store([
        { seriesId: series, time: open + 1000, value: 2 },
        { seriesId: series, time: open + 2000, value: 4 },
      ]);
      expect(await dirtyKeys()).toBe(0);
      expect(await fresh('telemetry_minutes', [series])).toEqual(await fromRaw('minute', [series]));
      await rollUp();
      expect((await rollups('telemetry_1m', [series])).some((b) => b.bucket.getTime() === open)).toBe(false);

      // A writer still in flight holds the minute open: the job cannot close it until that writer commits.
      await other.query('BEGIN');
      await other.query('SELECT app_set_context($1::uuid, NULL, NULL)', [tenants.a]);
      await storeTelemetry(other, [{ seriesId: series, time: open + 3000, value: 9 }]);
      await expect(closeMinutesAt(open + MINUTE)).rejects.toMatchObject({ code: '55P03' });
      await other.query('COMMIT');
      await closeMinutesAt(open + MINUTE);
      expect(await fresh('telemetry_minutes', [series])).toEqual(await fromRaw('minute', [series]));

      await rollUp();
      const minute = { series_id: series, bucket: new Date(open), min: 2, max: 9, sum: 15, count: 3 };
      expect((await rollups('telemetry_1m', [series])).at(-1)).toEqual(minute);
      expect(await fresh('telemetry_minutes', [series])).toEqual(await fromRaw('minute', [series]));
      expect(await fresh('telemetry_hours', [series])).toEqual(await fromRaw('hour', [series]));

      // A late reading of the closed minute comes back through its dirty key.
      await store([{ seriesId: series, time: open + 4000, value: 1 }]);
      expect(await dirtyKeys()).toBe(1);
      expect(await fresh('telemetry_minutes', [series])).toEqual(await fromRaw('minute', [series]));
      await rollUp();
      expect((await rollups('telemetry_1m', [series])).at(-1)).toEqual({
        ...minute,
        min: 1,
        sum: 16,
        count: 4,
      });

      // The hour is rolled up once it has ended, from its minutes.
      await closeMinutesAt(hour + HOUR);
      await rollUp();
      expect(await rollups('telemetry_1h', [series])).toEqual(await fromRaw('hour', [series]));
      expect(await fresh('telemetry_hours', [series])).toEqual(await fromRaw('hour', [series]));
    } finally {
      await other.end();
      // Back to the state of a database no job has run on, for the files after this one.
      await db.admin.query(
        "UPDATE telemetry_rollup_state SET closed_until = '-infinity', rolled_until = '-infinity'",
      );
    }
  });

  it('lets one instance at a time run the job', async () => {
    const second = new pg.Client({ connectionString: inject('seededAdminUrl') });
    await second.connect();
    try {
      await db.admin.query('BEGIN');
      await db.admin.query('SELECT telemetry_rollup_dirty(1)');
      const { rows } = await second.query<{ done: number }>('SELECT telemetry_rollup_dirty(1) AS done');
      await db.admin.query('COMMIT');
      expect(rows[0]?.done).toBe(-1);
    } finally {
      await second.end();
    }
  });

  it('rebuilds a range on demand from the raw rows', async () => {
    const series = seriesA.slice(0, 3);
    await rollUp();
    // Only this test's hour is damaged: the series are the seed's, whose other hours later files check.
    const within = 'series_id = ANY($1) AND bucket >= $2 AND bucket < $3';
    const range = [series, new Date(hour), new Date(hour + HOUR)];
    await db.admin.query(
      `UPDATE telemetry_1m SET sum = sum + 1000, count = count + 7 WHERE ${within}`,
      range,
    );
    await db.admin.query(`DELETE FROM telemetry_1h WHERE ${within}`, range);

    const { rows } = await db.admin.query<{ done: number }>(
      'SELECT telemetry_rebuild_range($1, $2, $3::int[]) AS done',
      [new Date(hour), new Date(hour + HOUR - 1), series],
    );

    expect(rows[0]?.done).toBeGreaterThan(0);
    expect(await rollups('telemetry_1m', series)).toEqual(await fromRaw('minute', series));
    expect(await rollups('telemetry_1h', series)).toEqual(await fromRaw('hour', series));
  });

  it("refuses another tenant's series in the stage and shows no other tenant's buckets", async () => {
    await expect(store([{ seriesId: seriesB, time: hour + 1000, value: 1 }])).rejects.toMatchObject({
      code: '42501',
    });
    expect(await fresh('telemetry_minutes', [seriesB])).toEqual([]);
  });

  it('refuses a value the rollups could not hold, storing nothing of the call', async () => {
    const series = seriesA[0] ?? 0;
    await expect(
      store([
        { seriesId: series, time: hour + 30 * MINUTE, value: 1 },
        { seriesId: series, time: hour + 30 * MINUTE + 1, value: Number.POSITIVE_INFINITY },
      ]),
    ).rejects.toMatchObject({ code: '22003' });
    const { rows } = await db.admin.query('SELECT 1 FROM telemetry WHERE series_id = $1 AND time = $2', [
      series,
      new Date(hour + 30 * MINUTE),
    ]);
    expect(rows).toEqual([]);
  });
});
