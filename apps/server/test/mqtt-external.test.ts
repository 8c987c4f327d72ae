import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';
import {
  removeMosquitto,
  SERVER_MQTT_PASSWORD,
  startMosquitto,
  type TestMosquitto,
} from '../src/testing/mosquitto.ts';

interface TestDevice {
  id: string;
  secret: string;
  seriesId: number;
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('with an external Mosquitto broker', () => {
  let broker: TestMosquitto;
  let server: RunningServer;
  let api: Api;
  let first: TestDevice;
  let second: TestDevice;
  const clients: MqttClient[] = [];

  async function provision(name: string): Promise<TestDevice> {
    const created = await api.request<{ device: { id: string; series: { id: number }[] }; secret: string }>(
      'POST',
      '/api/v1/devices',
      {
        token: await api.tokenFor(tenantA.email('admin')),
        body: { name, transport: 'mqtt', metricKeys: ['level_cm'] },
      },
    );
    expect(created.status).toBe(201);
    return {
      id: created.body.device.id,
      secret: created.body.secret,
      seriesId: created.body.device.series[0]?.id ?? 0,
    };
  }

  async function connect(
    username: string,
    password: string,
    options: mqtt.IClientOptions = {},
  ): Promise<MqttClient> {
    const client = await mqtt.connectAsync(broker.url, {
      clientId: username,
      username,
      password,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    });
    clients.push(client);
    return client;
  }

  const valuesOf = async (seriesId: number): Promise<number[]> =>
    (
      await adminQuery<{ value: number }>('SELECT value FROM telemetry WHERE series_id = $1 ORDER BY time', [
        seriesId,
      ])
    ).map((row) => row.value);

  const storedWithin = (seriesId: number, count: number): Promise<number[]> =>
    until(async () => {
      const values = await valuesOf(seriesId);
      return values.length >= count ? values : undefined;
    });

  beforeAll(async () => {
    broker = await startMosquitto(inject('adminUrl'));
    server = await startTestServer({
      MQTT_URL: broker.serverUrl,
      MQTT_PASSWORD: SERVER_MQTT_PASSWORD,
      MQTT_CLIENT_ID: 'tidewatch-test-external',
      COMMAND_SWEEP_S: '1',
      DEVICE_OFFLINE_AFTER_S: '5',
    });
    api = new Api(server.url);
    first = await provision('External MQTT node one');
    second = await provision('External MQTT node two');
    await broker.reloadCredentials();
    await until(async () => ((await fetch(`${server.url}/health/ready`)).status === 200 ? true : undefined));
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await server.close();
    await removeMosquitto(broker);
  });

  it('stores QoS 0 and QoS 1 readings published through the broker, queryable through the API', async () => {
    const device = await connect(first.id, first.secret);
    await device.publishAsync(
      `devices/${first.id}/telemetry`,
      JSON.stringify({ values: { level_cm: 101.5 } }),
      {
        qos: 1,
      },
    );
    await device.publishAsync(
      `devices/${first.id}/telemetry`,
      JSON.stringify([
        { ts: Date.now() - 2000, values: { level_cm: 102.5 } },
        { ts: Date.now() - 1000, values: { level_cm: 103.5 } },
      ]),
      { qos: 0 },
    );
    expect((await storedWithin(first.seriesId, 3)).sort()).toEqual([101.5, 102.5, 103.5]);
    const token = await api.tokenFor(tenantA.email('operator'));
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const trend = await api.request<{ series: { points: [string, number, number, number, number][] }[] }>(
      'GET',
      `/api/v1/telemetry?series=${String(first.seriesId)}&from=${from}&to=${new Date(Date.now() + 60_000).toISOString()}`,
      { token },
    );
    expect(trend.status).toBe(200);
    const points = trend.body.series[0]?.points ?? [];
    expect(points.reduce((sum, point) => sum + point[4], 0)).toBe(3);
  });

  it('refuses a wrong secret and an unknown device at connect', async () => {
    await expect(connect(first.id, 'not-the-secret')).rejects.toThrow();
    await expect(connect('00000000-0000-4000-8000-000000000000', first.secret)).rejects.toThrow();
  });

  it("never stores what a device publishes on another device's topic", async () => {
    const intruder = await connect(first.id, first.secret);
    intruder.publish(`devices/${second.id}/telemetry`, JSON.stringify({ values: { level_cm: 666 } }), {
      qos: 0,
    });
    const device = await connect(first.id, first.secret);
    // A marker on its own topic, published after: once it is stored, the forbidden one would have been too.
    await device.publishAsync(
      `devices/${first.id}/telemetry`,
      JSON.stringify({ values: { level_cm: 104.5 } }),
      {
        qos: 1,
      },
    );
    await until(async () => ((await valuesOf(first.seriesId)).includes(104.5) ? true : undefined));
    expect(await valuesOf(second.seriesId)).toEqual([]);
  });

  it('drops malformed and out-of-range messages with a count, and keeps serving', async () => {
    const device = await connect(second.id, second.secret);
    const topic = `devices/${second.id}/telemetry`;
    await device.publishAsync(topic, '{not json', { qos: 1 });
    await device.publishAsync(topic, JSON.stringify({ values: { level_cm: 'high' } }), { qos: 1 });
    await device.publishAsync(
      topic,
      JSON.stringify({ ts: '2999-01-01T00:00:00Z', values: { level_cm: 5 } }),
      {
        qos: 1,
      },
    );
    await device.publishAsync(topic, JSON.stringify({ values: { level_cm: 7.25 } }), { qos: 1 });
    expect(await storedWithin(second.seriesId, 1)).toEqual([7.25]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/ingest_messages_refused_total\{transport="mqtt",reason="malformed"\} [1-9]/);
  });

  it('drops a message over MQTT_MAX_PAYLOAD_BYTES and unknown metrics, counting them, and stores what is valid', async () => {
    const device = await connect(second.id, second.secret);
    const topic = `devices/${second.id}/telemetry`;
    // Within Mosquitto's max_packet_size (which closes the connection of a larger one), over the server's limit.
    await device.publishAsync(topic, Buffer.alloc(300_000, 0x20), { qos: 1 });
    await device.publishAsync(topic, JSON.stringify({ values: { no_such_metric: 1, level_cm: 8.5 } }), {
      qos: 1,
    });
    expect(await storedWithin(second.seriesId, 2)).toEqual([7.25, 8.5]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/ingest_messages_refused_total\{transport="mqtt",reason="too_large"\} 1/);
    expect(metrics).toMatch(/ingest_readings_total\{transport="mqtt",outcome="unknown_metric"\} 1/);
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
  });

  it('keeps a device’s client id to its own id, and disconnects retained, QoS 2 and oversized publishes', async () => {
    // Mosquitto 2.0.11 forgets a listener's max_qos when SIGHUP reloads the passwords (as this file's set-up did);
    // it holds again from a start.
    await broker.stop();
    await broker.start();
    await until(async () => ((await fetch(`${server.url}/health/ready`)).status === 200 ? true : undefined));
    const victim = await connect(first.id, first.secret);
    let victimClosed = false;
    victim.on('close', () => {
      victimClosed = true;
    });
    // use_username_as_clientid: the intruder's client id becomes its own id, so the victim's session is untouched.
    const intruder = await connect(second.id, second.secret, { clientId: first.id });
    expect(intruder.connected).toBe(true);
    await intruder.endAsync();
    for (const publish of [
      { payload: '{"values": {"level_cm": 1}}', options: { qos: 1, retain: true } },
      { payload: '{"values": {"level_cm": 1}}', options: { qos: 2 } },
      { payload: Buffer.alloc(1024 * 1024, 0x20), options: { qos: 1 } },
    ] as const) {
      const device = await connect(second.id, second.secret);
      const closed = new Promise<void>((resolve) => device.once('close', resolve));
      device.publish(`devices/${second.id}/telemetry`, publish.payload, publish.options);
      await closed;
    }
    const before = (await valuesOf(first.seriesId)).length;
    await victim.publishAsync(
      `devices/${first.id}/telemetry`,
      JSON.stringify({ values: { level_cm: 3.5 } }),
      {
        qos: 1,
      },
    );
    expect(await storedWithin(first.seriesId, before + 1)).toContain(3.5);
    expect(victimClosed).toBe(false);
  });

  it('stores every QoS 1 reading although the database drops all its connections twice mid-stream', async () => {
    const durable = await provision('External durability node');
    await broker.reloadCredentials();
    const device = await connect(durable.id, durable.secret);
    const database = new URL(inject('appUrl')).pathname.slice(1);
    const start = Date.now() - 600_000;
    const total = 400;
    const publishes: Promise<unknown>[] = [];
    for (let i = 0; i < total; i += 1) {
      publishes.push(
        device.publishAsync(
          `devices/${durable.id}/telemetry`,
          JSON.stringify({ ts: start + i * 1000, values: { level_cm: i } }),
          { qos: 1 },
        ),
      );
      if (i % 200 === 100) {
        await adminQuery(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'tidewatch_app' AND datname = $1`,
          [database],
        );
      }
      if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(publishes);
    const values = await until(async () => {
      const stored = await valuesOf(durable.seriesId);
      return stored.length >= total ? stored : undefined;
    }, 30_000);
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
  });

  it('publishes a command, and records delivery, the answer and the audit trail', async () => {
    const device = await connect(first.id, first.secret);
    const received = new Promise<{ id: string; command: string; params: Record<string, unknown> }>(
      (resolve) => {
        device.on('message', (topic, payload) => {
          if (topic === `devices/${first.id}/commands`) resolve(JSON.parse(payload.toString()) as never);
        });
      },
    );
    await device.subscribeAsync(`devices/${first.id}/commands`, { qos: 1 });
    const token = await api.tokenFor(tenantA.email('supervisor'));
    const sent = await api.request<{ id: string; state: string }>(
      'POST',
      `/api/v1/devices/${first.id}/commands`,
      {
        token,
        body: { command: 'set_pump', params: { on: true } },
      },
    );
    expect(sent.status).toBe(202);
    const message = await received;
    expect(message).toMatchObject({ id: sent.body.id, command: 'set_pump', params: { on: true } });
    const stateOf = async (): Promise<string> =>
      (await api.request<{ state: string }>('GET', `/api/v1/commands/${sent.body.id}`, { token })).body.state;
    await until(async () => ((await stateOf()) === 'delivered' ? true : undefined));
    await device.publishAsync(
      `devices/${first.id}/commands/ack`,
      JSON.stringify({ id: message.id, status: 'ok' }),
      {
        qos: 1,
      },
    );
    await until(async () => ((await stateOf()) === 'acknowledged' ? true : undefined));
    const audit = await adminQuery<{ action: string }>(
      'SELECT action FROM audit_log WHERE resource_id = $1 ORDER BY id',
      [sent.body.id],
    );
    expect(audit.map((row) => row.action)).toEqual([
      'command.send',
      'command.deliver',
      'command.acknowledge',
    ]);
  });

  it('expires a command nobody answers', async () => {
    const token = await api.tokenFor(tenantA.email('supervisor'));
    const sent = await api.request<{ id: string }>('POST', `/api/v1/devices/${second.id}/commands`, {
      token,
      body: { command: 'reboot', ttlS: 5 },
    });
    const state = await until(async () => {
      const current = (
        await api.request<{ state: string }>('GET', `/api/v1/commands/${sent.body.id}`, { token })
      ).body.state;
      return current === 'expired' ? current : undefined;
    }, 15_000);
    expect(state).toBe('expired');
  });

  it('follows status messages and the last will, and marks a silent device offline with a downtime', async () => {
    const stateOf = async (deviceId: string): Promise<string | undefined> =>
      (
        await adminQuery<{ connectivity: string }>(
          'SELECT connectivity FROM device_states WHERE device_id = $1',
          [deviceId],
        )
      )[0]?.connectivity;
    const device = await connect(second.id, second.secret, {
      will: { topic: `devices/${second.id}/status`, payload: Buffer.from('offline'), qos: 1, retain: false },
    });
    await device.publishAsync(`devices/${second.id}/status`, 'online', { qos: 1 });
    await until(async () => ((await stateOf(second.id)) === 'online' ? true : undefined));
    // Drop the connection without DISCONNECT: the broker publishes the will.
    device.stream.destroy();
    await until(async () => ((await stateOf(second.id)) === 'offline' ? true : undefined));
    const open = await adminQuery<{ reason: string }>(
      'SELECT reason FROM device_downtimes WHERE device_id = $1 AND ended_at IS NULL',
      [second.id],
    );
    expect(open).toEqual([{ reason: 'status' }]);

    // The first device published readings earlier and has been silent since: the sweep takes it offline.
    await until(async () => ((await stateOf(first.id)) === 'offline' ? true : undefined), 20_000);
    const silence = await adminQuery<{ reason: string }>(
      'SELECT reason FROM device_downtimes WHERE device_id = $1 AND ended_at IS NULL',
      [first.id],
    );
    expect(silence).toEqual([{ reason: 'silence' }]);
  });
});
