import { randomBytes } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import { DEFAULT_DEMO_PASSWORD, demoEmail, demoTenants } from '@tidewatch/db/testing';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminDb } from '../src/admin-db.ts';
import { ApiClient } from '../src/api-client.ts';
import { parsePrometheus, sumOf } from '../src/prometheus-text.ts';
import { reportResults } from '../src/results.ts';
import { startSecurityServer, type RunningServer } from '../src/test-server.ts';

const [, tenantA] = demoTenants;
/** Wrong secrets sent with the limits on, over HTTP and MQTT together. */
const ATTEMPTS = Number(process.env.SECURITY_FLOOD_ATTEMPTS ?? '3000');
/** The same flood with the limits lifted hashes every one: a sixth is enough to show it (about 40 s). */
const BASELINE_ATTEMPTS = Math.ceil(ATTEMPTS / 6);
/** Source addresses the flood comes from: 127.0.0.100 and up. */
const ADDRESSES = 40;
/** Devices of the tenant whose ids the flood tries, the two legitimate ones among them. */
const TARGETS = 10;
const MQTT_SHARE = 0.25;

const LIMITS = {
  DEVICE_SIGNIN_PAIR_FAILURES: '10',
  DEVICE_SIGNIN_ADDRESS_FAILURES: '50',
  DEVICE_SIGNIN_DEVICE_FAILURES: '20',
  DEVICE_SIGNIN_HOLD_S: '30',
  DEVICE_SIGNIN_HOLD_MAX_S: '600',
  CREDENTIAL_CHECKS_CONCURRENCY: '2',
  CREDENTIAL_CHECKS_WAITING: '32',
};
/** Every wrong secret is hashed, and none is turned away for a full line: what the server did before. */
const LIFTED = {
  ...LIMITS,
  DEVICE_SIGNIN_PAIR_FAILURES: '1000000',
  DEVICE_SIGNIN_ADDRESS_FAILURES: '1000000',
  DEVICE_SIGNIN_DEVICE_FAILURES: '1000000',
  CREDENTIAL_CHECKS_WAITING: '1000000',
};

interface Device {
  readonly id: string;
  readonly secret: string;
  readonly seriesId: number;
}

/** An MQTT 3.1.1 CONNECT with user name and password, as bytes. */
function connectPacket(clientId: string, username: string, password: string): Buffer {
  const field = (text: string): Buffer => {
    const bytes = Buffer.from(text);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  const body = Buffer.concat([
    field('MQTT'),
    Buffer.from([4, 0xc2, 0, 30]),
    field(clientId),
    field(username),
    field(password),
  ]);
  const remaining: number[] = [];
  for (let rest = body.length; ;) {
    const byte = rest % 128;
    rest = Math.floor(rest / 128);
    remaining.push(rest > 0 ? byte | 0x80 : byte);
    if (rest === 0) break;
  }
  return Buffer.concat([Buffer.from([0x10, ...remaining]), body]);
}

/** Sends one CONNECT from `localAddress` and resolves the CONNACK return code (-1: closed without one). */
function mqttSignIn(port: number, localAddress: string, username: string, password: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: '127.0.0.1', port, localAddress });
    let answered = false;
    const finish = (code: number): void => {
      if (answered) return;
      answered = true;
      socket.destroy();
      resolve(code);
    };
    socket.setTimeout(20_000, () => {
      finish(-1);
    });
    socket.on('connect', () => {
      // The broker requires the client id to be the device id (else CONNACK 2 before any sign-in).
      socket.write(connectPacket(username, username, password));
    });
    socket.on('data', (data) => {
      finish(data[0] === 0x20 && data.length >= 4 ? (data[3] ?? -1) : -1);
    });
    socket.on('error', () => {
      finish(-1);
    });
    socket.on('close', () => {
      finish(-1);
    });
  });
}

/** Runs `task` over `count` items, `width` at a time. */
async function inParallel(
  count: number,
  width: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let index = next++; index < count; index = next++) await task(index);
    }),
  );
}

const basic = (id: string, secret: string): string =>
  `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('a flood of wrong device secrets', () => {
  const figures: Record<string, unknown> = {};
  let db: AdminDb;

  beforeAll(() => {
    db = new AdminDb();
  });
  afterAll(async () => {
    await reportResults('device-sign-in-flood', figures);
    await db.close();
  });

  /** One run: the flood against `server` while a device sends over HTTP and MQTT and a person signs in. */
  async function flood(
    server: RunningServer,
    label: string,
    attempts: number,
  ): Promise<Record<string, number>> {
    const admin = new ApiClient(server.url);
    const token = (await admin.login(demoEmail('admin', tenantA))).accessToken;
    const devices: Device[] = [];
    for (let i = 0; i < TARGETS; i += 1) {
      const created = await admin.expect<{
        device: { id: string; series: { id: number; metricKey: string }[] };
        secret: string;
      }>(201, 'POST', '/api/v1/devices', {
        token,
        body: {
          name: `Flood ${label} ${String(i)}`,
          transport: i === 1 ? 'mqtt' : 'http',
          metricKeys: ['level_cm'],
        },
      });
      devices.push({
        id: created.device.id,
        secret: created.secret,
        seriesId: created.device.series[0]?.id ?? 0,
      });
    }
    const [httpDevice, mqttDevice] = devices as [Device, Device];
    const port = server.mqttPort ?? 0;
    const scrape = async () => parsePrometheus((await admin.call<string>('GET', '/metrics')).text);
    const before = await scrape();
    const heapBefore = process.memoryUsage().heapUsed;

    // The legitimate device: over HTTP from its own address, and connected over MQTT, before and through the flood.
    const deviceHttp = new ApiClient(server.url, { localAddress: '127.0.0.2', connections: 1 });
    const person = new ApiClient(server.url, { localAddress: '127.0.0.3', connections: 1 });
    const mqttClient = await mqtt.connectAsync(`mqtt://127.0.0.1:${String(port)}`, {
      username: mqttDevice.id,
      password: mqttDevice.secret,
      clientId: mqttDevice.id,
      reconnectPeriod: 0,
    });
    let flooding = true;
    let sentHttp = 0;
    let acceptedHttp = 0;
    let sentMqtt = 0;
    const started = Date.now();
    const sendReadings = async (): Promise<void> => {
      while (flooding) {
        const at = new Date(started - 60_000 + sentHttp * 10).toISOString();
        sentHttp += 1;
        const answer = await deviceHttp.call('POST', '/api/v1/ingest', {
          headers: { authorization: basic(httpDevice.id, httpDevice.secret) },
          body: { ts: at, values: { level_cm: sentHttp } },
        });
        if (answer.status === 202) acceptedHttp += 1;
        const mqttAt = new Date(started - 60_000 + sentMqtt * 10).toISOString();
        sentMqtt += 1;
        await mqttClient.publishAsync(
          `devices/${mqttDevice.id}/telemetry`,
          JSON.stringify({ ts: mqttAt, values: { level_cm: sentMqtt } }),
          { qos: 1 },
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const logins: number[] = [];
    let loginFailures = 0;
    const signIn = async (): Promise<void> => {
      while (flooding) {
        const t0 = performance.now();
        const answer = await person.call('POST', '/api/v1/auth/login', {
          body: { email: demoEmail('operator', tenantA), password: DEFAULT_DEMO_PASSWORD },
        });
        logins.push(performance.now() - t0);
        if (answer.status !== 200) loginFailures += 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    // Each flooding address keeps a few connections, as distinct hosts would.
    const attackers = Array.from(
      { length: ADDRESSES },
      (_v, i) => new ApiClient(server.url, { localAddress: `127.0.0.${String(100 + i)}`, connections: 4 }),
    );
    const answers: Record<string, number> = {};
    const note = (key: string): void => {
      answers[key] = (answers[key] ?? 0) + 1;
    };
    const legit = [sendReadings(), signIn()];
    const floodStarted = performance.now();
    const mqttAttempts = Math.round(attempts * MQTT_SHARE);
    await Promise.all([
      inParallel(attempts - mqttAttempts, 64, async (i) => {
        const target = devices[i % TARGETS] ?? httpDevice;
        const attacker = attackers[i % ADDRESSES];
        const answer = await attacker?.call('POST', '/api/v1/ingest', {
          headers: { authorization: basic(target.id, `wrong-${randomBytes(12).toString('base64url')}`) },
          body: { values: { level_cm: 1 } },
        });
        note(`http_${String(answer?.status)}`);
      }),
      inParallel(mqttAttempts, 16, async (i) => {
        const target = devices[i % TARGETS] ?? mqttDevice;
        const code = await mqttSignIn(
          port,
          `127.0.0.${String(100 + (i % ADDRESSES))}`,
          target.id,
          `wrong-${randomBytes(12).toString('base64url')}`,
        );
        note(`connack_${String(code)}`);
      }),
    ]);
    const floodSeconds = (performance.now() - floodStarted) / 1000;
    flooding = false;
    await Promise.all(legit);
    const after = await scrape();
    const heapAfter = process.memoryUsage().heapUsed;
    await mqttClient.endAsync();
    await Promise.all([...attackers, deviceHttp, person, admin].map((client) => client.close()));

    const [stored] = await db.query<{ http: number; mqtt: number }>(
      `SELECT count(*) FILTER (WHERE series_id = $1)::int AS http, count(*) FILTER (WHERE series_id = $2)::int AS mqtt
         FROM telemetry WHERE series_id IN ($1, $2)`,
      [httpDevice.seriesId, mqttDevice.seriesId],
    );
    const delta = (name: string, labels: Record<string, string> = {}): number =>
      sumOf(after, name, labels) - sumOf(before, name, labels);
    const run = {
      attempts,
      floodSeconds: Math.round(floodSeconds * 10) / 10,
      deviceHashes: delta('credential_hashes_total', { lane: 'device' }),
      refusedForFullLine: delta('credential_hashes_refused_total'),
      held: delta('device_sign_ins_total', { outcome: 'held' }),
      wrongSecret: delta('device_sign_ins_total', { outcome: 'wrong_secret' }),
      legitHttpSent: sentHttp,
      legitHttpAccepted: acceptedHttp,
      legitHttpStored: stored?.http ?? 0,
      legitMqttSent: sentMqtt,
      legitMqttStored: stored?.mqtt ?? 0,
      logins: logins.length,
      loginFailures,
      medianLoginMs: Math.round([...logins].sort((a, b) => a - b)[Math.floor(logins.length / 2)] ?? 0),
      slowestLoginMs: Math.round(Math.max(...logins)),
      heapGrowthMiB: Math.round(((heapAfter - heapBefore) / 2 ** 20) * 10) / 10,
      ...answers,
    };
    figures[label] = run;
    return run;
  }

  it('hashes a bounded number of wrong secrets, keeps the real device and the person signing in served, and holds memory', async () => {
    const throttled = await startSecurityServer(LIMITS);
    let limited: Record<string, number>;
    try {
      limited = await flood(throttled, 'throttled', ATTEMPTS);
    } finally {
      await throttled.close();
    }
    const lifted = await startSecurityServer(LIFTED);
    let baseline: Record<string, number>;
    try {
      baseline = await flood(lifted, 'baseline', BASELINE_ATTEMPTS);
    } finally {
      await lifted.close();
    }
    const perAttempt = (run: Record<string, number>): number =>
      Math.round(((run.deviceHashes ?? 0) / (run.attempts ?? 1)) * 1000) / 1000;
    figures.hashesPerWrongSecret = { throttled: perAttempt(limited), baseline: perAttempt(baseline) };

    // Before: every wrong secret cost a hash.
    expect(baseline.deviceHashes).toBeGreaterThanOrEqual(BASELINE_ATTEMPTS);
    // With the limits: at most 20 evaluated failures per device in the window, and the two real sign-ins.
    expect(limited.deviceHashes).toBeLessThanOrEqual(TARGETS * 20 + 2);
    // Every other attempt is turned away without a hash: held by the limits, or refused for a full line (how
    // many of each depends on how fast the flood arrives: a refusal for a full line is not counted as a failure).
    expect((limited.held ?? 0) + (limited.refusedForFullLine ?? 0)).toBeGreaterThan(ATTEMPTS * 0.9);
    expect(limited.held).toBeGreaterThan(ATTEMPTS / 4);
    // A held attempt is answered as a wrong secret: 401 and CONNACK 4, nothing else but 503 / 3 for a full line.
    for (const key of Object.keys(limited).filter((k) => k.startsWith('http_') || k.startsWith('connack_')))
      expect(['http_401', 'http_503', 'connack_4', 'connack_3']).toContain(key);
    // The legitimate device lost nothing, and the person kept signing in.
    expect(limited.legitHttpAccepted).toBe(limited.legitHttpSent);
    expect(limited.legitHttpStored).toBe(limited.legitHttpSent);
    expect(limited.legitMqttStored).toBe(limited.legitMqttSent);
    expect(limited.loginFailures).toBe(0);
    // Ceilings measured on 2 shared cores, with margin: the person waits for a few checks at most.
    expect(limited.slowestLoginMs).toBeLessThan(5000);
    expect(limited.heapGrowthMiB).toBeLessThan(96);
  });
});
