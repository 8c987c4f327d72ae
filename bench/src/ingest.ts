import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createTestDatabase, demoTenants } from '@tidewatch/db/testing';
import type { RunningServer } from '@tidewatch/server/server';
import { removeMosquitto, SERVER_MQTT_PASSWORD, startMosquitto } from '@tidewatch/server/testing/mosquitto';
import mqtt from 'mqtt';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { startBenchServer } from './bench-server.ts';
import { provisionBenchFleet, type BenchFleet } from './ingest/bench-fleet.ts';
import { cpuSeconds, trackBackendCpu } from './ingest/process-cpu.ts';
import { runDeviceLoad } from './ingest/run-device-load.ts';
import { writeResults } from './results-file.ts';
import { machineInfo, percentile, round } from './stats.ts';

// Ingest throughput and latency: N simulated devices, each with M series, publish QoS 1 messages of S samples of
// every series over MQTT to the server (in this process, so it can time each reading from its publish time to
// the commit that stored it), with the real database. Offered rates step up until the knee (sustained falls
// short of offered, or readings are lost); each rate runs for a fixed time, then the same rows are written with
// PostgreSQL's own COPY, the database's limit for the same data, in the same run. Over the embedded broker (one
// instance), and over Mosquitto with two instances sharing a subscription. Sizes come from the environment.

const brokers = (process.env.BENCH_INGEST_BROKERS ?? 'embedded,mosquitto').split(',');
const rates = (process.env.BENCH_INGEST_RATES ?? '2000,5000,10000,20000')
  .split(',')
  .map(Number)
  .sort((a, b) => a - b);
const durationSeconds = Number(process.env.BENCH_DURATION_S ?? 20);
const deviceCount = Number(process.env.BENCH_DEVICES ?? 200);
const metricsPerDevice = Number(process.env.BENCH_METRICS_PER_DEVICE ?? 4);
const samplesPerMessage = Number(process.env.BENCH_SAMPLES_PER_MESSAGE ?? 1);
/** Past the knee: sustained below this share of offered. */
const kneeShare = Number(process.env.BENCH_KNEE_SHARE ?? 0.95);
const readingsPerMessage = metricsPerDevice * samplesPerMessage;

interface StepResult {
  offeredReadingsPerSecond: number;
  sustainedReadingsPerSecond: number;
  publishedMessages: number;
  acknowledgedMessages: number;
  storedReadings: number;
  lostReadings: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** CPU seconds over the step: the server process (the embedded broker and every instance in it) and PostgreSQL. */
  cpuSeconds: { server: number; postgres: number };
  /** COPY of as many rows, over the same series, right after the step. */
  copy: CopyResult;
  sustainedToCopyRatio: number;
  connectSeconds: number;
  pastKnee: boolean;
}

interface CopyResult {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
}

const database = await createTestDatabase({ seed: true });
const admin = new pg.Client({ connectionString: database.adminUrl });
await admin.connect();

/** One instance with its embedded broker, or two sharing a subscription on Mosquitto. */
async function startInstances(
  mosquitto: Awaited<ReturnType<typeof startMosquitto>> | null,
): Promise<RunningServer[]> {
  if (!mosquitto) return [await startBenchServer(database.appUrl)];
  return Promise.all(
    ['1', '2'].map((instance) =>
      startBenchServer(database.appUrl, {
        MQTT_URL: mosquitto.serverUrl,
        MQTT_PASSWORD: SERVER_MQTT_PASSWORD,
        MQTT_CLIENT_ID: `tidewatch-bench-${instance}`,
        MQTT_SHARE_GROUP: 'bench',
      }),
    ),
  );
}

async function benchBroker(broker: string, fleet: BenchFleet): Promise<StepResult[]> {
  const mosquitto = broker === 'mosquitto' ? await startMosquitto(database.adminUrl) : null;
  const servers = await startInstances(mosquitto);
  const brokerUrl = mosquitto ? mosquitto.url : `mqtt://127.0.0.1:${String(servers[0]?.mqttPort)}`;
  let latencies: number[] = [];
  let stored = 0;
  let window = { from: 0, to: 0 };
  let storedInWindow = 0;
  for (const server of servers)
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
      // Every reading is stamped when it is published, after this; the window ends `durationSeconds` after the
      // devices, once connected, start publishing, and CPU is counted from then.
      window = { from: Date.now(), to: Number.MAX_SAFE_INTEGER };
      const counted: { server: Promise<number> | null; postgres: ReturnType<typeof trackBackendCpu> | null } =
        {
          server: null,
          postgres: null,
        };
      const result = await runDeviceLoad(
        {
          brokerUrl,
          devices: fleet.devices,
          metricKeys: fleet.metricKeys,
          samplesPerMessage,
          messagesPerSecond: rate / readingsPerMessage,
          durationSeconds,
        },
        () => {
          window = { from: window.from, to: Date.now() + durationSeconds * 1000 };
          counted.server = cpuSeconds(process.pid);
          counted.postgres = trackBackendCpu(admin);
        },
      );
      // Wait until what was sent is stored (for Mosquitto, until the servers have caught up).
      const expected = result.sent * readingsPerMessage;
      const deadline = Date.now() + 60_000;
      while (stored < expected && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 200));
      if (!counted.server || !counted.postgres) throw new Error('the load generator never started');
      const cpu = {
        server: round((await cpuSeconds(process.pid)) - (await counted.server), 2),
        postgres: round(await counted.postgres.stop(), 2),
      };
      const sorted = latencies.sort((a, b) => a - b);
      const sustained = round(storedInWindow / durationSeconds);
      const copy = await copyRate(fleet.seriesIds, Math.max(stored, 10_000));
      const step: StepResult = {
        offeredReadingsPerSecond: rate,
        sustainedReadingsPerSecond: sustained,
        publishedMessages: result.sent,
        acknowledgedMessages: result.acknowledged,
        storedReadings: stored,
        lostReadings: expected - stored,
        latencyMs: {
          p50: percentile(sorted, 0.5),
          p90: percentile(sorted, 0.9),
          p99: percentile(sorted, 0.99),
          max: sorted.at(-1) ?? Number.NaN,
        },
        cpuSeconds: cpu,
        copy,
        sustainedToCopyRatio: round(sustained / copy.rowsPerSecond, 3),
        connectSeconds: round(result.connectSeconds, 1),
        pastKnee: sustained < rate * kneeShare || expected - stored > 0,
      };
      results.push(step);
      console.log(broker, step);
      if (step.pastKnee) break;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  } finally {
    await Promise.all(servers.map((server) => server.close()));
    if (mosquitto) await removeMosquitto(mosquitto);
  }
  return results;
}

/**
 * Mosquitto's own pass-through for the same load: the devices publish as fast as they are told to, a plain
 * subscriber (no database) counts what arrives. The broker's limit for the ingest figures over Mosquitto.
 */
async function brokerPassThrough(
  fleet: BenchFleet,
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
    let started = 0;
    await runDeviceLoad(
      {
        brokerUrl: mosquitto.url,
        devices: fleet.devices,
        metricKeys: fleet.metricKeys,
        samplesPerMessage,
        messagesPerSecond: offered / readingsPerMessage,
        durationSeconds,
      },
      () => {
        started = Date.now();
      },
    );
    await subscriber.endAsync();
    const seconds = Math.max(durationSeconds, (last - started) / 1000);
    return {
      offeredReadingsPerSecond: offered,
      readingsPerSecond: round((received * readingsPerMessage) / seconds),
    };
  } finally {
    await removeMosquitto(mosquitto);
  }
}

/** COPY of `rows` readings spread over `series` into the partitioned telemetry table, then removed; rows/s. */
async function copyRate(series: readonly number[], rows: number): Promise<CopyResult> {
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
  const provisionStarted = performance.now();
  const fleet = await provisionBenchFleet(admin, database.adminUrl, {
    tenantSlug: demoTenants[0].slug,
    devices: deviceCount,
    metricsPerDevice,
  });
  const provisionSeconds = round((performance.now() - provisionStarted) / 1000, 1);
  console.log(
    `provisioned ${String(deviceCount)} devices, ${String(fleet.seriesIds.length)} series in ${String(provisionSeconds)} s`,
  );
  const results: Record<string, StepResult[]> = {};
  for (const broker of brokers) results[broker] = await benchBroker(broker, fleet);
  const brokerPassThroughLimit = brokers.includes('mosquitto') ? await brokerPassThrough(fleet) : null;
  const steps = Object.values(results).flat();
  const best = steps.reduce<StepResult | null>(
    (top, step) => (top && top.sustainedReadingsPerSecond >= step.sustainedReadingsPerSecond ? top : step),
    null,
  );
  const report = {
    benchmark: 'ingest',
    at: new Date().toISOString(),
    machine: machineInfo(),
    note:
      'Open loop over MQTT QoS 1, rates stepped up to the knee; latency is from each reading’s publish time to ' +
      'the commit that stored it (alert evaluation included in the same process). Sustained = readings ' +
      'committed during the offered window per second. CPU: seconds of the server process (every instance, and ' +
      'the embedded broker) and of the PostgreSQL backends of the benchmark’s database over the step. The limit ' +
      'of each step is COPY of as many rows over the same series into the same partitioned telemetry table ' +
      '(no rollups), right after it. Mosquitto: two server instances sharing one subscription.',
    settings: {
      brokers,
      offeredReadingsPerSecond: rates,
      durationSeconds,
      devices: deviceCount,
      metricsPerDevice,
      series: fleet.seriesIds.length,
      samplesPerMessage,
      readingsPerMessage,
      kneeShare,
      provisionSeconds,
      instances: { embedded: 1, mosquitto: 2 },
    },
    results,
    limit: {
      copy: best?.copy ?? null,
      bestSustainedToCopyRatio: best?.sustainedToCopyRatio ?? null,
      ...(brokerPassThroughLimit ? { brokerPassThrough: brokerPassThroughLimit } : {}),
    },
  };
  await writeResults('ingest', report);
  console.log(JSON.stringify(report.limit));
} finally {
  await admin.end();
  await database.drop();
}
