import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createTestDatabase, demoTenants } from '@tidewatch/db/testing';
import { provisionDevices } from '@tidewatch/server/testing/provision-devices';
import { removeMosquitto, SERVER_MQTT_PASSWORD, startMosquitto } from '@tidewatch/server/testing/mosquitto';
import mqtt from 'mqtt';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { startBenchServer } from './bench-server.ts';
import { runDeviceLoad } from './ingest/run-device-load.ts';
import { writeResults } from './results-file.ts';
import { machineInfo, percentile, round } from './stats.ts';

// Ingest throughput and latency: N simulated devices publish QoS 1 messages of four readings over MQTT to the
// server (in this process, so it can time each reading from its publish time to the commit that stored it),
// with the real database. Each offered rate runs for a fixed time; then the same number of rows is written with
// PostgreSQL's own COPY, the database's limit for the same data, in the same run. Sizes come from the environment.

const brokers = (process.env.BENCH_INGEST_BROKERS ?? 'embedded,mosquitto').split(',');
const rates = (process.env.BENCH_INGEST_RATES ?? '2000,5000,10000,20000').split(',').map(Number);
const durationSeconds = Number(process.env.BENCH_DURATION_S ?? 20);
const deviceCount = Number(process.env.BENCH_DEVICES ?? 200);
const READINGS_PER_MESSAGE = 4;
const METRICS = ['level_cm', 'flow_lpm', 'pressure_bar', 'pump_state'];
const SECRET = 'bench-device-secret';

interface StepResult {
  offeredReadingsPerSecond: number;
  sustainedReadingsPerSecond: number;
  publishedMessages: number;
  acknowledgedMessages: number;
  storedReadings: number;
  lostReadings: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

const database = await createTestDatabase({ seed: true });
const admin = new pg.Client({ connectionString: database.adminUrl });
await admin.connect();

async function benchBroker(broker: string, devices: { id: string; secret: string }[]): Promise<StepResult[]> {
  const mosquitto = broker === 'mosquitto' ? await startMosquitto(database.adminUrl) : null;
  const server = await startBenchServer(
    database.appUrl,
    mosquitto
      ? {
          MQTT_URL: mosquitto.serverUrl,
          MQTT_PASSWORD: SERVER_MQTT_PASSWORD,
          MQTT_CLIENT_ID: 'tidewatch-bench',
        }
      : {},
  );
  const brokerUrl = mosquitto ? mosquitto.url : `mqtt://127.0.0.1:${String(server.mqttPort)}`;
  let latencies: number[] = [];
  let stored = 0;
  let window = { from: 0, to: 0 };
  let storedInWindow = 0;
  server.bus.on('telemetry.stored', (event) => {
    const now = Date.now();
    for (const reading of event.readings) {
      if (reading.time < window.from) continue;
      stored += 1;
      latencies.push(now - reading.time);
      if (now <= window.to) storedInWindow += 1;
    }
  });
  const results: StepResult[] = [];
  try {
    for (const rate of rates) {
      latencies = [];
      stored = 0;
      storedInWindow = 0;
      const start = Date.now();
      window = { from: start, to: start + durationSeconds * 1000 };
      const load = await runDeviceLoad({
        brokerUrl,
        devices,
        messagesPerSecond: rate / READINGS_PER_MESSAGE,
        durationSeconds,
      });
      // Wait until what was acknowledged is stored (for Mosquitto, until the server has caught up).
      const expected = load.sent * READINGS_PER_MESSAGE;
      const deadline = Date.now() + 60_000;
      while (stored < expected && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 200));
      const sorted = latencies.sort((a, b) => a - b);
      results.push({
        offeredReadingsPerSecond: rate,
        sustainedReadingsPerSecond: round(storedInWindow / durationSeconds),
        publishedMessages: load.sent,
        acknowledgedMessages: load.acknowledged,
        storedReadings: stored,
        lostReadings: expected - stored,
        latencyMs: {
          p50: percentile(sorted, 0.5),
          p90: percentile(sorted, 0.9),
          p99: percentile(sorted, 0.99),
          max: sorted.at(-1) ?? Number.NaN,
        },
      });
      console.log(broker, results.at(-1));
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  } finally {
    await server.close();
    if (mosquitto) await removeMosquitto(mosquitto);
  }
  return results;
}

/**
 * Mosquitto's own pass-through for the same load: the devices publish as fast as they are told to, a plain
 * subscriber (no database) counts what arrives. The broker's limit for the ingest figures over Mosquitto.
 */
async function brokerPassThrough(
  devices: { id: string; secret: string }[],
): Promise<{ offeredReadingsPerSecond: number; readingsPerSecond: number }> {
  const offered = Number(process.env.BENCH_PASSTHROUGH_READINGS_PER_S ?? 40_000);
  const mosquitto = await startMosquitto(database.adminUrl);
  try {
    const subscriber = await mqtt.connectAsync(mosquitto.serverUrl, {
      username: 'tidewatch-server',
      password: SERVER_MQTT_PASSWORD,
    });
    let received = 0;
    let last = 0;
    subscriber.on('message', () => {
      received += 1;
      last = Date.now();
    });
    await subscriber.subscribeAsync('devices/+/telemetry', { qos: 1 });
    const started = Date.now();
    await runDeviceLoad({
      brokerUrl: mosquitto.url,
      devices,
      messagesPerSecond: offered / READINGS_PER_MESSAGE,
      durationSeconds,
    });
    await subscriber.endAsync();
    const seconds = Math.max(durationSeconds, (last - started) / 1000);
    return {
      offeredReadingsPerSecond: offered,
      readingsPerSecond: round((received * READINGS_PER_MESSAGE) / seconds),
    };
  } finally {
    await removeMosquitto(mosquitto);
  }
}

/** COPY of `rows` readings of the bench devices' series into the partitioned telemetry table; rows/s. */
async function copyRate(rows: number): Promise<{ rows: number; seconds: number; rowsPerSecond: number }> {
  const series = (
    await admin.query<{ id: number }>(
      `SELECT s.id FROM series s JOIN devices d ON d.id = s.device_id WHERE d.name LIKE 'Bench device %'`,
    )
  ).rows.map((row) => row.id);
  // A day ahead, inside partitions made in advance, so the rows collide with nothing ingest stored.
  const base = Date.now() + 86_400_000;
  function* lines(): Generator<string> {
    for (let i = 0; i < rows; i += 1) {
      const seriesId = series[i % series.length] ?? 0;
      const time = new Date(base + Math.floor(i / series.length) * 10).toISOString();
      yield `${String(seriesId)}\t${time}\t${String(100 + (i % 50))}\n`;
    }
  }
  const started = performance.now();
  await pipeline(
    Readable.from(lines()),
    admin.query(copyFrom('COPY telemetry (series_id, time, value) FROM STDIN')),
  );
  const seconds = (performance.now() - started) / 1000;
  await admin.query('DELETE FROM telemetry WHERE time >= $1', [new Date(base)]);
  return { rows, seconds: round(seconds, 2), rowsPerSecond: round(rows / seconds) };
}

try {
  const devices = await provisionDevices(database.adminUrl, {
    tenantSlug: demoTenants[0].slug,
    count: deviceCount,
    metricKeys: METRICS,
    secret: SECRET,
    label: 'Bench device',
  });
  const results: Record<string, StepResult[]> = {};
  for (const broker of brokers) results[broker] = await benchBroker(broker, devices);
  const largest = Math.max(
    ...Object.values(results).flatMap((steps) => steps.map((step) => step.storedReadings)),
  );
  const copy = await copyRate(Math.max(largest, 100_000));
  const brokerPassThroughLimit = brokers.includes('mosquitto') ? await brokerPassThrough(devices) : null;
  const best = Math.max(
    ...Object.values(results).flatMap((steps) => steps.map((step) => step.sustainedReadingsPerSecond)),
  );
  const report = {
    benchmark: 'ingest',
    at: new Date().toISOString(),
    machine: machineInfo(),
    note:
      'Open loop over MQTT QoS 1; latency is from each message’s publish time to the commit that stored it ' +
      '(alert evaluation included in the same process). Sustained = readings committed during the offered window ' +
      'per second. The limit is COPY of as many rows into the same partitioned telemetry table (no rollups).',
    settings: {
      brokers,
      offeredReadingsPerSecond: rates,
      durationSeconds,
      devices: deviceCount,
      readingsPerMessage: READINGS_PER_MESSAGE,
    },
    results,
    limit: {
      copy,
      bestSustainedToCopyRatio: round(best / copy.rowsPerSecond, 3),
      ...(brokerPassThroughLimit ? { brokerPassThrough: brokerPassThroughLimit } : {}),
    },
  };
  await writeResults('ingest', report);
  console.log(JSON.stringify(report.limit));
} finally {
  await admin.end();
  await database.drop();
}
