import { readFile } from 'node:fs/promises';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { demoTenants } from '@tidewatch/db/testing';
import { provisionDevices, type ProvisionedDevice } from '@tidewatch/server/testing/provision-devices';
import { createTestCertificates, type TestCertificates } from '@tidewatch/server/testing/test-certificates';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AdminDb } from '../src/admin-db.ts';
import { collectedMemoryMb } from '../src/collected-memory.ts';
import { readMetricsOverTls, sumOf } from '../src/prometheus-text.ts';
import { closedWithin, fixedHeader } from '../src/raw-mqtt.ts';
import { reportResults } from '../src/results.ts';
import { startSecurityServer, type RunningServer } from '../src/test-server.ts';

const [tenantA, tenantB] = demoTenants;
const PER_ADDRESS = 20;
const TOTAL = 30;
const CONNECT_TIMEOUT_S = 2;
const MAX_KEEPALIVE_S = 600;
/** What each hostile CONNECT announces, and how much of it is sent at most. */
const ANNOUNCED_BYTES = 200 * 1_048_576;
const SENT_AT_MOST_BYTES = 32 * 1_048_576;

/**
 * Announces a CONNECT of ANNOUNCED_BYTES and streams filler after it until the server closes the socket or
 * SENT_AT_MOST_BYTES are out; resolves with how many bytes the socket took.
 */
function streamHugeConnect(socket: Socket): Promise<number> {
  const chunk = Buffer.alloc(1_048_576, 0x61);
  return new Promise((resolve) => {
    let sent = 0;
    let closed = false;
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      resolve(sent);
    });
    const pump = (): void => {
      while (!closed && sent < SENT_AT_MOST_BYTES) {
        sent += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.write(fixedHeader(0x10, ANNOUNCED_BYTES), pump);
  });
}

/** Opens a raw socket (from `localAddress`) and resolves once it is connected. */
function openSocket(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ port, host: '127.0.0.1', localAddress }, () => {
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

describe('hostile MQTT connections: packet sizes, connection caps, timeouts, retain, QoS 2, client ids', () => {
  let certificates: TestCertificates;
  let ca: Buffer;
  let server: RunningServer;
  let victim: ProvisionedDevice;
  let intruder: ProvisionedDevice;
  let spare: ProvisionedDevice;
  let db: AdminDb;
  const clients: MqttClient[] = [];

  const metrics = (): Promise<Map<string, number>> => readMetricsOverTls(server.url, ca);
  const refusals = (samples: Map<string, number>, reason: string): number =>
    sumOf(samples, 'mqtt_refusals_total', { reason });
  const mqttUrl = (): string => `mqtt://127.0.0.1:${String(server.mqttPort)}`;
  const connect = async (device: ProvisionedDevice, options: IClientOptions = {}): Promise<MqttClient> => {
    const client = await mqtt.connectAsync(mqttUrl(), {
      clientId: device.id,
      username: device.id,
      password: device.secret,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    });
    clients.push(client);
    return client;
  };
  const storedOf = async (device: ProvisionedDevice): Promise<number> =>
    (
      await db.one<{ n: number }>('SELECT count(*)::int AS n FROM telemetry WHERE series_id = $1', [
        device.series.level_cm,
      ])
    ).n;

  beforeAll(async () => {
    certificates = await createTestCertificates();
    ca = await readFile(certificates.caFile);
    const served = await certificates.server('tidewatch');
    server = await startSecurityServer({
      TLS_CERT_FILE: served.certFile,
      TLS_KEY_FILE: served.keyFile,
      MQTT_TLS_PORT: '0',
      MQTT_MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS),
      MQTT_MAX_CONNECTIONS: String(TOTAL),
      MQTT_CONNECT_TIMEOUT_S: String(CONNECT_TIMEOUT_S),
      MQTT_MAX_KEEPALIVE_S: String(MAX_KEEPALIVE_S),
    });
    const provision = async (slug: string, label: string): Promise<ProvisionedDevice> => {
      const [device] = await provisionDevices(inject('adminUrl'), {
        tenantSlug: slug,
        count: 1,
        metricKeys: ['level_cm'],
        secret: 'broker-limits-device-secret',
        label,
      });
      if (!device) throw new Error('no device');
      return device;
    };
    victim = await provision(tenantA.slug, 'Broker limits victim');
    intruder = await provision(tenantB.slug, 'Broker limits intruder');
    spare = await provision(tenantB.slug, 'Broker limits spare');
    db = new AdminDb();
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await db.close();
    await server.close();
    await certificates.remove();
  });

  it('closes five concurrent 200 MB CONNECTs (plain and TLS) at their fixed header, without buffering them', async () => {
    const plainPort = server.mqttPort ?? 0;
    const tlsPort = server.mqttTlsPort ?? 0;
    // Warm-up: a TLS context and the code paths, so that what remains after is what the abuse left.
    await streamHugeConnect(await openSocket(plainPort));
    const before = await metrics();
    const rssBefore = collectedMemoryMb('rss');
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, Math.round((process.memoryUsage().rss / 1_048_576) * 10) / 10);
    }, 20);
    const sockets: Socket[] = [
      ...(await Promise.all([0, 1, 2].map(() => openSocket(plainPort)))),
      ...(await Promise.all(
        [0, 1].map(
          () =>
            new Promise<Socket>((resolve, reject) => {
              const socket = connectTls({ port: tlsPort, host: '127.0.0.1', ca }, () => {
                resolve(socket);
              });
              socket.once('error', reject);
            }),
        ),
      )),
    ];
    const taken = await Promise.all(sockets.map((socket) => streamHugeConnect(socket)));
    clearInterval(sampler);
    const rssAfter = collectedMemoryMb('rss');
    const after = await metrics();

    expect(refusals(after, 'packet_too_large') - refusals(before, 'packet_too_large')).toBe(5);
    // Before the gate, every byte sent was buffered: 5 × 32 MiB showed as +160 MB.
    expect(rssPeak - rssBefore).toBeLessThan(20);
    // The device still gets in.
    const client = await connect(spare);
    await client.endAsync(true);
    await reportResults('mqtt-broker-limits-huge-connect', {
      connections: sockets.length,
      announcedBytesEach: ANNOUNCED_BYTES,
      bytesTakenByTheSockets: taken,
      rssMbBefore: rssBefore,
      rssMbPeak: rssPeak,
      rssMbAfter: rssAfter,
    });
  });

  it('closes a signed-in device that announces a PUBLISH beyond MQTT_MAX_PAYLOAD_BYTES, before reading it', async () => {
    const client = await connect(spare);
    const closed = new Promise<void>((resolve) => client.once('close', resolve));
    const before = await metrics();
    const stream = (client as unknown as { stream: Socket }).stream;
    stream.write(fixedHeader(0x32, ANNOUNCED_BYTES));
    await closed;
    expect(refusals(await metrics(), 'packet_too_large') - refusals(before, 'packet_too_large')).toBe(1);
  });

  it('caps connections per address and in total, and closes sockets that never send a whole CONNECT', async () => {
    const port = server.mqttPort ?? 0;
    const before = await metrics();
    const started = Date.now();
    const fromOne = await Promise.all(Array.from({ length: PER_ADDRESS + 10 }, () => openSocket(port)));
    const fromOther = await Promise.all(
      Array.from({ length: PER_ADDRESS }, () => openSocket(port, '127.0.0.2')),
    );
    // A slowloris half: some send the first bytes of a CONNECT and stop.
    for (const socket of fromOne.slice(0, 5)) socket.write(Buffer.from([0x10, 0x20, 0x00, 0x04]));
    const closedAtOnce = async (sockets: Socket[]) =>
      (await Promise.all(sockets.map((socket) => closedWithin(socket, 300)))).filter(Boolean).length;
    const refusedOne = await closedAtOnce(fromOne);
    const refusedOther = await closedAtOnce(fromOther);
    const lateClosed = await Promise.all(
      [...fromOne, ...fromOther].map((socket) => closedWithin(socket, (CONNECT_TIMEOUT_S + 3) * 1000)),
    );
    for (const socket of [...fromOne, ...fromOther]) socket.destroy();
    const seconds = (Date.now() - started) / 1000;
    const after = await metrics();

    expect(refusedOne).toBe(10);
    expect(refusedOther).toBe(PER_ADDRESS - (TOTAL - PER_ADDRESS));
    expect(lateClosed.every(Boolean)).toBe(true);
    const delta = (reason: string) => refusals(after, reason) - refusals(before, reason);
    expect(delta('connections_per_address')).toBe(10);
    expect(delta('connections_total')).toBe(PER_ADDRESS - (TOTAL - PER_ADDRESS));
    expect(delta('connect_timeout')).toBe(TOTAL);
    await reportResults('mqtt-broker-limits-caps', {
      opened: fromOne.length + fromOther.length,
      refusedPerAddress: delta('connections_per_address'),
      refusedTotal: delta('connections_total'),
      closedByConnectTimeout: delta('connect_timeout'),
      allClosedWithinS: seconds,
    });
  });

  it('closes the TLS sockets that never finish their handshake', async () => {
    const socket = await openSocket(server.mqttTlsPort ?? 0);
    const closed = await closedWithin(socket, (CONNECT_TIMEOUT_S + 3) * 1000);
    socket.destroy();
    expect(closed).toBe(true);
  });

  it('refuses a keepalive over the maximum, or none', async () => {
    const before = await metrics();
    await expect(connect(spare, { keepalive: MAX_KEEPALIVE_S + 1 })).rejects.toThrow();
    await expect(connect(spare, { keepalive: 0 })).rejects.toThrow();
    const client = await connect(spare, { keepalive: MAX_KEEPALIVE_S });
    await client.endAsync(true);
    expect(refusals(await metrics(), 'keepalive') - refusals(before, 'keepalive')).toBe(2);
  });

  it('disconnects a device that publishes a retained or QoS 2 message, and refuses such a last will', async () => {
    const before = await metrics();
    const storedBefore = await storedOf(spare);
    const topic = `devices/${spare.id}/telemetry`;
    const body = JSON.stringify({ values: { level_cm: 1 } });
    for (const options of [
      { qos: 1, retain: true },
      { qos: 2, retain: false },
    ] as const) {
      const client = await connect(spare);
      const closed = new Promise<void>((resolve) => client.once('close', resolve));
      client.publish(topic, body, options);
      await closed;
    }
    for (const will of [
      { qos: 1, retain: true },
      { qos: 2, retain: false },
    ] as const) {
      await expect(
        connect(spare, {
          will: { topic: `devices/${spare.id}/status`, payload: Buffer.from('offline'), ...will },
        }),
      ).rejects.toThrow(/Not authorized/);
    }
    const after = await metrics();

    expect(refusals(after, 'retain') - refusals(before, 'retain')).toBe(2);
    expect(refusals(after, 'qos2') - refusals(before, 'qos2')).toBe(2);
    expect(await storedOf(spare)).toBe(storedBefore);
  });

  it('refuses a device of another tenant using the victim’s id as client id; the victim stays and is stored', async () => {
    const own = await connect(victim);
    let victimClosed = false;
    own.on('close', () => {
      victimClosed = true;
    });
    const before = await metrics();
    const storedBefore = await storedOf(victim);

    await expect(connect(intruder, { clientId: victim.id })).rejects.toThrow(/Identifier rejected/);
    await expect(connect(intruder, { clientId: 'anything-else' })).rejects.toThrow(/Identifier rejected/);
    for (let i = 0; i < 3; i += 1) {
      await own.publishAsync(
        `devices/${victim.id}/telemetry`,
        JSON.stringify({ ts: Date.now() - 1000 * (i + 1), values: { level_cm: 10 + i } }),
        { qos: 1 },
      );
    }

    expect(victimClosed).toBe(false);
    expect(await storedOf(victim)).toBe(storedBefore + 3);
    expect(refusals(await metrics(), 'client_id') - refusals(before, 'client_id')).toBe(2);
  });
});
