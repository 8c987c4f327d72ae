import type { MqttClient } from 'mqtt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_DEMO_PASSWORD, demoEmail, demoTenants } from '@tidewatch/db/testing';
import { provisionDevices, type ProvisionedDevice } from '../src/testing/provision-devices.ts';
import { ServerProcess } from '../src/testing/server-process.ts';
import { TestSocket } from '../test/realtime-client.ts';
import { connectDevice, freePort, sleep, storedValues, until } from './fault-tools.ts';

const [, pune] = demoTenants;
const HOLD_MS = 20_000;
const SECRET = 'held-lock-device-secret';
// Readings carry device times an hour back, one second apart, so that no two of a series share a time.
const START_TS = Date.now() - 3_600_000;

interface Probe {
  readonly status: number;
  readonly ms: number;
}

async function timed(url: string, token: string): Promise<Probe> {
  const started = performance.now();
  const answer = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  await answer.arrayBuffer();
  return { status: answer.status, ms: performance.now() - started };
}

/** One HTTP ingest of reading `value`; the answer may wait for the commit. */
async function timedIngest(
  url: string,
  device: ProvisionedDevice,
  value: number,
): Promise<Probe & { value: number; endedAt: number }> {
  const started = performance.now();
  const answer = await fetch(`${url}/api/v1/ingest`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${device.id}:${SECRET}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ ts: START_TS + value * 1000, values: { level_cm: value } }),
  });
  await answer.arrayBuffer();
  return { status: answer.status, ms: performance.now() - started, value, endedAt: performance.now() };
}

/** A socket request that reads the alerts: its acknowledgement's status (200 for data) and time. */
async function timedResync(socket: TestSocket): Promise<Probe> {
  const started = performance.now();
  const answer = await socket.request('alerts:resync', { after: 0 }, 10_000);
  return { status: answer.ok ? 200 : answer.problem.status, ms: performance.now() - started };
}

interface Puback {
  readonly ms: number;
  readonly at: number;
}

/** QoS 1 readings 0, 1, 2… every 100 ms until `stop()`; each PUBACK's delay and time are recorded by index. */
function streamReadings(
  device: MqttClient,
  deviceId: string,
): {
  stop(): Promise<Map<number, Puback>>;
  halt(): void;
} {
  const acknowledged = new Map<number, Puback>();
  const publishes: Promise<void>[] = [];
  // An object, not a let: the loop reads what stop() sets later.
  const state = { stopped: false };
  const running = (async () => {
    for (let i = 0; !state.stopped; i += 1) {
      const sentAt = performance.now();
      const body = JSON.stringify({ ts: START_TS + i * 1000, values: { level_cm: i } });
      publishes.push(
        device.publishAsync(`devices/${deviceId}/telemetry`, body, { qos: 1 }).then(() => {
          acknowledged.set(i, { ms: performance.now() - sentAt, at: performance.now() });
        }),
      );
      await sleep(100);
    }
  })();
  return {
    async stop() {
      state.stopped = true;
      await running;
      await Promise.all(publishes);
      return acknowledged;
    },
    /** Stops sending without waiting for what is unacknowledged (after a failure). */
    halt() {
      state.stopped = true;
    },
  };
}

// A lock held for 20 s on the tables every request reads and ingest writes: answers stay bounded, ingest holds
// what it acknowledged, and service comes back at once.
describe('a held lock and a slow query', () => {
  let server: ServerProcess;
  let token: string;
  let mqttDevice: ProvisionedDevice;
  let httpDevice: ProvisionedDevice;
  const open: { device?: MqttClient; socket?: TestSocket } = {};

  beforeAll(async () => {
    server = new ServerProcess({
      port: await freePort(),
      mqttPort: await freePort(),
      databaseUrl: inject('appUrl'),
    });
    await server.start();
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: demoEmail('supervisor', pune), password: DEFAULT_DEMO_PASSWORD }),
    });
    token = ((await login.json()) as { accessToken: string }).accessToken;
    [mqttDevice, httpDevice] = (await provisionDevices(inject('adminUrl'), {
      tenantSlug: pune.slug,
      count: 2,
      metricKeys: ['level_cm'],
      secret: SECRET,
      label: 'Held lock node',
    })) as [ProvisionedDevice, ProvisionedDevice];
  });
  afterAll(async () => {
    open.socket?.close();
    await open.device?.endAsync(true);
    await server.stop();
  });

  it('answers requests and socket requests within 2.5 s while the lock is held, holds ingest, then serves again', async () => {
    const admin = new pg.Client({ connectionString: inject('adminUrl') });
    const app = new pg.Client({ connectionString: inject('appUrl') });
    await admin.connect();
    await app.connect();
    open.device = await connectDevice(server.mqttUrl, mqttDevice.id, SECRET);
    open.socket = await TestSocket.connect(server.url, { token });
    const stream = streamReadings(open.device, mqttDevice.id);
    try {
      await sleep(1000);
      await admin.query('BEGIN');
      // users and alerts: what requests read; telemetry and its rollups: what telemetry_store writes.
      await admin.query(
        'LOCK TABLE users, alerts, telemetry, telemetry_1m, telemetry_1h IN ACCESS EXCLUSIVE MODE',
      );
      const lockedAt = performance.now();
      // A slow query of the application role: ended by the role's statement timeout.
      const slowStarted = performance.now();
      const slow = app.query('SELECT pg_sleep(20)').then(
        () => ({ code: 'none', ms: performance.now() - slowStarted }),
        (error: unknown) => ({
          code: (error as { code?: string }).code ?? '?',
          ms: performance.now() - slowStarted,
        }),
      );
      const probes: Probe[] = [];
      const socketProbes: Probe[] = [];
      // Not awaited in the loop: an ingest may wait for the commit, beyond the lock.
      const ingests: Promise<Probe & { value: number; endedAt: number }>[] = [];
      const heldUntil = lockedAt + HOLD_MS;
      for (let round = 0; performance.now() < heldUntil - 3000; round += 1) {
        ingests.push(timedIngest(server.url, httpDevice, round));
        const [me, alerts, resync] = await Promise.all([
          timed(`${server.url}/api/v1/me`, token),
          timed(`${server.url}/api/v1/alerts`, token),
          timedResync(open.socket),
        ]);
        probes.push(me, alerts);
        socketProbes.push(resync);
        await sleep(500);
      }
      await sleep(Math.max(0, heldUntil - performance.now()));
      await admin.query('ROLLBACK');
      const released = performance.now();
      let recovered = await timed(`${server.url}/api/v1/me`, token);
      while (recovered.status !== 200 && performance.now() - released < 10_000) {
        await sleep(50);
        recovered = await timed(`${server.url}/api/v1/me`, token);
      }
      const recoveryMs = performance.now() - released;
      const slowResult = await slow;
      const ingested = await Promise.all(ingests);
      await sleep(1000);
      const acknowledged = await stream.stop();
      const ackedMqtt = [...acknowledged.keys()].sort((a, b) => a - b);
      const storedMqtt = await until(
        async () => {
          const values = await storedValues(mqttDevice.series.level_cm ?? 0);
          return values.length >= ackedMqtt.length ? values : undefined;
        },
        10_000,
        'every acknowledged MQTT reading stored',
      );
      const storedHttp = await storedValues(httpDevice.series.level_cm ?? 0);
      const accepted = ingested.filter((p) => p.status === 202).map((p) => p.value);
      const maxMs = Math.max(...probes.map((p) => p.ms));
      const socketMaxMs = Math.max(...socketProbes.map((p) => p.ms));
      const ingestMaxMs = Math.max(...ingested.map((p) => p.ms));
      console.log(
        JSON.stringify({
          probes: probes.length,
          statuses: [...new Set(probes.map((p) => p.status))],
          maxMs: Math.round(maxMs),
          recoveryMs: Math.round(recoveryMs),
          slowQuery: { code: slowResult.code, ms: Math.round(slowResult.ms) },
          socket: {
            requests: socketProbes.length,
            statuses: [...new Set(socketProbes.map((p) => p.status))],
            maxMs: Math.round(socketMaxMs),
          },
          httpIngest: {
            sent: ingested.length,
            statuses: [...new Set(ingested.map((p) => p.status))],
            minMs: Math.round(Math.min(...ingested.map((p) => p.ms))),
            maxMs: Math.round(ingestMaxMs),
            lastAfterReleaseMs: Math.round(Math.max(...ingested.map((p) => p.endedAt)) - released),
            stored: storedHttp.length,
          },
          mqtt: {
            acknowledged: ackedMqtt.length,
            stored: storedMqtt.length,
            maxAckMs: Math.round(Math.max(...[...acknowledged.values()].map((a) => a.ms))),
            heldAckedAfterReleaseMs: Math.round(
              Math.max(...[...acknowledged.values()].filter((a) => a.ms > 1000).map((a) => a.at)) - released,
            ),
          },
        }),
      );
      expect(probes.every((p) => p.status === 503 || p.status === 200)).toBe(true);
      expect(maxMs).toBeLessThan(2500);
      expect(socketProbes.every((p) => p.status === 503 || p.status === 200)).toBe(true);
      expect(socketMaxMs).toBeLessThan(2500);
      expect(recovered.status).toBe(200);
      expect(recoveryMs).toBeLessThan(2000);
      expect(slowResult.code).toBe('57014');
      expect(slowResult.ms).toBeLessThan(6000);
      // Ingest holds rather than refuses: answered by the end of the lock plus a few seconds.
      expect(ingested.every((p) => p.status === 202 || p.status === 503)).toBe(true);
      expect(ingestMaxMs).toBeLessThan(HOLD_MS + 5000);
      expect(storedHttp).toEqual(accepted.sort((a, b) => a - b));
      // Every PUBACKed reading exactly once, and every one sent was PUBACKed (the stream ran through the lock).
      expect(storedMqtt).toEqual(ackedMqtt);
      expect(ackedMqtt).toEqual(Array.from({ length: ackedMqtt.length }, (_, i) => i));
    } finally {
      stream.halt();
      await admin.query('ROLLBACK').catch(() => undefined);
      await admin.end();
      await app.end();
    }
  });
});
