import type { IngestResult, Problem } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredReading } from '../src/events/event-bus.ts';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';

describe('HTTP ingest', () => {
  let server: RunningServer;
  let api: Api;
  let deviceId: string;
  let secret: string;
  let levelSeries: number;
  const events: { deviceId: string; readings: readonly StoredReading[] }[] = [];

  const basic = (id: string, key: string): Record<string, string> => ({
    authorization: `Basic ${Buffer.from(`${id}:${key}`).toString('base64')}`,
  });
  const send = (body: unknown, headers = basic(deviceId, secret)) =>
    api.request<IngestResult & Problem>('POST', '/api/v1/ingest', { body, headers });
  const stored = async (from: string): Promise<number[]> =>
    (
      await adminQuery<{ value: number }>(
        `SELECT value FROM telemetry WHERE series_id = $1 AND time >= $2 ORDER BY time`,
        [levelSeries, from],
      )
    ).map((row) => row.value);

  beforeAll(async () => {
    server = await startTestServer({ INGEST_DEVICE_CACHE_MS: '0' });
    server.bus.on('telemetry.stored', (event) => events.push(event));
    api = new Api(server.url);
    const admin = await api.tokenFor(tenantA.email('admin'));
    const created = await api.request<{
      device: { id: string; series: { id: number; metricKey: string }[] };
      secret: string;
    }>('POST', '/api/v1/devices', {
      token: admin,
      body: { name: 'Ingest test node', metricKeys: ['level_cm', 'pump_state'] },
    });
    deviceId = created.body.device.id;
    secret = created.body.secret;
    levelSeries = created.body.device.series.find((s) => s.metricKey === 'level_cm')?.id ?? 0;
  });
  afterAll(async () => {
    await server.close();
  });

  it('stores readings once durable and answers 202, updating the device state and telling the event bus', async () => {
    const ts = new Date(Date.now() - 60_000).toISOString();

    const response = await send({ ts, values: { level_cm: 182.4, pump_state: true } });

    expect(response.status).toBe(202);
    expect(response.body).toEqual({ accepted: 2, rejected: [] });
    expect(await stored(ts)).toEqual([182.4]);
    const [state] = await adminQuery<{ connectivity: string; last_reading_at: Date }>(
      'SELECT connectivity, last_reading_at FROM device_states WHERE device_id = $1',
      [deviceId],
    );
    expect(state?.connectivity).toBe('online');
    expect(state?.last_reading_at.toISOString()).toBe(ts);
    expect(events.some((e) => e.deviceId === deviceId && e.readings.some((r) => r.value === 182.4))).toBe(
      true,
    );
  });

  it('stores a re-sent reading once, and accepts batches of messages', async () => {
    const base = Date.now() - 3_600_000;
    const batch = [0, 1, 2].map((i) => ({ ts: base + i * 1000, values: { level_cm: 100 + i } }));

    await send(batch);
    const again = await send(batch);

    expect(again.body.accepted).toBe(3);
    expect(await stored(new Date(base).toISOString())).toEqual(expect.arrayContaining([100, 101, 102]));
    const [count] = await adminQuery<{ count: string }>(
      'SELECT count(*) FROM telemetry WHERE series_id = $1 AND time >= $2 AND time < $3',
      [levelSeries, new Date(base).toISOString(), new Date(base + 3000).toISOString()],
    );
    expect(Number(count?.count)).toBe(3);
  });

  it('refuses a wrong secret, an unknown device and a disabled one, storing nothing', async () => {
    const ts = new Date(Date.now() - 7_000).toISOString();

    const wrong = await send({ ts, values: { level_cm: 1 } }, basic(deviceId, 'not-the-secret'));
    const unknown = await send(
      { ts, values: { level_cm: 1 } },
      basic('00000000-0000-4000-8000-000000000000', secret),
    );
    const none = await api.request('POST', '/api/v1/ingest', { body: { ts, values: { level_cm: 1 } } });
    await adminQuery('UPDATE devices SET disabled_at = now() WHERE id = $1', [deviceId]);
    const disabled = await send({ ts, values: { level_cm: 1 } });
    await adminQuery('UPDATE devices SET disabled_at = NULL WHERE id = $1', [deviceId]);

    expect([wrong.status, unknown.status, none.status, disabled.status]).toEqual([401, 401, 401, 401]);
    expect(await stored(ts)).toEqual([]);
  });

  it('handles bad payloads as documented: refused whole, or rejected value by value, and counted', async () => {
    const now = Date.now();
    const malformed = await api.request<Problem>('POST', '/api/v1/ingest', {
      rawBody: '{"values": {"level_cm": 1',
      headers: basic(deviceId, secret),
    });
    const asString = await send({ values: { level_cm: '12.5' } });
    const notANumber = await send({ values: { level_cm: 'NaN' } });
    const huge = await api.request('POST', '/api/v1/ingest', {
      rawBody: JSON.stringify({ values: { level_cm: 1 }, pad: 'x'.repeat(10 * 1024 * 1024) }),
      headers: basic(deviceId, secret),
    });
    const mixed = await send([
      { ts: now + 3_600_000, values: { level_cm: 1 } },
      { ts: 0, values: { level_cm: 1 } },
      { ts: now - 5000, values: { level_cm: 99999, humidity: 3, pump_state: 0 } },
    ]);

    expect([malformed.status, asString.status, notANumber.status, huge.status]).toEqual([400, 400, 400, 413]);
    expect(mixed.status).toBe(202);
    expect(mixed.body).toEqual({
      accepted: 1,
      rejected: [
        { message: 0, metric: 'level_cm', reason: 'too_far_in_future' },
        { message: 1, metric: 'level_cm', reason: 'too_old' },
        { message: 2, metric: 'level_cm', reason: 'out_of_range' },
        { message: 2, metric: 'humidity', reason: 'unknown_metric' },
      ],
    });
    const metrics = (await api.request<string>('GET', '/metrics')).body;
    for (const outcome of ['too_far_in_future', 'too_old', 'out_of_range', 'unknown_metric', 'accepted']) {
      expect(metrics).toMatch(
        new RegExp(`ingest_readings_total\\{transport="http",outcome="${outcome}"\\} [1-9]`),
      );
    }
    expect(metrics).toMatch(/ingest_messages_refused_total\{transport="http",reason="auth"\} [1-9]/);
    expect((await api.request('GET', '/health/live')).status).toBe(200);
  });

  it('applies the calibration valid at the reading’s time', async () => {
    const ts = new Date(Date.now() - 120_000).toISOString();
    await adminQuery(
      `INSERT INTO calibrations (tenant_id, series_id, scale, "offset", valid_during)
       SELECT tenant_id, id, 2, 10, tstzrange(now() - interval '1 hour', NULL) FROM series WHERE id = $1`,
      [levelSeries],
    );

    await send({ ts, values: { level_cm: 50 } });
    await adminQuery('DELETE FROM calibrations WHERE series_id = $1', [levelSeries]);
    const [row] = await adminQuery<{ value: number }>(
      'SELECT value FROM telemetry WHERE series_id = $1 AND time = $2',
      [levelSeries, ts],
    );

    expect(row?.value).toBe(110);
  });
});
