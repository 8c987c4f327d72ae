import type { IngestResult, Problem } from '@tidewatch/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import {
  removeMosquitto,
  SERVER_MQTT_PASSWORD,
  startMosquitto,
  type TestMosquitto,
} from '../src/testing/mosquitto.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantB } from './harness.ts';

interface TestDevice {
  readonly id: string;
  readonly secret: string;
  readonly seriesId: number;
  readonly metricKey: string;
}

/** A metric of tenant B with no valid range: nothing but the server's own limits stands between it and the database. */
const RAW_METRIC = 'isolation_raw';
/** Long enough that readings sent together are written in one batch, as under load. */
const LINGER_MS = '300';

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what}: nothing within ${String(ms)} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The values stored for a series in the minute that starts at `from` (epoch ms), or in all time. */
const valuesOf = async (seriesId: number, from: number | null): Promise<number[]> =>
  (
    await adminQuery<{ value: number }>(
      `SELECT value FROM telemetry WHERE series_id = $1
          AND ($2::timestamptz IS NULL OR time >= $2 AND time < $2 + interval '1 minute') ORDER BY time`,
      [seriesId, from === null ? null : new Date(from)],
    )
  ).map((row) => row.value);

const metricValue = async (api: Api, name: string, labels: Record<string, string>): Promise<number> => {
  const text = (await api.request<string>('GET', '/metrics')).body;
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (wanted.every((label) => line.includes(label))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
};

async function provision(
  api: Api,
  tenant: typeof tenantA,
  name: string,
  metricKey: string,
  transport: 'mqtt' | 'http',
): Promise<TestDevice> {
  const created = await api.request<{ device: { id: string; series: { id: number }[] }; secret: string }>(
    'POST',
    '/api/v1/devices',
    { token: await api.tokenFor(tenant.email('admin')), body: { name, transport, metricKeys: [metricKey] } },
  );
  expect(created.status).toBe(201);
  return {
    id: created.body.device.id,
    secret: created.body.secret,
    seriesId: created.body.device.series[0]?.id ?? 0,
    metricKey,
  };
}

async function defineRawMetric(api: Api): Promise<void> {
  const response = await api.request('POST', '/api/v1/metrics', {
    token: await api.tokenFor(tenantB.email('admin')),
    body: { key: RAW_METRIC, name: 'Raw signal, no valid range' },
  });
  expect([201, 409]).toContain(response.status);
}

/** A minute-aligned time in the recent past, so every reading of a scenario shares one rollup minute. */
function minuteStart(minutesAgo: number): number {
  return Math.floor(Date.now() / 60_000) * 60_000 - minutesAgo * 60_000;
}

const basic = (device: TestDevice): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${device.id}:${device.secret}`).toString('base64')}`,
});

describe('one device’s bad readings cost other devices nothing (HTTP and the embedded broker)', () => {
  let server: RunningServer;
  let api: Api;
  let innocent: TestDevice;
  let guilty: TestDevice;
  const clients: MqttClient[] = [];

  const post = (device: TestDevice, body: unknown) =>
    api.request<IngestResult & Problem>('POST', '/api/v1/ingest', { body, headers: basic(device) });
  const connect = async (device: TestDevice): Promise<MqttClient> => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${String(server.mqttPort)}`, {
      clientId: device.id,
      username: device.id,
      password: device.secret,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await startTestServer({ INGEST_LINGER_MS: LINGER_MS, INGEST_DEVICE_CACHE_MS: '60000' });
    api = new Api(server.url);
    await defineRawMetric(api);
    innocent = await provision(api, tenantA, 'Isolation innocent', 'level_cm', 'http');
    guilty = await provision(api, tenantB, 'Isolation guilty', RAW_METRIC, 'http');
    // Credentials checked once here, so the readings below reach the queue together.
    expect((await post(innocent, { values: { level_cm: 1 } })).status).toBe(202);
    expect((await post(guilty, { values: { [RAW_METRIC]: 1 } })).status).toBe(202);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await server.close();
  });

  it('over HTTP: two readings of 1.7e308 in one minute are rejected, the other tenant’s readings sent with them are stored', async () => {
    const t = minuteStart(10);

    const [bad, ...good] = await Promise.all([
      post(guilty, [
        { ts: t + 1000, values: { [RAW_METRIC]: 1.7e308 } },
        { ts: t + 2000, values: { [RAW_METRIC]: 1.7e308 } },
      ]),
      ...[0, 1, 2, 3, 4].map((i) => post(innocent, { ts: t + i * 1000, values: { level_cm: 100 + i } })),
    ]);

    expect(good.map((response) => response.status)).toEqual([202, 202, 202, 202, 202]);
    expect(await valuesOf(innocent.seriesId, t)).toEqual([100, 101, 102, 103, 104]);
    expect(bad.status).toBe(202);
    expect(bad.body).toEqual({
      accepted: 0,
      rejected: [
        { message: 0, metric: RAW_METRIC, reason: 'overflow' },
        { message: 1, metric: RAW_METRIC, reason: 'overflow' },
      ],
    });
    expect(await valuesOf(guilty.seriesId, t)).toEqual([]);
  });

  it('over HTTP: the database refusing one device’s readings refuses that request alone', async () => {
    const doomed = await provision(api, tenantB, 'Isolation removed elsewhere', RAW_METRIC, 'http');
    expect((await post(doomed, { values: { [RAW_METRIC]: 1 } })).status).toBe(202);
    // Deleted behind this instance's back (another instance, a script): its directory still holds the device.
    await adminQuery('DELETE FROM devices WHERE id = $1', [doomed.id]);
    const t = minuteStart(20);

    const [refused, ...good] = await Promise.all([
      post(doomed, { ts: t, values: { [RAW_METRIC]: 2 } }),
      ...[0, 1, 2].map((i) => post(innocent, { ts: t + i * 1000, values: { level_cm: 200 + i } })),
    ]);

    expect(good.map((response) => response.status)).toEqual([202, 202, 202]);
    expect(await valuesOf(innocent.seriesId, t)).toEqual([200, 201, 202]);
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('urn:tidewatch:problem:conflict');
    expect(
      await metricValue(api, 'ingest_messages_refused_total', { transport: 'http', reason: 'series_gone' }),
    ).toBe(1);
  });

  it('on the embedded broker: every innocent QoS 1 message is stored and acknowledged, the overflowing ones acknowledged and counted', async () => {
    const good = await connect(innocent);
    const bad = await connect(guilty);
    let innocentClosed = false;
    good.on('close', () => {
      innocentClosed = true;
    });
    const overflowBefore = await metricValue(api, 'ingest_readings_total', {
      transport: 'mqtt',
      outcome: 'overflow',
    });
    const t = minuteStart(30);

    await within(
      Promise.all([
        bad.publishAsync(
          `devices/${guilty.id}/telemetry`,
          JSON.stringify([
            { ts: t + 1000, values: { [RAW_METRIC]: 1.7e308 } },
            { ts: t + 2000, values: { [RAW_METRIC]: 1.7e308 } },
          ]),
          { qos: 1 },
        ),
        ...[0, 1, 2, 3, 4].map((i) =>
          good.publishAsync(
            `devices/${innocent.id}/telemetry`,
            JSON.stringify({ ts: t + i * 1000, values: { level_cm: 300 + i } }),
            { qos: 1 },
          ),
        ),
      ]),
      10_000,
      'PUBACKs',
    );

    expect(await valuesOf(innocent.seriesId, t)).toEqual([300, 301, 302, 303, 304]);
    expect(innocentClosed).toBe(false);
    expect(await valuesOf(guilty.seriesId, t)).toEqual([]);
    expect(
      (await metricValue(api, 'ingest_readings_total', { transport: 'mqtt', outcome: 'overflow' })) -
        overflowBefore,
    ).toBe(2);
  });

  it('on the embedded broker: a message the database refuses is acknowledged and counted, the others stored', async () => {
    const doomed = await provision(api, tenantB, 'Isolation removed, MQTT', RAW_METRIC, 'mqtt');
    const good = await connect(innocent);
    const bad = await connect(doomed);
    await within(
      bad.publishAsync(`devices/${doomed.id}/telemetry`, JSON.stringify({ values: { [RAW_METRIC]: 1 } }), {
        qos: 1,
      }),
      10_000,
      'first PUBACK',
    );
    await adminQuery('DELETE FROM devices WHERE id = $1', [doomed.id]);
    const refusedBefore = await metricValue(api, 'ingest_messages_refused_total', {
      transport: 'mqtt',
      reason: 'series_gone',
    });
    const t = minuteStart(40);

    await within(
      Promise.all([
        bad.publishAsync(
          `devices/${doomed.id}/telemetry`,
          JSON.stringify({ ts: t, values: { [RAW_METRIC]: 2 } }),
          { qos: 1 },
        ),
        ...[0, 1, 2].map((i) =>
          good.publishAsync(
            `devices/${innocent.id}/telemetry`,
            JSON.stringify({ ts: t + i * 1000, values: { level_cm: 400 + i } }),
            { qos: 1 },
          ),
        ),
      ]),
      10_000,
      'PUBACKs',
    );

    expect(await valuesOf(innocent.seriesId, t)).toEqual([400, 401, 402]);
    expect(
      (await metricValue(api, 'ingest_messages_refused_total', {
        transport: 'mqtt',
        reason: 'series_gone',
      })) - refusedBefore,
    ).toBe(1);
  });
});

describe('one device’s bad readings cost other devices nothing (Mosquitto)', () => {
  let broker: TestMosquitto;
  let server: RunningServer;
  let api: Api;
  let innocent: TestDevice;
  let guilty: TestDevice;
  let doomed: TestDevice;
  const clients: MqttClient[] = [];

  const connect = async (device: TestDevice): Promise<MqttClient> => {
    const client = await mqtt.connectAsync(broker.url, {
      clientId: device.id,
      username: device.id,
      password: device.secret,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    broker = await startMosquitto(inject('adminUrl'));
    server = await startTestServer({
      MQTT_URL: broker.serverUrl,
      MQTT_PASSWORD: SERVER_MQTT_PASSWORD,
      MQTT_CLIENT_ID: 'tidewatch-test-isolation',
      INGEST_LINGER_MS: LINGER_MS,
      INGEST_DEVICE_CACHE_MS: '60000',
    });
    api = new Api(server.url);
    await defineRawMetric(api);
    innocent = await provision(api, tenantA, 'Isolation innocent, Mosquitto', 'level_cm', 'mqtt');
    guilty = await provision(api, tenantB, 'Isolation guilty, Mosquitto', RAW_METRIC, 'mqtt');
    doomed = await provision(api, tenantB, 'Isolation removed, Mosquitto', RAW_METRIC, 'mqtt');
    await broker.reloadCredentials();
    await until(async () => ((await fetch(`${server.url}/health/ready`)).status === 200 ? true : undefined));
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await server.close();
    await removeMosquitto(broker);
  });

  it('stores every innocent QoS 1 message sent with overflowing ones, and counts those', async () => {
    const good = await connect(innocent);
    const bad = await connect(guilty);
    // Warm the server's device directory, so the messages below reach the queue together.
    await good.publishAsync(`devices/${innocent.id}/telemetry`, JSON.stringify({ values: { level_cm: 1 } }), {
      qos: 1,
    });
    await bad.publishAsync(
      `devices/${guilty.id}/telemetry`,
      JSON.stringify({ values: { [RAW_METRIC]: 1 } }),
      {
        qos: 1,
      },
    );
    expect(
      await until(async () => ((await valuesOf(guilty.seriesId, null)).length > 0 ? true : undefined)),
    ).toBe(true);
    const overflowBefore = await metricValue(api, 'ingest_readings_total', {
      transport: 'mqtt',
      outcome: 'overflow',
    });
    const t = minuteStart(50);

    await Promise.all([
      bad.publishAsync(
        `devices/${guilty.id}/telemetry`,
        JSON.stringify([
          { ts: t + 1000, values: { [RAW_METRIC]: 1.7e308 } },
          { ts: t + 2000, values: { [RAW_METRIC]: 1.7e308 } },
        ]),
        { qos: 1 },
      ),
      ...[0, 1, 2, 3, 4].map((i) =>
        good.publishAsync(
          `devices/${innocent.id}/telemetry`,
          JSON.stringify({ ts: t + i * 1000, values: { level_cm: 500 + i } }),
          { qos: 1 },
        ),
      ),
    ]);

    const stored = await until(async () => {
      const values = await valuesOf(innocent.seriesId, t);
      return values.length >= 5 ? values : undefined;
    });
    expect(stored).toEqual([500, 501, 502, 503, 504]);
    expect(
      await until(async () => {
        const counted =
          (await metricValue(api, 'ingest_readings_total', { transport: 'mqtt', outcome: 'overflow' })) -
          overflowBefore;
        return counted >= 2 ? counted : undefined;
      }),
    ).toBe(2);
    expect(await valuesOf(guilty.seriesId, t)).toEqual([]);
  });

  it('stores every innocent message sent with one the database refuses, and counts that one', async () => {
    const good = await connect(innocent);
    const bad = await connect(doomed);
    await bad.publishAsync(
      `devices/${doomed.id}/telemetry`,
      JSON.stringify({ values: { [RAW_METRIC]: 1 } }),
      {
        qos: 1,
      },
    );
    expect(
      await until(async () => ((await valuesOf(doomed.seriesId, null)).length > 0 ? true : undefined)),
    ).toBe(true);
    // Deleted in the database; the broker's password file and the server's directory still know it.
    await adminQuery('DELETE FROM devices WHERE id = $1', [doomed.id]);
    const t = minuteStart(60);

    await Promise.all([
      bad.publishAsync(
        `devices/${doomed.id}/telemetry`,
        JSON.stringify({ ts: t, values: { [RAW_METRIC]: 2 } }),
        {
          qos: 1,
        },
      ),
      ...[0, 1, 2].map((i) =>
        good.publishAsync(
          `devices/${innocent.id}/telemetry`,
          JSON.stringify({ ts: t + i * 1000, values: { level_cm: 600 + i } }),
          { qos: 1 },
        ),
      ),
    ]);

    const stored = await until(async () => {
      const values = await valuesOf(innocent.seriesId, t);
      return values.length >= 3 ? values : undefined;
    });
    expect(stored).toEqual([600, 601, 602]);
    expect(
      await until(async () => {
        const counted = await metricValue(api, 'ingest_messages_refused_total', {
          transport: 'mqtt',
          reason: 'series_gone',
        });
        return counted >= 1 ? counted : undefined;
      }),
    ).toBe(1);
  });
});
