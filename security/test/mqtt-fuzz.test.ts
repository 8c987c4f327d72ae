import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminDb } from '../src/admin-db.ts';
import { ApiClient } from '../src/api-client.ts';
import {
  buildMqttCase,
  predictOther,
  predictTelemetry,
  READING_OUTCOMES,
  TimeSlots,
  type FuzzMetric,
  type MqttWindow,
} from '../src/fuzz/mqtt-cases.ts';
import { runBounded } from '../src/fuzz/run-bounded.ts';
import { parsePrometheus, sumOf } from '../src/prometheus-text.ts';
import { Random, runSeed } from '../src/random.ts';
import { fuzzBudget, reportResults } from '../src/results.ts';
import { startSecurityServer, type RunningServer } from '../src/test-server.ts';

const [, tenantA] = demoTenants;

/** A QoS 1 publish the server never acknowledges would wait forever: give up, and say so. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no acknowledgement within ${String(ms)} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
const MAX_PAYLOAD = 262_144;
const DAY = 86_400_000;

describe('MQTT fuzzer', () => {
  const seed = runSeed();
  const budget = fuzzBudget();
  let server: RunningServer;
  let api: ApiClient;
  let db: AdminDb;
  let client: MqttClient;
  let device: { id: string; secret: string };
  let metrics: FuzzMetric[];
  let disconnects = 0;

  const scrape = async (): Promise<Map<string, number>> =>
    parsePrometheus((await api.call<string>('GET', '/metrics')).text);

  beforeAll(async () => {
    console.log(`[security] MQTT fuzz seed ${String(seed)} (replay with SECURITY_SEED=${String(seed)})`);
    server = await startSecurityServer({ MQTT_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD) });
    api = new ApiClient(server.url);
    db = new AdminDb();
    const token = (await api.login(demoEmail('admin', tenantA))).accessToken;
    const created = await api.expect<{
      device: { id: string; series: { id: number; metricKey: string }[] };
      secret: string;
    }>(201, 'POST', '/api/v1/devices', {
      token,
      body: { name: `MQTT fuzz ${String(seed)}`, metricKeys: ['level_cm', 'pressure_bar', 'pump_state'] },
    });
    device = { id: created.device.id, secret: created.secret };
    const catalogue = await api.expect<{
      items: { key: string; validMin: number | null; validMax: number | null }[];
    }>(200, 'GET', '/api/v1/metrics?limit=500', { token });
    metrics = created.device.series.map((series) => {
      const metric = catalogue.items.find((m) => m.key === series.metricKey);
      return {
        key: series.metricKey,
        seriesId: series.id,
        min: metric?.validMin ?? null,
        max: metric?.validMax ?? null,
      };
    });
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${String(server.mqttPort)}`, {
      clientId: device.id,
      username: device.id,
      password: device.secret,
      reconnectPeriod: 200,
      connectTimeout: 5000,
    });
    client.on('close', () => {
      disconnects += 1;
    });
  });

  afterAll(async () => {
    await client.endAsync(true);
    await api.close();
    await db.close();
    await server.close();
  });

  it('drops a command acknowledgement the database cannot store (a NUL byte) instead of disconnecting the device', async () => {
    // The device's own connection: a second one with its client id would take the first one's place.
    const disconnectsBefore = disconnects;
    const before = await scrape();
    const acks = [
      { id: '6a0c2f4e-2c5b-4c1e-9a3b-1d2e3f4a5b6c', status: 'ok', result: { note: 'nul \u0000 byte' } },
      { id: '6a0c2f4e-2c5b-4c1e-9a3b-1d2e3f4a5b6c', status: 'error', message: 'nul \u0000 byte' },
    ];

    // QoS 1: without a PUBACK the device would send the same message again after every reconnect, forever.
    for (const ack of acks)
      await withTimeout(
        client.publishAsync(`devices/${device.id}/commands/ack`, JSON.stringify(ack), { qos: 1 }),
        5000,
      );

    const after = await scrape();
    expect(disconnects).toBe(disconnectsBefore);
    expect(
      sumOf(after, 'ingest_messages_refused_total', { transport: 'mqtt', reason: 'malformed' }) -
        sumOf(before, 'ingest_messages_refused_total', { transport: 'mqtt', reason: 'malformed' }),
    ).toBe(2);
  });

  it('refuses and counts every bad message, stores exactly the valid readings, and keeps serving', async () => {
    const random = new Random(seed).fork('mqtt');
    const now = Date.now();
    const window: MqttWindow = { now, maxFutureMs: 300_000, maxAgeMs: 7 * DAY, maxPayloadBytes: MAX_PAYLOAD };
    const slots = new TimeSlots(now - 6.5 * DAY);
    const before = await scrape();
    const expectedRefused = { malformed: 0, too_large: 0 };
    const expectedOutcomes: Record<string, number> = Object.fromEntries(READING_OUTCOMES.map((o) => [o, 0]));
    const expectedStored = new Set<string>();
    const kinds: Record<string, number> = {};
    const publishFailures: string[] = [];
    const dropped: string[] = [];
    const started = Date.now();

    const sendCase = async (index: number): Promise<void> => {
      const testCase = buildMqttCase(index, metrics, slots, window, random.fork(String(index)));
      kinds[testCase.kind] = (kinds[testCase.kind] ?? 0) + 1;
      const prediction =
        testCase.subtopic === 'telemetry'
          ? predictTelemetry(testCase.payload, metrics, window)
          : predictOther(testCase);
      if (prediction.refused) expectedRefused[prediction.refused] += 1;
      for (const outcome of prediction.outcomes)
        expectedOutcomes[outcome] = (expectedOutcomes[outcome] ?? 0) + 1;
      for (const reading of prediction.stored) expectedStored.add(reading);
      const disconnectsBefore = disconnects;
      try {
        await withTimeout(
          client.publishAsync(`devices/${device.id}/${testCase.subtopic}`, testCase.payload, {
            qos: testCase.qos,
          }),
          10_000,
        );
      } catch (error) {
        publishFailures.push(
          `#${String(index)} ${testCase.kind}: ${String(error)} ${testCase.payload.toString('utf8').slice(0, 120)}`,
        );
      }
      if (disconnects > disconnectsBefore) {
        dropped.push(
          `#${String(index)} ${testCase.kind} ${testCase.subtopic}: ${testCase.payload.toString('utf8').slice(0, 120)}`,
        );
      }
    };
    // In chunks ending with a QoS 1 message: its PUBACK comes once it is committed, so the run never gets more
    // than a chunk ahead of the database (the full-queue back-pressure is the fault tests' subject, not this one's).
    const CHUNK = 500;
    for (let first = 0; first < budget.mqtt; first += CHUNK) {
      await runBounded(Math.min(CHUNK, budget.mqtt - first), 32, (offset) => sendCase(first + offset));
    }

    // Everything is counted once it is handled; accepted readings once they are committed.
    let after = await scrape();
    const counted = (samples: Map<string, number>) =>
      READING_OUTCOMES.every(
        (o) =>
          sumOf(samples, 'ingest_readings_total', { transport: 'mqtt', outcome: o }) -
            sumOf(before, 'ingest_readings_total', { transport: 'mqtt', outcome: o }) >=
          (expectedOutcomes[o] ?? 0),
      ) &&
      sumOf(samples, 'ingest_messages_refused_total', { transport: 'mqtt' }) -
        sumOf(before, 'ingest_messages_refused_total', { transport: 'mqtt' }) >=
        expectedRefused.malformed + expectedRefused.too_large;
    for (let waited = 0; !counted(after) && waited < 120; waited += 1) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      after = await scrape();
    }
    const seconds = (Date.now() - started) / 1000;
    const delta = (name: string, labels: Record<string, string>) =>
      sumOf(after, name, labels) - sumOf(before, name, labels);
    const actualOutcomes = Object.fromEntries(
      READING_OUTCOMES.map((o) => [o, delta('ingest_readings_total', { transport: 'mqtt', outcome: o })]),
    );
    const actualRefused = {
      malformed: delta('ingest_messages_refused_total', { transport: 'mqtt', reason: 'malformed' }),
      too_large: delta('ingest_messages_refused_total', { transport: 'mqtt', reason: 'too_large' }),
      byReason: Object.fromEntries(
        [...after.keys()]
          .filter((key) => key.startsWith('ingest_messages_refused_total{transport="mqtt"'))
          .map((key) => [
            key.replace(/.*reason="([^"]+)".*/, '$1'),
            delta('ingest_messages_refused_total', {
              transport: 'mqtt',
              reason: key.replace(/.*reason="([^"]+)".*/, '$1'),
            }),
          ]),
      ),
      other:
        delta('ingest_messages_refused_total', { transport: 'mqtt' }) -
        delta('ingest_messages_refused_total', { transport: 'mqtt', reason: 'malformed' }) -
        delta('ingest_messages_refused_total', { transport: 'mqtt', reason: 'too_large' }),
    };
    const rows = await db.query<{ reading: string }>(
      `SELECT series_id || '|' || (extract(epoch FROM time) * 1000)::bigint || '|' || value AS reading
         FROM telemetry WHERE series_id = ANY($1::int[])`,
      [metrics.map((m) => m.seriesId)],
    );
    const stored = new Set(rows.map((row) => row.reading));
    const missing = [...expectedStored].filter((r) => !stored.has(r));
    const unexpected = [...stored].filter((r) => !expectedStored.has(r));
    const ready = await api.call('GET', '/health/ready');
    await reportResults('mqtt-fuzz', {
      seed,
      cases: budget.mqtt,
      seconds,
      kinds,
      expectedRefused,
      actualRefused,
      expectedOutcomes,
      actualOutcomes,
      readingsStored: stored.size,
      missing: missing.length,
      unexpected: unexpected.length,
      disconnects,
      publishFailures: publishFailures.length,
      ready: ready.status,
    });

    expect(publishFailures.slice(0, 5)).toEqual([]);
    expect(dropped.slice(0, 5)).toEqual([]);
    expect(disconnects).toBe(0);
    expect({ ...actualRefused, byReason: undefined }).toEqual({
      ...expectedRefused,
      other: 0,
      byReason: undefined,
    });
    expect(actualOutcomes).toEqual(expectedOutcomes);
    expect(missing.slice(0, 5)).toEqual([]);
    expect(unexpected.slice(0, 5)).toEqual([]);
    expect(stored.size).toBe(expectedStored.size);
    expect(ready.status).toBe(200);
  });
});
