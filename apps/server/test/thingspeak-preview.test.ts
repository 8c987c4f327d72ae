import type { Problem, ThingSpeakPreview } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKeyContext } from '../src/modules/secrets/stored-secrets.ts';
import type { RunningServer } from '../src/server.ts';
import { FakeThingSpeak, fixtureEntries, type FeedEntryJson } from './fake-thingspeak.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantB } from './harness.ts';

const FIELDS = [
  { field: 1, metricKey: 'level_cm', scale: 0.5, offset: 10 },
  { field: 2, metricKey: 'temperature_c', scale: 1, offset: 0 },
  { field: 4, metricKey: 'battery_v', scale: 1, offset: -0.1 },
];

/** A channel number per test, far from the seeded ones. */
let nextChannel = 7_100_000;
const newChannel = () => (nextChannel += 1);

describe('ThingSpeak mapping preview against a live read', () => {
  let fake: FakeThingSpeak;
  let server: RunningServer;
  let api: Api;
  let admin: string;

  beforeAll(async () => {
    fake = await FakeThingSpeak.start();
    server = await startTestServer({
      THINGSPEAK_ENABLED: 'true',
      THINGSPEAK_URL: fake.url,
      THINGSPEAK_TIMEOUT_MS: '700',
      // Polling is not what is tested here: look for due channels rarely.
      THINGSPEAK_TICK_MS: '600000',
      INGEST_DEVICE_CACHE_MS: '0',
    });
    api = new Api(server.url);
    admin = await api.tokenFor(tenantA.email('admin'));
  });
  afterAll(async () => {
    await server.close();
    await fake.close();
  });

  async function thingSpeakDevice(metricKeys = ['level_cm']): Promise<{ id: string; seriesIds: number[] }> {
    const response = await api.request<{ device: { id: string; series: { id: number }[] } }>(
      'POST',
      '/api/v1/devices',
      {
        token: admin,
        body: { name: `Preview channel ${String(Date.now())}`, transport: 'thingspeak', metricKeys },
      },
    );
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return { id: response.body.device.id, seriesIds: response.body.device.series.map((s) => s.id) };
  }

  const preview = <T = ThingSpeakPreview>(deviceId: string, body: Record<string, unknown>, token = admin) =>
    api.request<T>('POST', `/api/v1/devices/${deviceId}/thingspeak/preview`, { token, body });

  it('maps the newest entries of the fixture with scale and offset, and stores nothing', async () => {
    const device = await thingSpeakDevice();
    const channelId = newChannel();
    const entries = fixtureEntries(Date.now() - 60_000);
    fake.setFeed(channelId, entries);

    const response = await preview(device.id, { channelId, readApiKey: null, fields: FIELDS, results: 5 });

    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const newest = entries.slice(-5);
    expect(response.body.channelId).toBe(channelId);
    expect(response.body.entries.map((e) => e.entryId)).toEqual(newest.map((e) => e.entry_id));
    expect(response.body.entries.map((e) => e.createdAt)).toEqual(
      newest.map((e) => new Date(e.created_at).toISOString()),
    );
    const last = response.body.entries.at(-1);
    const lastRaw = newest.at(-1);
    expect(last?.fields).toMatchObject({ '1': lastRaw?.field1, '3': lastRaw?.field3, '5': null });
    const [level, temperature, battery] = last?.values ?? [];
    expect(level).toMatchObject({ field: 1, metricKey: 'level_cm', raw: lastRaw?.field1, rejected: null });
    expect(level?.mapped).toBeCloseTo(Number(lastRaw?.field1) * 0.5 + 10, 9);
    expect(level?.stored).toBeCloseTo(Number(lastRaw?.field1) * 0.5 + 10, 9);
    // Not a series of the device yet: saving the binding would add it, so the preview maps it too.
    expect(temperature).toMatchObject({ metricKey: 'temperature_c', mapped: Number(lastRaw?.field2) });
    expect(battery?.stored).toBeCloseTo(Number(lastRaw?.field4) - 0.1, 9);
    expect(fake.requestsFor(channelId)).toHaveLength(1);
    expect(fake.requestsFor(channelId)[0]?.query.get('results')).toBe('5');

    const stored = await adminQuery('SELECT 1 FROM telemetry WHERE series_id = ANY($1::integer[])', [
      device.seriesIds,
    ]);
    const series = await adminQuery('SELECT id FROM series WHERE device_id = $1', [device.id]);
    const binding = await api.request('GET', `/api/v1/devices/${device.id}/thingspeak`, { token: admin });
    expect(stored).toHaveLength(0);
    expect(series).toHaveLength(1);
    expect(binding.status).toBe(404);
  });

  it('flags what the poller and ingest would skip: missing, junk, out of range, too old', async () => {
    const device = await thingSpeakDevice();
    const channelId = newChannel();
    const now = Date.now();
    const entry = (id: number, agoMs: number, field1: string | null): FeedEntryJson => ({
      entry_id: id,
      created_at: new Date(now - agoMs).toISOString().replace(/\.\d+Z$/, 'Z'),
      field1,
    });
    fake.setFeed(channelId, [
      entry(1, 10 * 86_400_000, '100'),
      entry(2, 180_000, null),
      entry(3, 120_000, '12 cm'),
      entry(4, 60_000, '5000'),
      entry(5, 0, ' 42 '),
    ]);

    const response = await preview(device.id, {
      channelId,
      readApiKey: null,
      fields: [{ field: 1, metricKey: 'level_cm', scale: 1, offset: 0 }],
    });

    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.entries.map((e) => e.values[0])).toEqual([
      { field: 1, metricKey: 'level_cm', raw: '100', mapped: 100, stored: null, rejected: 'too_old' },
      { field: 1, metricKey: 'level_cm', raw: null, mapped: null, stored: null, rejected: 'missing' },
      { field: 1, metricKey: 'level_cm', raw: '12 cm', mapped: null, stored: null, rejected: 'not_a_number' },
      { field: 1, metricKey: 'level_cm', raw: '5000', mapped: 5000, stored: null, rejected: 'out_of_range' },
      { field: 1, metricKey: 'level_cm', raw: ' 42 ', mapped: 42, stored: 42, rejected: null },
    ]);
  });

  it('reads with the stored key of the bound channel when none is given, and with none when told', async () => {
    const device = await thingSpeakDevice();
    const channelId = newChannel();
    fake.setFeed(channelId, fixtureEntries(Date.now()));
    const bound = await api.request('PUT', `/api/v1/devices/${device.id}/thingspeak`, {
      token: admin,
      body: { channelId, readApiKey: 'PREVIEWKEY123456', enabled: false, fields: FIELDS.slice(0, 1) },
    });
    expect(bound.status).toBe(200);

    await preview(device.id, { channelId, fields: FIELDS });
    await preview(device.id, { channelId, readApiKey: null, fields: FIELDS });
    await preview(device.id, { channelId, readApiKey: 'OTHERKEY12345678', fields: FIELDS });
    const otherChannel = newChannel();
    await preview(device.id, { channelId: otherChannel, fields: FIELDS });

    expect(fake.requestsFor(channelId).map((r) => r.query.get('api_key'))).toEqual([
      'PREVIEWKEY123456',
      null,
      'OTHERKEY12345678',
    ]);
    expect(fake.requestsFor(otherChannel).map((r) => r.query.get('api_key'))).toEqual([null]);
  });

  it('keeps the stored read key when a save leaves it out, and removes it when told or the channel changes', async () => {
    const device = await thingSpeakDevice();
    const channelId = newChannel();
    const save = (body: Record<string, unknown>) =>
      api.request<{ hasReadKey: boolean }>('PUT', `/api/v1/devices/${device.id}/thingspeak`, {
        token: admin,
        body: { enabled: false, fields: FIELDS.slice(0, 1), ...body },
      });
    const storedKey = async () => {
      const [row] = await adminQuery<{ tenant_id: string; read_api_key: string | null }>(
        'SELECT tenant_id, read_api_key FROM thingspeak_bindings WHERE device_id = $1',
        [device.id],
      );
      const sealed = row?.read_api_key;
      // Stored sealed, never as sent: what the database holds is opened with the server's keys.
      if (sealed) expect(sealed).toMatch(/^tw1\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+$/);
      return (
        sealed && (await server.secrets.open(sealed, readKeyContext(row.tenant_id, device.id))).toString()
      );
    };

    expect((await save({ channelId, readApiKey: 'KEEPTHISKEY12345' })).body.hasReadKey).toBe(true);
    expect((await save({ channelId, pollIntervalS: 120 })).body.hasReadKey).toBe(true);
    expect(await storedKey()).toBe('KEEPTHISKEY12345');
    expect((await save({ channelId, readApiKey: null })).body.hasReadKey).toBe(false);
    await save({ channelId, readApiKey: 'KEEPTHISKEY12345' });
    expect((await save({ channelId: newChannel() })).body.hasReadKey).toBe(false);
    expect(await storedKey()).toBeNull();
  });

  it('answers a missing channel, a refused key, a timeout and junk with problems that say so', async () => {
    const device = await thingSpeakDevice();
    const [missing, locked, hanging, junk, failing] = [
      newChannel(),
      newChannel(),
      newChannel(),
      newChannel(),
      newChannel(),
    ];
    fake.behave(missing, { kind: 'status', status: 404 });
    fake.behave(locked, { kind: 'status', status: 401 });
    fake.behave(hanging, { kind: 'hang' });
    fake.behave(junk, { kind: 'body', body: '<!DOCTYPE html><html>Maintenance</html>' });
    fake.behave(failing, { kind: 'status', status: 500 });
    const ask = (channelId: number) =>
      preview<Problem>(device.id, { channelId, readApiKey: 'WRONGKEY12345678', fields: FIELDS });

    const [notFound, refused, timedOut, notAFeed, upstream] = [
      await ask(missing),
      await ask(locked),
      await ask(hanging),
      await ask(junk),
      await ask(failing),
    ];

    for (const answer of [notFound, refused, timedOut, notAFeed, upstream]) {
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(JSON.stringify(answer.body)).not.toContain('WRONGKEY12345678');
    }
    expect([notFound.status, notFound.body.type]).toEqual([404, 'urn:tidewatch:problem:not_found']);
    expect(notFound.body.detail).toBe(`ThingSpeak channel ${String(missing)} not found`);
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.path).toBe('readApiKey');
    expect([timedOut.status, timedOut.body.type]).toEqual([504, 'urn:tidewatch:problem:gateway_timeout']);
    expect(timedOut.body.title).toMatch(/^Gateway timeout/);
    expect(timedOut.body.detail).toContain('700 ms');
    expect([notAFeed.status, notAFeed.body.type]).toEqual([502, 'urn:tidewatch:problem:bad_gateway']);
    expect(notAFeed.body.detail).toContain('an HTML page');
    expect([upstream.status, upstream.body.detail]).toEqual([502, 'ThingSpeak answered HTTP 500']);
  });

  it("is the binding editor's: other tenants' devices, other transports and other roles are refused", async () => {
    const [foreign] = await adminQuery<{ id: string }>(
      `SELECT d.id FROM devices d JOIN tenants t ON t.id = d.tenant_id WHERE t.slug = $1 AND d.transport = 'thingspeak'`,
      [tenantB.slug],
    );
    const mqtt = await api.request<{ device: { id: string } }>('POST', '/api/v1/devices', {
      token: admin,
      body: { name: 'Preview MQTT node', metricKeys: ['level_cm'] },
    });
    const device = await thingSpeakDevice();
    const channelId = newChannel();
    const body = { channelId, readApiKey: null, fields: FIELDS };

    const otherTenant = await preview<Problem>(foreign?.id ?? '', body);
    const otherTransport = await preview<Problem>(mqtt.body.device.id, body);
    const supervisor = await preview<Problem>(
      device.id,
      body,
      await api.tokenFor(tenantA.email('supervisor')),
    );
    const unknownMetric = await preview<Problem>(device.id, {
      ...body,
      fields: [{ field: 1, metricKey: 'no_such_metric', scale: 1, offset: 0 }],
    });

    expect(foreign).toBeDefined();
    expect(otherTenant.status).toBe(404);
    expect(otherTransport.status).toBe(400);
    expect(supervisor.status).toBe(403);
    expect(unknownMetric.status).toBe(400);
    expect(unknownMetric.body.errors?.[0]?.path).toBe('fields');
    expect(fake.requestsFor(channelId)).toHaveLength(0);
  });

  it('does not read ThingSpeak at all on a server where the integration is off', async () => {
    const device = await thingSpeakDevice();
    const channelId = newChannel();
    const off = await startTestServer({ THINGSPEAK_URL: fake.url });
    try {
      const offApi = new Api(off.url);
      const response = await offApi.request<Problem>(
        'POST',
        `/api/v1/devices/${device.id}/thingspeak/preview`,
        {
          token: await offApi.tokenFor(tenantA.email('admin')),
          body: { channelId, readApiKey: null, fields: FIELDS },
        },
      );

      expect(response.status).toBe(409);
      expect(response.body.detail).toContain('ThingSpeak is turned off');
      expect(fake.requestsFor(channelId)).toHaveLength(0);
    } finally {
      await off.close();
    }
  });
});
