import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';

interface TestDevice {
  id: string;
  secret: string;
  seriesId: number;
}

describe('the embedded MQTT broker', () => {
  let server: RunningServer;
  let first: TestDevice;
  let second: TestDevice;
  const clients: MqttClient[] = [];

  async function provision(name: string): Promise<TestDevice> {
    const api = new Api(server.url);
    const created = await api.request<{ device: { id: string; series: { id: number }[] }; secret: string }>(
      'POST',
      '/api/v1/devices',
      { token: await api.tokenFor(tenantA.email('admin')), body: { name, metricKeys: ['level_cm'] } },
    );
    return {
      id: created.body.device.id,
      secret: created.body.secret,
      seriesId: created.body.device.series[0]?.id ?? 0,
    };
  }

  async function connect(username: string, password: string): Promise<MqttClient> {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${String(server.mqttPort)}`, {
      clientId: username,
      username,
      password,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    clients.push(client);
    return client;
  }

  const rowsOf = async (seriesId: number): Promise<number[]> =>
    (
      await adminQuery<{ value: number }>('SELECT value FROM telemetry WHERE series_id = $1 ORDER BY time', [
        seriesId,
      ])
    ).map((row) => row.value);

  beforeAll(async () => {
    server = await startTestServer();
    first = await provision('MQTT node one');
    second = await provision('MQTT node two');
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await server.close();
  });

  it('stores a QoS 1 reading before it acknowledges it', async () => {
    const client = await connect(first.id, first.secret);

    await client.publishAsync(
      `devices/${first.id}/telemetry`,
      JSON.stringify({ values: { level_cm: 211.5 } }),
      { qos: 1 },
    );

    // The PUBACK has arrived: the reading must already be committed.
    expect(await rowsOf(first.seriesId)).toEqual([211.5]);
  });

  it('refuses a wrong secret and an unknown device at connect', async () => {
    await expect(connect(first.id, 'wrong-secret')).rejects.toThrow(
      /Bad username or password|Not authorized|5|4/,
    );
    await expect(connect('00000000-0000-4000-8000-000000000000', first.secret)).rejects.toThrow();
  });

  it("disconnects a device that publishes to another device's topic, storing nothing", async () => {
    const client = await connect(first.id, first.secret);
    const closed = new Promise<void>((resolve) =>
      client.once('close', () => {
        resolve();
      }),
    );

    client.publish(`devices/${second.id}/telemetry`, JSON.stringify({ values: { level_cm: 1 } }), { qos: 1 });
    await closed;

    expect(await rowsOf(second.seriesId)).toEqual([]);
  });

  it('refuses subscriptions beyond the device’s own commands', async () => {
    const client = await connect(second.id, second.secret);

    const own = await client.subscribeAsync(`devices/${second.id}/commands`, { qos: 1 });
    const closed = new Promise<void>((resolve) =>
      client.once('close', () => {
        resolve();
      }),
    );
    client.subscribe('devices/#', { qos: 1 });
    await closed;

    expect(own[0]?.qos).toBe(1);
  });

  it('acknowledges and drops malformed, non-numeric and oversize messages, counting each, and keeps serving', async () => {
    const client = await connect(second.id, second.secret);
    const topic = `devices/${second.id}/telemetry`;

    await client.publishAsync(topic, '{"values": {"level_cm": ', { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ values: { level_cm: 'NaN' } }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ values: { level_cm: 1 }, pad: 'x'.repeat(300_000) }), {
      qos: 1,
    });
    await client.publishAsync(
      topic,
      JSON.stringify([{ ts: Date.now() - 1000, values: { level_cm: 42, wind: 3 } }]),
      { qos: 1 },
    );

    expect(await rowsOf(second.seriesId)).toEqual([42]);
    const metrics = (await new Api(server.url).request<string>('GET', '/metrics')).body;
    expect(metrics).toMatch(/ingest_messages_refused_total\{transport="mqtt",reason="malformed"\} 2/);
    expect(metrics).toMatch(/ingest_messages_refused_total\{transport="mqtt",reason="too_large"\} 1/);
    expect(metrics).toMatch(
      /ingest_messages_refused_total\{transport="mqtt",reason="forbidden_topic"\} [1-9]/,
    );
    expect(metrics).toMatch(/ingest_readings_total\{transport="mqtt",outcome="unknown_metric"\} 1/);
  });

  it('refuses the old secret once it is rotated', async () => {
    const api = new Api(server.url);
    const rotated = await api.request<{ secret: string }>(
      'POST',
      `/api/v1/devices/${first.id}/rotate-secret`,
      {
        token: await api.tokenFor(tenantA.email('admin')),
      },
    );

    await expect(connect(first.id, first.secret)).rejects.toThrow();
    const client = await connect(first.id, rotated.body.secret);
    expect(client.connected).toBe(true);
  });
});
