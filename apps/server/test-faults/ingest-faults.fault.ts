import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_DEMO_PASSWORD, demoEmail, demoTenants } from '@tidewatch/db/testing';
import {
  removeMosquitto,
  SERVER_MQTT_PASSWORD,
  startMosquitto,
  type TestMosquitto,
} from '../src/testing/mosquitto.ts';
import { provisionDevices, type ProvisionedDevice } from '../src/testing/provision-devices.ts';
import { ServerProcess } from '../src/testing/server-process.ts';
import {
  adminQuery,
  connectDevice,
  freePort,
  publishStream,
  sleep,
  storedValues,
  until,
} from './fault-tools.ts';

const run = promisify(execFile);
const [, pune] = demoTenants;
const SECRET = 'fault-device-secret';
const COUNT = 1200;
const RATE = 150;

/** Every index 0..count-1 once: what "each acknowledged reading stored exactly once" means here. */
const everyIndex = (count: number): number[] => Array.from({ length: count }, (_, i) => i);

/** A high-level rule on `seriesId`, created through the API as a supervisor; returns its id. */
async function createHighRule(baseUrl: string, seriesId: number, setpoint: number): Promise<string> {
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: demoEmail('supervisor', pune), password: DEFAULT_DEMO_PASSWORD }),
  });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const created = await fetch(`${baseUrl}/api/v1/alert-rules`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: `Fault high ${String(seriesId)}`,
      condition: 'high',
      priority: 'critical',
      scope: 'series',
      seriesId,
      setpoint,
      deadband: 1,
    }),
  });
  if (created.status !== 201) throw new Error(`rule: ${String(created.status)} ${await created.text()}`);
  return ((await created.json()) as { id: string }).id;
}

/** Waits (up to a minute: an external broker may still be redelivering) for readings 0..COUNT-1, each once. */
async function expectEveryReadingStored(seriesId: number): Promise<void> {
  const stored = await until(
    async () => {
      const values = await storedValues(seriesId);
      return values.length >= COUNT ? values : undefined;
    },
    60_000,
    'every reading stored',
  );
  expect(stored).toEqual(everyIndex(COUNT));
}

async function restartPostgres(): Promise<void> {
  const { stdout } = await run('bash', ['-c', 'ls /etc/postgresql']);
  const version = stdout.trim().split('\n')[0] ?? '15';
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart', '-m', 'fast']);
}

describe('ingest under faults: every acknowledged QoS 1 reading is stored exactly once', () => {
  let devices: ProvisionedDevice[];
  let broker: TestMosquitto;
  const open: { server?: ServerProcess | undefined; device?: MqttClient | undefined } = {};

  beforeAll(async () => {
    devices = await provisionDevices(inject('adminUrl'), {
      tenantSlug: pune.slug,
      count: 5,
      metricKeys: ['level_cm'],
      secret: SECRET,
      label: 'Fault node',
    });
    broker = await startMosquitto(inject('adminUrl'));
  });
  afterEach(async () => {
    await open.device?.endAsync(true);
    await open.server?.stop();
    open.device = undefined;
    open.server = undefined;
  });
  afterAll(async () => {
    await removeMosquitto(broker);
  });

  const deviceAt = (index: number): { id: string; seriesId: number } => {
    const device = devices[index];
    if (!device) throw new Error('no device');
    return { id: device.id, seriesId: device.series.level_cm ?? 0 };
  };

  /** A server process, stopped after the test: on the test's Mosquitto as `clientId`, or with its own broker. */
  async function startServerWith(
    mode: 'mosquitto' | 'embedded',
    clientId = 'fault-server',
    env: Record<string, string> = {},
  ): Promise<ServerProcess> {
    const server = new ServerProcess({
      port: await freePort(),
      databaseUrl: inject('appUrl'),
      ...(mode === 'embedded'
        ? { mqttPort: await freePort(), env }
        : {
            env: {
              MQTT_URL: broker.serverUrl,
              MQTT_PASSWORD: SERVER_MQTT_PASSWORD,
              MQTT_CLIENT_ID: clientId,
              ...env,
            },
          }),
    });
    open.server = server;
    await server.start();
    return server;
  }

  /** One device publishes the stream through `brokerUrl` while `fault` happens; each message must be acknowledged. */
  async function streamThrough(
    brokerUrl: string,
    deviceId: string,
    fault: () => Promise<void>,
  ): Promise<void> {
    const device = await connectDevice(brokerUrl, deviceId, SECRET);
    open.device = device;
    const acknowledged = await publishStream(
      device,
      deviceId,
      { count: COUNT, perSecond: RATE, metric: 'level_cm', startTs: Date.now() - 3_600_000 },
      fault,
    );
    expect(acknowledged).toEqual(everyIndex(COUNT));
  }

  it('survives kill -9 of the server with an external broker holding its persistent session, raising one alert', async () => {
    const { id, seriesId } = deviceAt(0);
    const server = await startServerWith('mosquitto', 'fault-server-kill');
    // The level crosses the rule's setpoint just as the server is killed, and stays above it.
    const ruleId = await createHighRule(server.url, seriesId, COUNT / 3 + 5);
    await streamThrough(broker.url, id, async () => {
      await server.kill();
      await sleep(2000);
      await server.start();
    });
    await expectEveryReadingStored(seriesId);
    const alerts = await until(
      async () => {
        const rows = await adminQuery<{ state: string }>('SELECT state FROM alerts WHERE rule_id = $1', [
          ruleId,
        ]);
        return rows.length > 0 ? rows : undefined;
      },
      30_000,
      'the alert',
    );
    expect(alerts).toEqual([{ state: 'active_unacknowledged' }]);
  });

  it('survives kill -9 of the server running the embedded broker: devices resend what was not acknowledged', async () => {
    const { id, seriesId } = deviceAt(1);
    const server = await startServerWith('embedded');
    await streamThrough(server.mqttUrl, id, async () => {
      await server.kill();
      await sleep(1000);
      await server.start();
    });
    // Acknowledged by the embedded broker means committed: nothing to wait for.
    expect(await storedValues(seriesId)).toEqual(everyIndex(COUNT));
  });

  it('survives a broker restart: devices and server reconnect, the broker kept what it had', async () => {
    const { id, seriesId } = deviceAt(2);
    await startServerWith('mosquitto', 'fault-server-broker');
    await streamThrough(broker.url, id, async () => {
      await broker.stop();
      await sleep(1500);
      await broker.start();
    });
    await expectEveryReadingStored(seriesId);
  });

  it('survives a PostgreSQL restart: the queue holds, retries, and acknowledges only what is committed', async () => {
    const { id, seriesId } = deviceAt(3);
    const server = await startServerWith('embedded');
    await streamThrough(server.mqttUrl, id, restartPostgres);
    await expectEveryReadingStored(seriesId);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(Number(/ingest_write_failures_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
  });

  it('survives kill -9 between a commit and the rollup job: the dirty buckets wait, then the rollups are right', async () => {
    const { id, seriesId } = deviceAt(4);
    // A rollup job that would not run for a minute: every reading is committed, none rolled up, when it dies.
    const first = await startServerWith('embedded', 'fault-server-rollup', {
      TELEMETRY_ROLLUP_INTERVAL_MS: '60000',
    });
    await streamThrough(first.mqttUrl, id, () => Promise.resolve());
    await first.kill();
    const dirtyCount = async (): Promise<number> => {
      const [row] = await adminQuery<{ n: number }>(
        'SELECT count(*)::int AS n FROM telemetry_dirty WHERE series_id = $1',
        [seriesId],
      );
      return row?.n ?? 0;
    };
    expect(await dirtyCount()).toBeGreaterThan(0);

    await startServerWith('embedded', 'fault-server-rollup', { TELEMETRY_ROLLUP_INTERVAL_MS: '200' });
    await until(async () => ((await dirtyCount()) === 0 ? true : undefined), 30_000, 'the rollup job');

    expect(await storedValues(seriesId)).toEqual(everyIndex(COUNT));
    // Each minute and hour bucket equal to its raw readings, none missing, none extra.
    for (const [table, unit] of [
      ['telemetry_1m', 'minute'],
      ['telemetry_1h', 'hour'],
    ] as const) {
      const wrong = await adminQuery(
        `WITH raw AS (
           SELECT date_trunc('${unit}', time) AS bucket, count(*)::int AS count, sum(value) AS sum,
                  min(value) AS min, max(value) AS max
             FROM telemetry WHERE series_id = $1 GROUP BY 1)
         SELECT raw.bucket, r.bucket AS rollup FROM raw FULL JOIN (SELECT * FROM ${table} WHERE series_id = $1) r
             ON r.bucket = raw.bucket
          WHERE r.count IS DISTINCT FROM raw.count OR r.sum IS DISTINCT FROM raw.sum
             OR r.min IS DISTINCT FROM raw.min OR r.max IS DISTINCT FROM raw.max`,
        [seriesId],
      );
      expect(wrong).toEqual([]);
    }
  });
});
