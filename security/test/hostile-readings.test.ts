import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import {
  removeMosquitto,
  SERVER_MQTT_PASSWORD,
  startMosquitto,
  type TestMosquitto,
} from '@tidewatch/server/testing/mosquitto';
import {
  maxReadingMagnitude,
  minReadingMagnitude,
  type IngestResult,
  type ReadingMessage,
} from '@tidewatch/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AdminDb } from '../src/admin-db.ts';
import { ApiClient } from '../src/api-client.ts';
import { parsePrometheus, sumOf } from '../src/prometheus-text.ts';
import { Random, runSeed } from '../src/random.ts';
import { reportResults } from '../src/results.ts';
import { startSecurityServer, type RunningServer } from '../src/test-server.ts';

const [tenantB, tenantA] = demoTenants;
const TRANSPORTS = ['http', 'embedded', 'mosquitto'] as const;
type Transport = (typeof TRANSPORTS)[number];
/** Rounds per transport; each sends one message from the hostile device and one from the innocent, together. */
const ROUNDS = Number(process.env.SECURITY_HOSTILE_ROUNDS ?? '30');
/** The calibration of the scaled metric: turns a large but storable value into one that is not. */
const SCALE = 1e6;
const RAW = 'hostile_raw';
const SCALED = 'hostile_scaled';

/** Values at and past every edge a double has, and past the stored limit, with and without the calibration. */
const EXTREMES: readonly number[] = [
  1.7e308,
  -1.7e308,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  1e308,
  5e-324,
  -5e-324,
  Number.MIN_VALUE,
  2.2250738585072014e-308,
  minReadingMagnitude,
  -minReadingMagnitude,
  minReadingMagnitude * (1 - Number.EPSILON),
  minReadingMagnitude / SCALE,
  -0,
  0,
  maxReadingMagnitude,
  -maxReadingMagnitude,
  maxReadingMagnitude * (1 + Number.EPSILON),
  maxReadingMagnitude * (1 - Number.EPSILON),
  maxReadingMagnitude / SCALE,
  (maxReadingMagnitude / SCALE) * 1.0000001,
  -1e95,
  1e94,
  1e-308,
  2 ** 53 + 2,
];

interface HostileDevice {
  readonly id: string;
  readonly secret: string;
  readonly raw: number;
  readonly scaled: number;
}

interface InnocentDevice {
  readonly id: string;
  readonly secret: string;
  readonly level: number;
}

interface Expected {
  /** `series|time|value` of every reading that must be stored. */
  readonly stored: Set<string>;
  accepted: number;
  overflow: number;
  underflow: number;
}

const key = (seriesId: number, time: number, value: number): string =>
  // -0 arrives as 0: JSON has no negative zero.
  `${String(seriesId)}|${String(time)}|${String(value === 0 ? 0 : value)}`;

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

describe('hostile readings: numeric extremes beside a well-behaved device of another tenant', () => {
  const seed = runSeed();
  let db: AdminDb;
  let mosquitto: TestMosquitto;
  let embedded: RunningServer;
  let external: RunningServer;
  let embeddedApi: ApiClient;
  let externalApi: ApiClient;
  const hostile = new Map<Transport, HostileDevice>();
  const innocent = new Map<Transport, InnocentDevice>();
  const clients: MqttClient[] = [];
  const disconnects: Record<string, number> = {};

  async function createDevice(
    api: ApiClient,
    token: string,
    name: string,
    transport: 'http' | 'mqtt',
    metricKeys: string[],
  ): Promise<{ id: string; secret: string; series: Map<string, number> }> {
    const created = await api.expect<{
      device: { id: string; series: { id: number; metricKey: string }[] };
      secret: string;
    }>(201, 'POST', '/api/v1/devices', { token, body: { name, transport, metricKeys } });
    return {
      id: created.device.id,
      secret: created.secret,
      series: new Map(created.device.series.map((s) => [s.metricKey, s.id])),
    };
  }

  async function connect(
    url: string,
    device: { id: string; secret: string },
    label: string,
  ): Promise<MqttClient> {
    const client = await mqtt.connectAsync(url, {
      clientId: device.id,
      username: device.id,
      password: device.secret,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    client.on('close', () => {
      disconnects[label] = (disconnects[label] ?? 0) + 1;
    });
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    console.log(
      `[security] hostile readings seed ${String(seed)} (replay with SECURITY_SEED=${String(seed)})`,
    );
    db = new AdminDb();
    mosquitto = await startMosquitto(inject('adminUrl'));
    // Readings sent together are written in one batch, as under load.
    embedded = await startSecurityServer({ INGEST_LINGER_MS: '50' });
    embeddedApi = new ApiClient(embedded.url);
    const tokenB = (await embeddedApi.login(demoEmail('admin', tenantB))).accessToken;
    const tokenA = (await embeddedApi.login(demoEmail('admin', tenantA))).accessToken;
    for (const metric of [RAW, SCALED]) {
      await embeddedApi.expect(201, 'POST', '/api/v1/metrics', {
        token: tokenB,
        body: { key: metric, name: `Hostile ${metric}, no valid range` },
      });
    }
    for (const transport of TRANSPORTS) {
      const kind = transport === 'http' ? 'http' : 'mqtt';
      const bad = await createDevice(embeddedApi, tokenB, `Hostile ${transport}`, kind, [RAW, SCALED]);
      const good = await createDevice(embeddedApi, tokenA, `Innocent ${transport}`, kind, ['level_cm']);
      const raw = bad.series.get(RAW) ?? 0;
      const scaled = bad.series.get(SCALED) ?? 0;
      await db.query(
        `INSERT INTO calibrations (tenant_id, series_id, scale, "offset", valid_during)
         SELECT tenant_id, id, $2, 0, tstzrange(NULL, NULL) FROM series WHERE id = $1`,
        [scaled, SCALE],
      );
      hostile.set(transport, { id: bad.id, secret: bad.secret, raw, scaled });
      innocent.set(transport, { id: good.id, secret: good.secret, level: good.series.get('level_cm') ?? 0 });
    }
    await mosquitto.reloadCredentials();
    external = await startSecurityServer({
      MQTT_URL: mosquitto.serverUrl,
      MQTT_PASSWORD: SERVER_MQTT_PASSWORD,
      MQTT_CLIENT_ID: `tidewatch-hostile-${String(seed)}`,
      INGEST_LINGER_MS: '50',
    });
    externalApi = new ApiClient(external.url);
    for (
      let tries = 0;
      (await externalApi.call('GET', '/health/ready')).status !== 200 && tries < 100;
      tries += 1
    )
      await new Promise((resolve) => setTimeout(resolve, 100));
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await embeddedApi.close();
    await externalApi.close();
    await embedded.close();
    await external.close();
    await removeMosquitto(mosquitto);
    await db.close();
  });

  it('stores every innocent reading once and acknowledged, refuses and counts every one out of range, and keeps the rollups finite and equal to the raw rows', async () => {
    const random = new Random(seed).fork('hostile-readings');
    const scrape = async (api: ApiClient) =>
      parsePrometheus((await api.call<string>('GET', '/metrics')).text);
    const before = { embedded: await scrape(embeddedApi), external: await scrape(externalApi) };
    const heapBefore = process.memoryUsage().heapUsed;
    const expected = Object.fromEntries(
      TRANSPORTS.map((t) => [t, { stored: new Set<string>(), accepted: 0, overflow: 0, underflow: 0 }]),
    ) as Record<Transport, Expected>;
    const failures: string[] = [];
    // Every reading in three minutes of one hour: many extremes share each rollup bucket.
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
    let clock = 0;
    const nextTime = (): number => {
      clock += 1;
      return hour + random.int(0, 2) * 60_000 + (clock % 60_000);
    };

    const extreme = (): number =>
      random.weighted<() => number>([
        [6, () => random.pick(EXTREMES)],
        [2, () => (random.next() - 0.5) * 10 ** random.int(-320, 308)],
        [1, () => (random.next() - 0.5) * 1000],
      ])();

    /** The hostile device's message and what ingest must make of it, reading by reading. */
    const hostileMessage = (transport: Transport, device: HostileDevice) => {
      const messages: ReadingMessage[] = [];
      const rejected: IngestResult['rejected'] = [];
      let accepted = 0;
      const count = random.int(1, 8);
      for (let index = 0; index < count; index += 1) {
        const ts = nextTime();
        const values: Record<string, number> = {};
        for (const [metric, seriesId, scale] of [
          [RAW, device.raw, 1],
          [SCALED, device.scaled, SCALE],
        ] as const) {
          // Now and then one metric only; never none (a message must carry a value).
          if (metric === SCALED && Object.keys(values).length > 0 && random.chance(0.3)) continue;
          const sent = extreme();
          values[metric] = sent;
          // JSON has no -0, and the server calibrates exactly so.
          const value = (sent === 0 ? 0 : sent) * scale + 0;
          if (!(Math.abs(value) <= maxReadingMagnitude)) {
            rejected.push({ message: index, metric, reason: 'overflow' });
            expected[transport].overflow += 1;
          } else if (value !== 0 && Math.abs(value) < minReadingMagnitude) {
            rejected.push({ message: index, metric, reason: 'underflow' });
            expected[transport].underflow += 1;
          } else {
            accepted += 1;
            expected[transport].stored.add(key(seriesId, ts, value));
          }
        }
        messages.push({ ts, values });
      }
      expected[transport].accepted += accepted;
      return { messages, accepted, rejected };
    };

    const innocentMessage = (transport: Transport, device: InnocentDevice): ReadingMessage[] => {
      const messages: ReadingMessage[] = [];
      for (let index = random.int(1, 3); index > 0; index -= 1) {
        const ts = nextTime();
        const value = Math.round(random.next() * 20_000) / 10;
        messages.push({ ts, values: { level_cm: value } });
        expected[transport].accepted += 1;
        expected[transport].stored.add(key(device.level, ts, value));
      }
      return messages;
    };

    const basic = (device: { id: string; secret: string }) => ({
      authorization: `Basic ${Buffer.from(`${device.id}:${device.secret}`).toString('base64')}`,
    });
    const publishers = new Map<string, MqttClient>();
    const publisher = async (transport: Transport, device: { id: string; secret: string }, label: string) => {
      const name = `${transport} ${label}`;
      const existing = publishers.get(name);
      if (existing) return existing;
      const url = transport === 'embedded' ? `mqtt://127.0.0.1:${String(embedded.mqttPort)}` : mosquitto.url;
      const client = await connect(url, device, name);
      publishers.set(name, client);
      return client;
    };

    for (let round = 0; round < ROUNDS * TRANSPORTS.length; round += 1) {
      const transport = TRANSPORTS[round % TRANSPORTS.length] ?? 'http';
      const bad = hostile.get(transport);
      const good = innocent.get(transport);
      if (!bad || !good) throw new Error(`no devices for ${transport}`);
      const guilty = hostileMessage(transport, bad);
      const fine = innocentMessage(transport, good);
      if (transport === 'http') {
        const [badAnswer, goodAnswer] = await Promise.all([
          embeddedApi.call<IngestResult>('POST', '/api/v1/ingest', {
            body: guilty.messages,
            headers: basic(bad),
          }),
          embeddedApi.call<IngestResult>('POST', '/api/v1/ingest', { body: fine, headers: basic(good) }),
        ]);
        if (goodAnswer.status !== 202 || goodAnswer.body.accepted !== fine.length)
          failures.push(
            `round ${String(round)}: innocent answered ${String(goodAnswer.status)} ${goodAnswer.text}`,
          );
        if (
          badAnswer.status !== 202 ||
          JSON.stringify(badAnswer.body) !==
            JSON.stringify({ accepted: guilty.accepted, rejected: guilty.rejected })
        )
          failures.push(
            `round ${String(round)}: hostile answered ${String(badAnswer.status)} ${badAnswer.text}, expected ${JSON.stringify(guilty.rejected)}`,
          );
        continue;
      }
      const badClient = await publisher(transport, bad, 'hostile');
      const goodClient = await publisher(transport, good, 'innocent');
      try {
        await within(
          Promise.all([
            badClient.publishAsync(`devices/${bad.id}/telemetry`, JSON.stringify(guilty.messages), {
              qos: 1,
            }),
            goodClient.publishAsync(`devices/${good.id}/telemetry`, JSON.stringify(fine), { qos: 1 }),
          ]),
          10_000,
          `${transport} PUBACKs`,
        );
      } catch (error) {
        failures.push(`round ${String(round)}: ${String(error)}`);
      }
    }

    // The external broker's messages are stored after the broker acknowledged them: wait for the server's count.
    const outcomes = (
      samples: Map<string, number>,
      base: Map<string, number>,
      transport: string,
      outcome: string,
    ) =>
      sumOf(samples, 'ingest_readings_total', { transport, outcome }) -
      sumOf(base, 'ingest_readings_total', { transport, outcome });
    let external = await scrape(externalApi);
    for (
      let waited = 0;
      outcomes(external, before.external, 'mqtt', 'accepted') +
        outcomes(external, before.external, 'mqtt', 'overflow') +
        outcomes(external, before.external, 'mqtt', 'underflow') <
        expected.mosquitto.accepted + expected.mosquitto.overflow + expected.mosquitto.underflow &&
      waited < 150;
      waited += 1
    ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      external = await scrape(externalApi);
    }
    const embeddedAfter = await scrape(embeddedApi);
    const heapAfter = process.memoryUsage().heapUsed;

    const storedBy = async (seriesIds: number[]): Promise<Set<string>> => {
      const rows = await db.query<{ series_id: number; t: string; value: number }>(
        `SELECT series_id, (extract(epoch FROM time) * 1000)::bigint AS t, value
           FROM telemetry WHERE series_id = ANY($1::int[])`,
        [seriesIds],
      );
      return new Set(rows.map((row) => key(row.series_id, Number(row.t), row.value)));
    };
    const results: Record<string, unknown> = {};
    const mismatches: { transport: Transport; missing: string[]; extra: string[] }[] = [];
    const countMismatches: { transport: Transport; counted: object; expected: object }[] = [];
    for (const transport of TRANSPORTS) {
      const bad = hostile.get(transport);
      const good = innocent.get(transport);
      if (!bad || !good) throw new Error(`no devices for ${transport}`);
      const stored = await storedBy([bad.raw, bad.scaled, good.level]);
      const want = expected[transport].stored;
      const missing = [...want].filter((reading) => !stored.has(reading));
      const extra = [...stored].filter((reading) => !want.has(reading));
      const [samples, base, label] =
        transport === 'http'
          ? [embeddedAfter, before.embedded, 'http']
          : transport === 'embedded'
            ? [embeddedAfter, before.embedded, 'mqtt']
            : [external, before.external, 'mqtt'];
      const counted = {
        accepted: outcomes(samples, base, label, 'accepted'),
        overflow: outcomes(samples, base, label, 'overflow'),
        underflow: outcomes(samples, base, label, 'underflow'),
        messagesRefused:
          sumOf(samples, 'ingest_messages_refused_total', { transport: label }) -
          sumOf(base, 'ingest_messages_refused_total', { transport: label }),
      };
      results[transport] = {
        expected: {
          stored: want.size,
          accepted: expected[transport].accepted,
          overflow: expected[transport].overflow,
          underflow: expected[transport].underflow,
        },
        counted,
        stored: stored.size,
        missing: missing.length,
        extra: extra.length,
      };
      mismatches.push({ transport, missing: missing.slice(0, 5), extra: extra.slice(0, 5) });
      countMismatches.push({
        transport,
        counted,
        expected: {
          accepted: expected[transport].accepted,
          overflow: expected[transport].overflow,
          underflow: expected[transport].underflow,
          messagesRefused: 0,
        },
      });
    }

    // Every rollup bucket of these series: finite, and equal to its raw readings, once the rollup job has run
    // (here at once, rather than waiting for its next tick).
    // -1: the server's own run holds the job's lock; 0: nothing left dirty.
    while ((await db.one<{ done: number }>('SELECT telemetry_rollup_dirty(1000000) AS done')).done !== 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const series = TRANSPORTS.flatMap((t) => {
      const bad = hostile.get(t);
      const good = innocent.get(t);
      return bad && good ? [bad.raw, bad.scaled, good.level] : [];
    });
    const rollupMismatches: unknown[] = [];
    for (const [table, unit] of [
      ['telemetry_1m', 'minute'],
      ['telemetry_1h', 'hour'],
    ] as const) {
      const rows = await db.query<{
        series_id: number;
        bucket: Date;
        count: number | null;
        min: number | null;
        max: number | null;
        sum: number | null;
        avg: number | null;
        first: number | null;
        last: number | null;
        raw_count: string | null;
        raw_min: number | null;
        raw_max: number | null;
        raw_sum: number | null;
        raw_abs: number | null;
        raw_first: number | null;
        raw_last: number | null;
      }>(
        `WITH raw AS (
           SELECT series_id, date_trunc('${unit}', time) AS bucket, count(*) AS raw_count, min(value) AS raw_min,
                  max(value) AS raw_max, sum(value) AS raw_sum, sum(abs(value)) AS raw_abs,
                  (array_agg(value ORDER BY time))[1] AS raw_first,
                  (array_agg(value ORDER BY time DESC))[1] AS raw_last
             FROM telemetry WHERE series_id = ANY($1::int[]) GROUP BY 1, 2)
         SELECT coalesce(r.series_id, raw.series_id) AS series_id, coalesce(r.bucket, raw.bucket) AS bucket,
                r.count, r.min, r.max, r.sum, r.avg, r.first, r.last, raw.raw_count, raw.raw_min, raw.raw_max,
                raw.raw_sum, raw.raw_abs, raw.raw_first, raw.raw_last
           FROM (SELECT * FROM ${table} WHERE series_id = ANY($1::int[])) r
           FULL JOIN raw ON raw.series_id = r.series_id AND raw.bucket = r.bucket`,
        [series],
      );
      for (const row of rows) {
        const finite = [row.min, row.max, row.sum, row.avg, row.first, row.last].every(
          (v) => v !== null && Number.isFinite(v),
        );
        const sumClose =
          Math.abs((row.sum ?? NaN) - (row.raw_sum ?? NaN)) <= (row.raw_abs ?? 0) * 1e-12 + Number.MIN_VALUE;
        if (
          !finite ||
          !sumClose ||
          row.count !== Number(row.raw_count) ||
          row.min !== row.raw_min ||
          row.max !== row.raw_max ||
          row.first !== row.raw_first ||
          row.last !== row.raw_last
        )
          rollupMismatches.push({ table, ...row });
      }
      results[`${table}Buckets`] = rows.length;
    }

    const ready = await embeddedApi.call('GET', '/health/ready');
    await reportResults('hostile-readings', {
      seed,
      rounds: ROUNDS * TRANSPORTS.length,
      ...results,
      rollupMismatches: rollupMismatches.length,
      failures: failures.slice(0, 5),
      disconnects,
      heapMb: { before: Math.round(heapBefore / 1e6), after: Math.round(heapAfter / 1e6) },
    });
    expect(failures.slice(0, 5)).toEqual([]);
    expect(disconnects).toEqual({});
    for (const mismatch of mismatches) expect(mismatch).toEqual({ ...mismatch, missing: [], extra: [] });
    for (const { counted, expected: wanted } of countMismatches) expect(counted).toEqual(wanted);
    expect(rollupMismatches.slice(0, 3)).toEqual([]);
    expect(ready.status).toBe(200);
  });
});
