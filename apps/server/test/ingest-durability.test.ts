import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';

describe('ingest while the database drops its connections', () => {
  let server: RunningServer;
  let api: Api;
  let headers: Record<string, string>;
  let seriesId: number;

  beforeAll(async () => {
    server = await startTestServer({ INGEST_DEVICE_CACHE_MS: '60000', INGEST_LINGER_MS: '5' });
    api = new Api(server.url);
    const admin = await api.tokenFor(tenantA.email('admin'));
    const created = await api.request<{ device: { id: string; series: { id: number }[] }; secret: string }>(
      'POST',
      '/api/v1/devices',
      { token: admin, body: { name: 'Durability node', metricKeys: ['flow_lpm'] } },
    );
    headers = {
      authorization: `Basic ${Buffer.from(`${created.body.device.id}:${created.body.secret}`).toString('base64')}`,
    };
    seriesId = created.body.device.series[0]?.id ?? 0;
  });
  afterAll(async () => {
    await server.close();
  });

  it('stores every acknowledged reading once the connections are back', async () => {
    const database = new URL(inject('appUrl')).pathname.slice(1);
    const start = Date.now() - 600_000;
    const total = 400;
    const acknowledged: number[] = [];
    let retried = 0;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < total; i += 1) {
      sends.push(
        (async () => {
          // Like a device: send again until acknowledged, waiting as the server asks.
          for (let attempt = 1; attempt <= 10; attempt += 1) {
            const response = await api.request('POST', '/api/v1/ingest', {
              headers,
              body: { ts: start + i * 1000, values: { flow_lpm: i } },
            });
            if (response.status === 202) {
              acknowledged.push(i);
              return;
            }
            expect(response.status, JSON.stringify(response.body)).toBe(503);
            retried += 1;
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        })(),
      );
      if (i % 100 === 50) {
        // Kill every server connection mid-stream, as a failover or an administrator would.
        await adminQuery(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'tidewatch_app' AND datname = $1`,
          [database],
        );
      }
      if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(sends);

    const rows = await adminQuery<{ value: number }>(
      'SELECT value FROM telemetry WHERE series_id = $1 ORDER BY value',
      [seriesId],
    );
    const failures = (await api.request<string>('GET', '/metrics')).body.match(
      /ingest_write_failures_total (\d+)/,
    )?.[1];

    expect(acknowledged.length).toBe(total);
    expect(rows.map((row) => row.value)).toEqual(acknowledged.sort((a, b) => a - b));
    // The terminations were felt: batches retried inside the server, or requests answered 503 and sent again.
    expect(Number(failures) + retried).toBeGreaterThan(0);
  });
});
