import type { TelemetryResponse } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseResolution } from '../src/modules/telemetry/trend-query.ts';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantB, tenantId } from './harness.ts';

describe('trend queries', () => {
  let server: RunningServer;
  let api: Api;
  let token: string;
  let series: { id: number; first: Date; last: Date };

  beforeAll(async () => {
    // The rollup job runs only when a test asks: what a trend shows must not depend on it.
    server = await startTestServer({ TELEMETRY_ROLLUP_INTERVAL_MS: '60000' });
    api = new Api(server.url);
    token = await api.tokenFor(tenantB.email('operator'));
    const tenant = await tenantId(tenantB.slug);
    // A pressure series of the Hyderabad burst: its dip must survive downsampling.
    const [row] = await adminQuery<{ id: number; first: Date; last: Date }>(
      `SELECT s.id, min(t.time) AS first, max(t.time) AS last FROM series s
         JOIN metrics m ON m.id = s.metric_id JOIN telemetry t ON t.series_id = s.id
        WHERE s.tenant_id = $1 AND m.key = 'pressure_bar'
        GROUP BY s.id ORDER BY min(t.value) LIMIT 1`,
      [tenant],
    );
    if (!row) throw new Error('no seeded pressure series');
    series = row;
  });
  afterAll(async () => {
    await server.close();
  });

  const trend = (query: string) =>
    api.request<TelemetryResponse>('GET', `/api/v1/telemetry?${query}`, { token });

  it('chooses raw readings, minute or hour rollups by the bucket a range needs', () => {
    const day = 86_400_000;
    expect(chooseResolution(0, 3_600_000, 1000).resolution).toBe('raw');
    expect(chooseResolution(0, 7 * day, 1000)).toEqual({ resolution: '1m', bucketMs: 11 * 60_000 });
    expect(chooseResolution(0, 365 * day, 1000)).toEqual({ resolution: '1h', bucketMs: 9 * 3_600_000 });
  });

  it('keeps a week under maxPoints while its minimum and maximum survive', async () => {
    const from = series.first.toISOString();
    const to = new Date(series.last.getTime() + 1000).toISOString();
    const [raw] = await adminQuery<{ lo: number; hi: number; n: string }>(
      'SELECT min(value) AS lo, max(value) AS hi, count(*) AS n FROM telemetry WHERE series_id = $1',
      [series.id],
    );

    const response = await trend(`series=${String(series.id)}&from=${from}&to=${to}&maxPoints=300`);

    const points = response.body.series[0]?.points ?? [];
    expect(response.status).toBe(200);
    expect(response.body.series[0]?.resolution).toBe('1m');
    expect(points.length).toBeLessThanOrEqual(300);
    expect(Number(raw?.n)).toBeGreaterThan(2000);
    expect(Math.min(...points.map((p) => p[2]))).toBe(raw?.lo);
    expect(Math.max(...points.map((p) => p[3]))).toBe(raw?.hi);
    expect(points.reduce((sum, p) => sum + p[4], 0)).toBe(Number(raw?.n));
  });

  it('shows a reading written a second ago in a week of rollups, and counts it once after the rollup job', async () => {
    const [written] = await adminQuery<{ time: Date }>(
      `SELECT time FROM telemetry_store(ARRAY[$1]::int[], ARRAY[now() - interval '1 second'], ARRAY[987.5::float8])`,
      [series.id],
    );
    const to = new Date(Date.now() + 60_000).toISOString();
    const from = new Date(Date.now() - 7 * 86_400_000).toISOString();
    const week = async (): Promise<{ hi: number; n: number }> => {
      const response = await trend(`series=${String(series.id)}&from=${from}&to=${to}&maxPoints=300`);
      expect(response.body.series[0]?.resolution).toBe('1m');
      const points = response.body.series[0]?.points ?? [];
      return { hi: Math.max(...points.map((p) => p[3])), n: points.reduce((sum, p) => sum + p[4], 0) };
    };
    const [raw] = await adminQuery<{ n: string }>(
      'SELECT count(*) AS n FROM telemetry WHERE series_id = $1 AND time >= $2 AND time < $3',
      [series.id, from, to],
    );

    const before = await week();
    await adminQuery('SELECT telemetry_rollup_dirty(1000000)');
    const after = await week();

    expect(written).toBeDefined();
    expect(before).toEqual({ hi: 987.5, n: Number(raw?.n) });
    expect(after).toEqual(before);
  });

  it('answers a short range from raw readings', async () => {
    const to = series.last.toISOString();
    const from = new Date(series.last.getTime() - 3_600_000).toISOString();

    const response = await trend(`series=${String(series.id)}&from=${from}&to=${to}`);

    expect(response.body.series[0]?.resolution).toBe('raw');
    expect(response.body.series[0]?.points.length).toBe(12);
    expect(response.body.series[0]?.points.every((p) => p[2] === p[3])).toBe(true);
  });

  it('exports the same numbers as CSV', async () => {
    const from = new Date(series.last.getTime() - 6 * 3_600_000).toISOString();
    const to = series.last.toISOString();
    const json = await trend(`series=${String(series.id)}&from=${from}&to=${to}&maxPoints=50`);

    const csv = await api.request<string>(
      'GET',
      `/api/v1/telemetry?series=${String(series.id)}&from=${from}&to=${to}&maxPoints=50&format=csv`,
      { token },
    );

    const lines = csv.body.trim().split('\n');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(lines[0]).toBe('time,series_id,metric,unit,mean,min,max,count');
    expect(lines.length - 1).toBe(json.body.series[0]?.points.length);
    expect(lines[1]?.split(',')[4]).toBe(String(json.body.series[0]?.points[0]?.[1]));
  });

  it("answers 404 for another tenant's series and refuses a backwards range", async () => {
    const other = await api.request(
      'GET',
      `/api/v1/telemetry?series=${String(series.id)}&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z`,
      {
        token: await api.tokenFor(tenantA.email('operator')),
      },
    );
    const backwards = await trend(
      `series=${String(series.id)}&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`,
    );

    expect(other.status).toBe(404);
    expect(backwards.status).toBe(400);
  });
});
