import { readFile } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { demoTenants } from '@tidewatch/db/testing';
import { provisionDevices, type ProvisionedDevice } from '@tidewatch/server/testing/provision-devices';
import { createTestCertificates, type TestCertificates } from '@tidewatch/server/testing/test-certificates';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AdminDb } from '../src/admin-db.ts';
import { collectedMemoryMb } from '../src/collected-memory.ts';
import { runBounded } from '../src/fuzz/run-bounded.ts';
import { readMetricsOverTls, sumOf } from '../src/prometheus-text.ts';
import { connectPacket } from '../src/raw-mqtt.ts';
import { reportResults } from '../src/results.ts';
import { startSecurityServer, type RunningServer } from '../src/test-server.ts';

const [, tenantA] = demoTenants;
/** Attempts per hostile kind; 30 at a time. */
const ATTEMPTS = 200;
const CONCURRENCY = 30;
const WARM_UP = 60;

/** Sends `bytes` and waits until the server closes the connection. */
function sendAndWaitForClose(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = connectTcp(port, '127.0.0.1', () => socket.write(bytes));
    socket.on('data', () => undefined);
    socket.on('error', () => {
      resolve();
    });
    socket.on('close', () => {
      resolve();
    });
  });
}

describe('hostile TLS edges: MQTT devices without their certificate, plain text on TLS ports', () => {
  let certificates: TestCertificates;
  let foreign: TestCertificates;
  let ca: Buffer;
  let server: RunningServer;
  let devices: ProvisionedDevice[];
  let db: AdminDb;

  const metrics = (): Promise<Map<string, number>> => readMetricsOverTls(server.url, ca);
  const refused = (samples: Map<string, number>, reason: string) =>
    sumOf(samples, 'ingest_messages_refused_total', { transport: 'mqtt', reason });

  beforeAll(async () => {
    certificates = await createTestCertificates();
    foreign = await createTestCertificates('An attacker’s CA');
    ca = await readFile(certificates.caFile);
    const served = await certificates.server('tidewatch');
    server = await startSecurityServer({
      TLS_CERT_FILE: served.certFile,
      TLS_KEY_FILE: served.keyFile,
      MQTT_PORT: 'off',
      MQTT_TLS_PORT: '0',
      MQTT_TLS_CA_FILE: certificates.caFile,
    });
    devices = await provisionDevices(inject('adminUrl'), {
      tenantSlug: tenantA.slug,
      count: 2,
      metricKeys: ['level_cm'],
      secret: 'tls-edges-device-secret',
      label: 'TLS edge node',
    });
    db = new AdminDb();
  });
  afterAll(async () => {
    await db.close();
    await server.close();
    await certificates.remove();
    await foreign.remove();
  });

  it('refuses every device without its own certificate, counts each, stores nothing, and keeps no memory', async () => {
    const [device, other] = devices;
    if (!device || !other) throw new Error('no devices');
    const pem = async (of: TestCertificates, commonName: string) => {
      const files = await of.client(commonName);
      return { cert: await readFile(files.certFile), key: await readFile(files.keyFile) };
    };
    const kinds = {
      none: {},
      foreignCa: await pem(foreign, device.id),
      otherDevice: await pem(certificates, other.id),
    };
    const attempt = async (certificate: object): Promise<string> =>
      mqtt
        .connectAsync(`mqtts://127.0.0.1:${String(server.mqttTlsPort)}`, {
          clientId: device.id,
          username: device.id,
          password: device.secret,
          ca,
          ...certificate,
          reconnectPeriod: 0,
          connectTimeout: 10_000,
        })
        .then(
          async (client) => {
            await client.endAsync(true);
            return 'accepted';
          },
          (error: unknown) => (/Not authorized/.test(String(error)) ? 'not_authorized' : String(error)),
        );
    // Warm-up (first TLS contexts, compiled code), so that what remains after is what the attempts left.
    await runBounded(WARM_UP, CONCURRENCY, async (i) => {
      await attempt(Object.values(kinds)[i % 3] ?? {});
    });
    const before = await metrics();
    const heapBefore = collectedMemoryMb('heapUsed');
    const outcomes: Record<string, number> = {};
    for (const [kind, certificate] of Object.entries(kinds)) {
      await runBounded(ATTEMPTS, CONCURRENCY, async () => {
        const outcome = await attempt(certificate);
        outcomes[`${kind}:${outcome}`] = (outcomes[`${kind}:${outcome}`] ?? 0) + 1;
      });
    }
    const heapAfter = collectedMemoryMb('heapUsed');
    const after = await metrics();

    expect(outcomes).toEqual({
      'none:not_authorized': ATTEMPTS,
      'foreignCa:not_authorized': ATTEMPTS,
      'otherDevice:not_authorized': ATTEMPTS,
    });
    expect(refused(after, 'client_certificate') - refused(before, 'client_certificate')).toBe(3 * ATTEMPTS);
    const stored = await db.one<{ n: number }>(
      'SELECT count(*)::int AS n FROM telemetry WHERE series_id = $1',
      [device.series.level_cm],
    );
    expect(stored.n).toBe(0);
    // Generous: a leak of 10 KB per refused connection would show as 6 MB.
    expect(heapAfter - heapBefore).toBeLessThan(4);

    // The device itself, with its certificate, still gets in.
    const own = await mqtt.connectAsync(`mqtts://127.0.0.1:${String(server.mqttTlsPort)}`, {
      clientId: device.id,
      username: device.id,
      password: device.secret,
      ca,
      ...(await pem(certificates, device.id)),
      reconnectPeriod: 0,
    });
    await own.endAsync(true);
    await reportResults('tls-edges-device-certificates', {
      attempts: 3 * ATTEMPTS,
      outcomes,
      counted: refused(after, 'client_certificate') - refused(before, 'client_certificate'),
      heapMbBefore: heapBefore,
      heapMbAfter: heapAfter,
    });
  });

  it('drops plain-text MQTT and HTTP sent to the TLS ports in the handshake, counting the MQTT ones', async () => {
    const httpsPort = Number(new URL(server.url).port);
    await sendAndWaitForClose(server.mqttTlsPort ?? 0, connectPacket('warm-up'));
    const before = await metrics();
    const heapBefore = collectedMemoryMb('heapUsed');
    await runBounded(ATTEMPTS, CONCURRENCY, (i) =>
      sendAndWaitForClose(server.mqttTlsPort ?? 0, connectPacket(`plain-${String(i)}`)),
    );
    await runBounded(ATTEMPTS, CONCURRENCY, () =>
      sendAndWaitForClose(httpsPort, Buffer.from('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n')),
    );
    const heapAfter = collectedMemoryMb('heapUsed');
    const after = await metrics();

    expect(refused(after, 'tls_handshake') - refused(before, 'tls_handshake')).toBe(ATTEMPTS);
    expect(heapAfter - heapBefore).toBeLessThan(4);
    await reportResults('tls-edges-plain-text', {
      mqttAttempts: ATTEMPTS,
      httpAttempts: ATTEMPTS,
      countedMqtt: refused(after, 'tls_handshake') - refused(before, 'tls_handshake'),
      heapMbBefore: heapBefore,
      heapMbAfter: heapAfter,
    });
  });
});
