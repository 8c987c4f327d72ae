import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { removeMosquitto, startMosquitto, type TestMosquitto } from '../src/testing/mosquitto.ts';
import { adminQuery, Api, startInstances, startTestServer, tenantA } from './harness.ts';

interface TestDevice {
  readonly id: string;
  readonly secret: string;
}

/** A rotated or disabled device's connection on the other instance ends within this long (measured: tens of ms). */
const CLOSED_WITHIN_MS = 2000;

const mqttUrl = (server: RunningServer): string => `mqtt://127.0.0.1:${String(server.mqttPort)}`;

function connect(server: RunningServer, device: TestDevice, secret = device.secret): Promise<MqttClient> {
  return mqtt.connectAsync(mqttUrl(server), {
    username: device.id,
    password: secret,
    clientId: device.id,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
}

/** Resolves how long after `since` the client's connection closed; rejects when it stays open past `limitMs`. */
function closedWithin(client: MqttClient, since: number, limitMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    if (!client.connected) {
      resolve(Date.now() - since);
      return;
    }
    const timer = setTimeout(() => {
      reject(new Error(`still connected after ${String(limitMs)} ms`));
    }, limitMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - since);
    });
  });
}

const basic = (device: TestDevice, secret = device.secret): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${device.id}:${secret}`).toString('base64')}`,
});

describe('rotating or disabling a device closes its live connections on every instance', () => {
  let one: RunningServer;
  let two: RunningServer;
  let apiOne: Api;
  let apiTwo: Api;
  let token: string;
  const clients: MqttClient[] = [];

  async function provision(name: string, transport: 'mqtt' | 'http'): Promise<TestDevice> {
    const created = await apiOne.request<{ device: { id: string }; secret: string }>(
      'POST',
      '/api/v1/devices',
      {
        token,
        body: { name, transport, metricKeys: ['level_cm'] },
      },
    );
    expect(created.status).toBe(201);
    return { id: created.body.device.id, secret: created.body.secret };
  }

  const ingest = (api: Api, device: TestDevice, secret = device.secret) =>
    api.request('POST', '/api/v1/ingest', {
      headers: basic(device, secret),
      body: { values: { level_cm: 1 } },
    });

  beforeAll(async () => {
    // Caches on and no periodic recheck: only the relayed change can end the connection within the bound.
    [one, two] = (await startInstances(2, 'redis://127.0.0.1:6379', () => ({
      INGEST_DEVICE_CACHE_MS: '600000',
      DEVICE_SESSION_RECHECK_S: '3600',
    }))) as [RunningServer, RunningServer];
    apiOne = new Api(one.url);
    apiTwo = new Api(two.url);
    token = await apiOne.tokenFor(tenantA.email('admin'));
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await one.close();
    await two.close();
  });

  it('a secret rotated on instance A closes the device’s connection on B; the new secret works there and the old one is refused at once', async () => {
    const device = await provision('Revocation MQTT', 'mqtt');
    const httpDevice = await provision('Revocation HTTP', 'http');
    const client = await connect(two, device);
    clients.push(client);
    // B has checked and cached the HTTP device's secret.
    expect((await ingest(apiTwo, httpDevice)).status).toBe(202);

    const since = Date.now();
    const rotated = await apiOne.request<{ secret: string }>(
      'POST',
      `/api/v1/devices/${device.id}/rotate-secret`,
      {
        token,
      },
    );
    const rotatedHttp = await apiOne.request<{ secret: string }>(
      'POST',
      `/api/v1/devices/${httpDevice.id}/rotate-secret`,
      { token },
    );
    const closedAfterMs = await closedWithin(client, since, CLOSED_WITHIN_MS);

    await expect(connect(two, device)).rejects.toThrow(/Bad username or password|4/);
    expect((await ingest(apiTwo, httpDevice)).status).toBe(401);
    const renewed = await connect(two, device, rotated.body.secret);
    clients.push(renewed);
    await renewed.publishAsync(
      `devices/${device.id}/telemetry`,
      JSON.stringify({ values: { level_cm: 2 } }),
      {
        qos: 1,
      },
    );
    expect((await ingest(apiTwo, httpDevice, rotatedHttp.body.secret)).status).toBe(202);
    console.log(`[revocation] rotated on A, closed on B after ${String(closedAfterMs)} ms`);

    // Disabled on A: every connection of the device on B ends, the new secret's too.
    const disabledSince = Date.now();
    const patched = await apiOne.request('PATCH', `/api/v1/devices/${device.id}`, {
      token,
      body: { disabled: true },
    });
    expect(patched.status).toBe(200);
    const disabledAfterMs = await closedWithin(renewed, disabledSince, CLOSED_WITHIN_MS);
    await expect(connect(two, device, rotated.body.secret)).rejects.toThrow();
    console.log(`[revocation] disabled on A, closed on B after ${String(disabledAfterMs)} ms`);
  });

  it('a connection of another device stays open', async () => {
    const device = await provision('Revocation bystander', 'mqtt');
    const other = await provision('Revocation rotated', 'mqtt');
    const bystander = await connect(two, device);
    clients.push(bystander);
    await apiOne.request('POST', `/api/v1/devices/${other.id}/rotate-secret`, { token });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bystander.connected).toBe(true);
    await bystander.publishAsync(
      `devices/${device.id}/telemetry`,
      JSON.stringify({ values: { level_cm: 3 } }),
      {
        qos: 1,
      },
    );
  });
});

describe('the periodic recheck', () => {
  let server: RunningServer;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    server = await startTestServer({ DEVICE_SESSION_RECHECK_S: '1' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await server.close();
  });

  it('closes the sessions of a device disabled behind the server’s back (SQL, no event)', async () => {
    const api = new Api(server.url);
    const token = await api.tokenFor(tenantA.email('admin'));
    const created = await api.request<{ device: { id: string }; secret: string }>('POST', '/api/v1/devices', {
      token,
      body: { name: 'Recheck MQTT', transport: 'mqtt', metricKeys: ['level_cm'] },
    });
    const device = { id: created.body.device.id, secret: created.body.secret };
    const client = await connect(server, device);
    clients.push(client);

    const since = Date.now();
    await adminQuery('UPDATE devices SET disabled_at = now() WHERE id = $1', [device.id]);
    // One recheck interval, and the time a pass takes.
    await closedWithin(client, since, 3000);
  });
});

describe('Mosquitto, which the server cannot tell to close a connection', () => {
  let server: RunningServer;
  let broker: TestMosquitto;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    broker = await startMosquitto(inject('adminUrl'));
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await removeMosquitto(broker);
    await server.close();
  });

  const connectTo = (device: TestDevice, secret = device.secret): Promise<MqttClient> =>
    mqtt.connectAsync(broker.url, {
      username: device.id,
      password: secret,
      clientId: device.id,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });

  it('drops a rotated device’s connection when the password file is written again and reloaded (`npm run mqtt:credentials`), and keeps the others', async () => {
    const api = new Api(server.url);
    const token = await api.tokenFor(tenantA.email('admin'));
    const provision = async (name: string): Promise<TestDevice> => {
      const created = await api.request<{ device: { id: string }; secret: string }>(
        'POST',
        '/api/v1/devices',
        {
          token,
          body: { name, transport: 'mqtt', metricKeys: ['level_cm'] },
        },
      );
      return { id: created.body.device.id, secret: created.body.secret };
    };
    const device = await provision('Mosquitto rotated');
    const bystander = await provision('Mosquitto bystander');
    await broker.reloadCredentials();
    const client = await connectTo(device);
    const other = await connectTo(bystander);
    clients.push(client, other);

    const rotated = await api.request<{ secret: string }>(
      'POST',
      `/api/v1/devices/${device.id}/rotate-secret`,
      {
        token,
      },
    );
    // Until the files are rewritten Mosquitto knows nothing of it: the connection stays.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(client.connected).toBe(true);
    const since = Date.now();
    await broker.reloadCredentials();
    const closedAfterMs = await closedWithin(client, since, CLOSED_WITHIN_MS);
    console.log(
      `[revocation] Mosquitto closed the rotated device ${String(closedAfterMs)} ms after the reload`,
    );

    expect(other.connected).toBe(true);
    await expect(connectTo(device)).rejects.toThrow();
    const renewed = await connectTo(device, rotated.body.secret);
    clients.push(renewed);
    expect(renewed.connected).toBe(true);
  });
});
