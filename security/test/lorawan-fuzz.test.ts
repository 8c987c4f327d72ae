import { randomUUID } from 'node:crypto';
import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminDb } from '../src/admin-db.ts';
import { ApiClient } from '../src/api-client.ts';
import { parsePrometheus, sumOf } from '../src/prometheus-text.ts';
import { Random, runSeed } from '../src/random.ts';
import { startSecurityServer, type RunningServer } from '../src/test-server.ts';

const [, tenantA] = demoTenants;
/** The machine's Mosquitto plays the network server's broker. */
const BROKER = process.env.SECURITY_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const CASES = 200;

/** Decoded values a mapping must never store: not numbers, or numbers text cannot carry. */
const HOSTILE_VALUES: readonly unknown[] = [
  'NaN',
  'abc',
  '1e999',
  '-Infinity',
  null,
  {},
  [],
  [1],
  { v: 1 },
  '',
];

/** How one network server's MQTT integration names and writes an uplink. */
interface NetworkServerFormat {
  readonly format: 'chirpstack' | 'tts';
  readonly networkApplicationId: string;
  readonly topic: (eui: string) => string;
  readonly uplink: (eui: string, fCnt: unknown, time: unknown, object: unknown) => string;
}

const chirpstack = (app: string): NetworkServerFormat => ({
  format: 'chirpstack',
  networkApplicationId: app,
  topic: (eui) => `application/${app}/device/${eui}/event/up`,
  uplink: (eui, fCnt, time, object) =>
    JSON.stringify({
      deduplicationId: randomUUID(),
      time,
      deviceInfo: { applicationId: app, devEui: eui },
      fCnt,
      fPort: 2,
      object,
    }),
});

const theThingsStack = (app: string): NetworkServerFormat => ({
  format: 'tts',
  networkApplicationId: app,
  topic: (eui) => `v3/${app}/devices/eui-${eui}/up`,
  uplink: (eui, fCnt, time, object) =>
    JSON.stringify({
      end_device_ids: { device_id: `eui-${eui}`, application_ids: { application_id: app }, dev_eui: eui },
      received_at: time,
      uplink_message: { f_port: 2, f_cnt: fCnt, frm_payload: 'AA==', decoded_payload: object },
    }),
});

/**
 * Hostile uplinks in each network server's format through the real broker to the connector: malformed JSON, wrong
 * types, huge decoded objects, unknown DevEUIs, non-numbers and duplicates among well-formed ones. Nothing crashes,
 * the refusals are counted in /metrics, and exactly the well-formed readings are stored, each once.
 */
describe('LoRaWAN payload fuzzer', () => {
  const seed = runSeed();
  let server: RunningServer;
  let api: ApiClient;
  let db: AdminDb;
  let peer: MqttClient;
  let token: string;

  beforeAll(async () => {
    console.log(`[security] LoRaWAN fuzz seed ${String(seed)} (replay with SECURITY_SEED=${String(seed)})`);
    server = await startSecurityServer({ LORAWAN_ENABLED: 'true', LORAWAN_TICK_MS: '200' });
    api = new ApiClient(server.url);
    db = new AdminDb();
    token = (await api.login(demoEmail('admin', tenantA))).accessToken;
    peer = await mqtt.connectAsync(BROKER, { clientId: `lorawan-fuzz-${randomUUID()}` });
  });
  afterAll(async () => {
    await peer.endAsync();
    await db.close();
    await server.close();
  });

  /** A LoRaWAN device bound to a new application of the format, once the connector is subscribed. */
  async function boundDevice(ns: NetworkServerFormat, devEui: string): Promise<string> {
    const created = await api.expect<{ device: { id: string } }>(201, 'POST', '/api/v1/devices', {
      token,
      body: { name: `LoRaWAN fuzz target (${ns.format})`, transport: 'lorawan', metricKeys: ['level_cm'] },
    });
    const app = await api.expect<{ id: string }>(201, 'POST', '/api/v1/lorawan-applications', {
      token,
      body: {
        name: `Fuzzed ${ns.format}`,
        format: ns.format,
        brokerUrl: BROKER,
        networkApplicationId: ns.networkApplicationId,
      },
    });
    await api.expect(200, 'PUT', `/api/v1/devices/${created.device.id}/lorawan`, {
      token,
      body: { lorawanApplicationId: app.id, devEui, mappings: [{ path: 'level', metricKey: 'level_cm' }] },
    });
    for (let i = 0; i < 100; i += 1) {
      const state = await api.expect<{ state: { connected: boolean } }>(
        200,
        'GET',
        `/api/v1/lorawan-applications/${app.id}`,
        { token },
      );
      if (state.state.connected) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return created.device.id;
  }

  /** LoRaWAN messages of a format that were neither stored nor recognised as re-sent, from one read of /metrics. */
  const refused = async (format: string) => {
    const metrics = parsePrometheus((await api.call<string>('GET', '/metrics')).text);
    const count = (outcome?: string) =>
      sumOf(metrics, 'tidewatch_lorawan_messages_total', outcome ? { format, outcome } : { format });
    return count() - count('stored') - count('duplicate');
  };

  const storedRows = (deviceId: string) =>
    db.query<{ time: Date; value: number }>(
      `SELECT t.time, t.value FROM telemetry t JOIN series s ON s.id = t.series_id WHERE s.device_id = $1
        ORDER BY t.time`,
      [deviceId],
    );

  it.each([chirpstack(randomUUID()), theThingsStack(`tw-fuzz-${randomUUID().slice(0, 8)}@ttn`)])(
    'refuses hostile $format uplinks, counts them, and stores only the well-formed readings, once each',
    async (ns) => {
      const random = new Random(seed).fork(`lorawan-${ns.format}`);
      const devEui = random.string(16, '0123456789abcdef');
      const deviceId = await boundDevice(ns, devEui);
      const refusedBefore = await refused(ns.format);
      const base = Date.now() - 3_600_000;
      const expected = new Map<number, number>();
      let fCnt = 0;
      let lastValid = '';
      const valid = () => {
        fCnt += 1;
        const time = base + fCnt * 1000;
        const value = 100 + fCnt;
        expected.set(time, value);
        lastValid = ns.uplink(devEui, fCnt, new Date(time).toISOString(), { level: value });
        return lastValid;
      };
      let hostile = 0;
      for (let i = 0; i < CASES; i += 1) {
        const kind = random.pick([
          'valid',
          'duplicate',
          'truncated',
          'wrong_types',
          'huge',
          'unknown_eui',
          'not_a_number',
        ] as const);
        const later = () => new Date(base + fCnt * 1000).toISOString();
        let body: string;
        if (kind === 'valid') body = valid();
        // The network server delivering the last well-formed uplink again (same frame counter, same time).
        else if (kind === 'duplicate') body = lastValid === '' ? valid() : lastValid;
        else {
          // Each hostile uplink spends a frame counter of its own, as a real one would: the network server
          // deduplicates by DevEUI and FCnt, so a reused counter is a duplicate, not a new reading.
          fCnt += 1;
          hostile += 1;
          if (kind === 'truncated') {
            const whole = ns.uplink(devEui, fCnt, later(), { level: 1 });
            body = whole.slice(0, random.int(0, whole.length - 1));
          } else if (kind === 'wrong_types') {
            body = random.pick([
              ns.uplink(devEui, -1, later(), { level: 5 }),
              ns.uplink(devEui, 1.5, later(), { level: 5 }),
              ns.uplink(devEui, fCnt, 'yesterday', { level: 5 }),
              ns.uplink(devEui, fCnt, 1_700_000_000_000, { level: 5 }),
              ns.uplink(devEui, fCnt, later(), 'level=5'),
              ns.uplink(devEui, fCnt, later(), [{ level: 5 }]),
              ns.uplink('not-an-eui', fCnt, later(), { level: 5 }),
              JSON.stringify([1, 2, 3]),
              '"just a string"',
              'null',
            ]);
          } else if (kind === 'huge') {
            const wide = Object.fromEntries(
              Array.from({ length: random.int(1000, 20_000) }, (_v, k) => [`k${String(k)}`, k]),
            );
            let deep: unknown = { level: 7 };
            for (let d = 0; d < random.int(10, 2000); d += 1) deep = { deep };
            body = ns.uplink(devEui, fCnt, later(), random.chance(0.5) ? wide : deep);
          } else if (kind === 'unknown_eui') {
            const stranger = random.string(16, '0123456789abcdef');
            await peer.publishAsync(ns.topic(stranger), ns.uplink(stranger, fCnt, later(), { level: 9 }), {
              qos: 1,
            });
            continue;
          } else {
            body = ns.uplink(devEui, fCnt, later(), { level: random.pick(HOSTILE_VALUES) });
          }
        }
        await peer.publishAsync(ns.topic(devEui), body, { qos: 1 });
      }
      // A last well-formed uplink: once it is stored, everything before it has been handled.
      await peer.publishAsync(ns.topic(devEui), valid(), { qos: 1 });
      const last = Math.max(...expected.keys());
      for (let i = 0; i < 150; i += 1) {
        const rows = await storedRows(deviceId);
        if (rows.some((row) => row.time.getTime() === last)) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));

      const rows = await storedRows(deviceId);
      expect(rows.map((row) => [row.time.getTime(), row.value])).toEqual([...expected.entries()]);
      // The server still answers, and counted what it refused.
      expect((await api.call('GET', '/metrics')).status).toBe(200);
      expect((await refused(ns.format)) - refusedBefore).toBeGreaterThanOrEqual(Math.min(hostile, 1));
    },
  );
});
