import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../src/testing/ports.ts';
import { provisionDevices, type ProvisionedDevice } from '../src/testing/provision-devices.ts';
import { ServerProcess } from '../src/testing/server-process.ts';
import { adminQuery, Api, tenantA, tenantB } from './harness.ts';

const SECRET = 'fair-share-device-secret';
/** Small, so the shares bite within a short stall: a device may hold 100 readings, a tenant 500. */
const CAPACITY = 1000;
const DEVICE_LIMIT = 100;
const TENANT_LIMIT = 500;
const READINGS_PER_MESSAGE = 20;
const STALL_MS = 3000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stalls every ingest transaction for `ms`, as a slow or locked database would: the writer waits for the lock on
 * telemetry, so the queue holds what it has admitted and fills. `during` runs meanwhile (it must not wait for
 * a commit); what it returns is awaited after the stall.
 */
async function stallWrites<T>(ms: number, during: (until: number) => Promise<T>): Promise<T> {
  const locker = new pg.Client({ connectionString: inject('adminUrl') });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE telemetry IN ACCESS EXCLUSIVE MODE');
    const until = Date.now() + ms;
    const result = await during(until);
    await sleep(Math.max(0, until - Date.now()));
    return result;
  } finally {
    await locker.query('COMMIT');
    await locker.end();
  }
}

const metricsText = async (api: Api): Promise<string> => (await api.request<string>('GET', '/metrics')).body;

function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (line !== name && !line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((label) => line.includes(label))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Readings stored for the series in the five minutes from `from`. */
const storedCount = async (seriesIds: readonly number[], from: number): Promise<number> => {
  const [row] = await adminQuery<{ count: string }>(
    `SELECT count(*) FROM telemetry WHERE series_id = ANY($1::int[]) AND time >= $2
        AND time < $2 + interval '5 minutes'`,
    [seriesIds, new Date(from)],
  );
  return Number(row?.count);
};

/** A message of `READINGS_PER_MESSAGE` readings, each at its own millisecond after `base`. */
function message(base: number, index: number): { ts: number; values: { level_cm: number } }[] {
  return Array.from({ length: READINGS_PER_MESSAGE }, (_, i) => ({
    ts: base + index * READINGS_PER_MESSAGE + i,
    values: { level_cm: (index % 100) + i / 10 },
  }));
}

/** The normal device's message: five readings. Sent every 200 ms, it stays within its own share through the stall. */
const NORMAL_READINGS = 5;
function normalMessage(base: number, index: number): { ts: number; values: { level_cm: number } }[] {
  return Array.from({ length: NORMAL_READINGS }, (_, i) => ({
    ts: base + index * NORMAL_READINGS + i,
    values: { level_cm: index + i / 10 },
  }));
}

describe('fair shares of the ingest queue', () => {
  let server: ServerProcess;
  let api: Api;
  let flooders: ProvisionedDevice[];
  let normal: ProvisionedDevice;
  const clients: MqttClient[] = [];

  const post = async (device: ProvisionedDevice, body: unknown): Promise<number> => {
    const response = await fetch(`${server.url}/api/v1/ingest`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${device.id}:${device.secret}`).toString('base64')}`,
      },
      body: JSON.stringify(body),
    });
    await response.arrayBuffer();
    return response.status;
  };

  beforeAll(async () => {
    // A process of its own, so that its memory is the server's alone.
    server = new ServerProcess({
      port: await freePort(),
      mqttPort: await freePort(),
      databaseUrl: inject('appUrl'),
      env: {
        INGEST_QUEUE_CAPACITY: String(CAPACITY),
        INGEST_DEVICE_SHARE: String(DEVICE_LIMIT / CAPACITY),
        INGEST_TENANT_SHARE: String(TENANT_LIMIT / CAPACITY),
        INGEST_DEVICE_CACHE_MS: '600000',
        INGEST_LINGER_MS: '5',
        DEVICE_OFFLINE_AFTER_S: '3600',
        ALERT_ENGINE_ENABLED: 'false',
        // pino-http logs every 503 at error level: thousands of lines in this test.
        LOG_LEVEL: 'fatal',
      },
    });
    await server.start();
    api = new Api(server.url);
    flooders = await provisionDevices(inject('adminUrl'), {
      tenantSlug: tenantB.slug,
      count: 12,
      metricKeys: ['level_cm'],
      secret: SECRET,
      label: 'Fair share flood',
    });
    const [one] = await provisionDevices(inject('adminUrl'), {
      tenantSlug: tenantA.slug,
      count: 1,
      metricKeys: ['level_cm'],
      secret: SECRET,
      label: 'Fair share normal',
    });
    if (!one) throw new Error('no normal device');
    normal = one;
    // Credentials checked and devices loaded once, so nothing below needs the database but the writes.
    for (const device of [...flooders, normal])
      expect(await post(device, { values: { level_cm: 1 } })).toBe(202);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await server.stop();
  });

  it('over HTTP: a flooding tenant is told to back off at its device and tenant shares, a normal device of another tenant is never refused', async () => {
    const base = Math.floor(Date.now() / 1000) * 1000 - 1_200_000;
    const before = await metricsText(api);
    const flood = { sent: 0, accepted: 0, refused: 0, other: 0 };
    const normalStatuses: number[] = [];
    let peakDepth = 0;
    let peakRss = 0;

    const lanes = await stallWrites(STALL_MS, (until) => {
      // Eight requests in flight per flooding device; one the queue took waits for the stalled commit, a refused
      // one is followed by the next message after 10 ms (a hostile device does not wait for Retry-After).
      const floodLane = async (device: ProvisionedDevice, lane: number): Promise<void> => {
        for (let index = lane; Date.now() < until; index += 8) {
          flood.sent += 1;
          const status = await post(device, message(base, index));
          if (status === 202) flood.accepted += 1;
          else if (status === 503) flood.refused += 1;
          else flood.other += 1;
          if (status === 503) await sleep(10);
        }
      };
      const normalLane = async (): Promise<void> => {
        const answers: Promise<void>[] = [];
        for (let index = 0; Date.now() < until; index += 1) {
          answers.push(
            post(normal, normalMessage(base, index)).then((status) => {
              normalStatuses.push(status);
            }),
          );
          await sleep(200);
        }
        await Promise.all(answers);
      };
      const watch = async (): Promise<void> => {
        while (Date.now() < until) {
          const text = await metricsText(api);
          peakDepth = Math.max(peakDepth, sample(text, 'ingest_queue_readings'));
          peakRss = Math.max(peakRss, sample(text, 'process_resident_memory_bytes'));
          await sleep(250);
        }
      };
      return Promise.resolve([
        ...flooders.flatMap((device) => Array.from({ length: 8 }, (_, lane) => floodLane(device, lane))),
        normalLane(),
        watch(),
      ]);
    });
    // Nothing the stall held was answered yet, so no normal reading can have been refused unseen.
    await Promise.all(lanes);
    const after = await metricsText(api);
    const refusedFor = (reason: string) =>
      sample(after, 'ingest_messages_refused_total', { transport: 'http', reason }) -
      sample(before, 'ingest_messages_refused_total', { transport: 'http', reason });
    const rssBefore = sample(before, 'process_resident_memory_bytes');

    console.log(
      `[fair-share] HTTP: flood sent ${String(flood.sent)}, accepted ${String(flood.accepted)}, refused ${String(flood.refused)} ` +
        `(device_share ${String(refusedFor('device_share'))}, tenant_share ${String(refusedFor('tenant_share'))}, queue_full ${String(refusedFor('queue_full'))}); ` +
        `normal ${String(normalStatuses.length)}: ${String(normalStatuses.filter((s) => s === 202).length)} × 202; peak queue ${String(peakDepth)} readings; ` +
        `server RSS ${String(Math.round(rssBefore / 1e6))} → ${String(Math.round(peakRss / 1e6))} MB`,
    );
    expect(normalStatuses.length).toBeGreaterThanOrEqual(8);
    expect(normalStatuses.filter((status) => status !== 202)).toEqual([]);
    expect(await storedCount([normal.series.level_cm ?? 0], base)).toBe(
      normalStatuses.length * NORMAL_READINGS,
    );
    expect(flood.other).toBe(0);
    expect(flood.refused).toBeGreaterThan(100);
    expect(refusedFor('device_share')).toBeGreaterThan(0);
    expect(refusedFor('tenant_share')).toBeGreaterThan(0);
    expect(refusedFor('queue_full')).toBe(0);
    expect(refusedFor('device_share') + refusedFor('tenant_share')).toBe(flood.refused);
    // The flood held its tenant's share at most, beside the normal device's own readings.
    expect(peakDepth).toBeLessThanOrEqual(TENANT_LIMIT + normalStatuses.length * NORMAL_READINGS);
    // Every flood message answered 202 is stored, and nothing of the refused ones.
    expect(
      await storedCount(
        flooders.map((device) => device.series.level_cm ?? 0),
        base,
      ),
    ).toBe(flood.accepted * READINGS_PER_MESSAGE);
  });

  it('on the embedded broker: a flooding device is not acknowledged beyond its share and loses nothing; the normal device is never held up', async () => {
    const base = Math.floor(Date.now() / 1000) * 1000 - 600_000;
    const [flooder] = flooders;
    if (!flooder) throw new Error('no flooding device');
    const connect = async (device: ProvisionedDevice, reconnectPeriod: number): Promise<MqttClient> => {
      const client = await mqtt.connectAsync(server.mqttUrl, {
        clientId: device.id,
        username: device.id,
        password: device.secret,
        reconnectPeriod,
        connectTimeout: 5000,
      });
      clients.push(client);
      return client;
    };
    const floodClient = await connect(flooder, 100);
    const normalClient = await connect(normal, 0);
    let floodDisconnects = 0;
    let normalDisconnects = 0;
    floodClient.on('close', () => {
      floodDisconnects += 1;
    });
    normalClient.on('close', () => {
      normalDisconnects += 1;
    });
    const before = await metricsText(api);
    const FLOOD_MESSAGES = 60;
    let normalSent = 0;

    const acked = { flood: 0, normal: 0 };
    const acknowledged = await stallWrites(STALL_MS, async (until) => {
      const acks: Promise<unknown>[] = [];
      for (let index = 0; index < FLOOD_MESSAGES; index += 1) {
        acks.push(
          floodClient
            .publishAsync(`devices/${flooder.id}/telemetry`, JSON.stringify(message(base, index)), {
              qos: 1,
            })
            .then(() => (acked.flood += 1)),
        );
      }
      while (Date.now() < until) {
        acks.push(
          normalClient
            .publishAsync(`devices/${normal.id}/telemetry`, JSON.stringify(normalMessage(base, normalSent)), {
              qos: 1,
            })
            .then(() => (acked.normal += 1)),
        );
        normalSent += 1;
        await sleep(200);
      }
      return acks;
    });
    await Promise.race([
      Promise.all(acknowledged),
      sleep(30_000).then(() => {
        throw new Error(
          `not every message was acknowledged within 30 s of the stall: flood ${String(acked.flood)}, normal ${String(acked.normal)}`,
        );
      }),
    ]);
    const after = await metricsText(api);
    const refusedFor = (reason: string) =>
      sample(after, 'ingest_messages_refused_total', { transport: 'mqtt', reason }) -
      sample(before, 'ingest_messages_refused_total', { transport: 'mqtt', reason });

    console.log(
      `[fair-share] embedded broker: flood ${String(FLOOD_MESSAGES)} messages, refused ${String(refusedFor('device_share'))} times for its share, ` +
        `${String(floodDisconnects)} disconnects; normal ${String(normalSent)} messages, ${String(normalDisconnects)} disconnects`,
    );
    expect(refusedFor('device_share')).toBeGreaterThan(0);
    expect(normalDisconnects).toBe(0);
    expect(await storedCount([normal.series.level_cm ?? 0], base)).toBe(normalSent * NORMAL_READINGS);
    // Told to back off, it sent again what was not acknowledged: every reading of it is stored, once.
    expect(await storedCount([flooder.series.level_cm ?? 0], base)).toBe(
      FLOOD_MESSAGES * READINGS_PER_MESSAGE,
    );
  });
});
