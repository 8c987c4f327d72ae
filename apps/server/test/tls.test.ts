import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { TokenResponse } from '@tidewatch/shared';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { provisionDevices, type ProvisionedDevice } from '../src/testing/provision-devices.ts';
import {
  createTestCertificates,
  type CertificateFiles,
  type TestCertificates,
} from '../src/testing/test-certificates.ts';
import { adminQuery, DEMO_PASSWORD, startTestServer, tenantA } from './harness.ts';

interface HttpsAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The subject CN of the certificate the server presented. */
  readonly servedCn: string;
}

/** One HTTPS request trusting only `ca`. */
function httpsRequest(
  url: string,
  ca: Buffer,
  options: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(
      url,
      {
        ca,
        agent: false,
        method: options.method ?? 'GET',
        headers: {
          ...options.headers,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        const socket = res.socket;
        const servedCn = socket instanceof TLSSocket ? String(socket.getPeerCertificate().subject.CN) : '';
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            servedCn,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const refusedCount = (metrics: string, reason: string): number =>
  Number(
    new RegExp(`ingest_messages_refused_total\\{transport="mqtt",reason="${reason}"\\} (\\d+)`).exec(
      metrics,
    )?.[1] ?? 0,
  );

describe('TLS: HTTPS and WSS on the server port, MQTT over TLS with device certificates', () => {
  let certificates: TestCertificates;
  let foreign: TestCertificates;
  let ca: Buffer;
  let served: CertificateFiles;
  let server: RunningServer;
  let devices: ProvisionedDevice[];
  const clients: MqttClient[] = [];

  const mqttTls = async (options: IClientOptions): Promise<MqttClient> => {
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${String(server.mqttTlsPort)}`, {
      ca,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    });
    clients.push(client);
    return client;
  };
  const clientCertificate = async (of: TestCertificates, commonName: string) => {
    const files = await of.client(commonName);
    return { cert: await readFile(files.certFile), key: await readFile(files.keyFile) };
  };

  beforeAll(async () => {
    certificates = await createTestCertificates();
    foreign = await createTestCertificates('Someone else’s CA');
    ca = await readFile(certificates.caFile);
    served = await certificates.server('tidewatch-one');
    server = await startTestServer({
      TLS_CERT_FILE: served.certFile,
      TLS_KEY_FILE: served.keyFile,
      MQTT_PORT: 'off',
      MQTT_TLS_PORT: '0',
      MQTT_HOST: '127.0.0.1',
      MQTT_TLS_CA_FILE: certificates.caFile,
    });
    devices = await provisionDevices(inject('adminUrl'), {
      tenantSlug: tenantA.slug,
      count: 2,
      metricKeys: ['level_cm'],
      secret: 'tls-test-device-secret',
      label: 'TLS node',
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await server.close();
    await certificates.remove();
    await foreign.remove();
  });

  it('answers REST over HTTPS with HSTS and upgrade-insecure-requests, and no plain HTTP on the port', async () => {
    expect(server.url).toMatch(/^https:/);
    const login = await httpsRequest(`${server.url}/api/v1/auth/login`, ca, {
      method: 'POST',
      body: { email: tenantA.email('operator'), password: DEMO_PASSWORD },
    });
    expect(login.status).toBe(200);
    expect(login.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(login.headers['content-security-policy']).toContain('upgrade-insecure-requests');

    await expect(fetch(server.url.replace('https:', 'http:') + '/health/live')).rejects.toThrow();
    // A client that does not trust the CA refuses the server.
    await expect(httpsRequest(`${server.url}/health/live`, await readFile(foreign.caFile))).rejects.toThrow(
      /self-signed|unable to verify|certificate/i,
    );
  });

  it('carries Socket.IO over WSS on the same port', async () => {
    const login = await httpsRequest(`${server.url}/api/v1/auth/login`, ca, {
      method: 'POST',
      body: { email: tenantA.email('operator'), password: DEMO_PASSWORD },
    });
    const tokens = JSON.parse(login.body) as TokenResponse;
    const socket = io(server.url, {
      ca: ca.toString('utf8'),
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: { token: tokens.accessToken },
    });
    try {
      const ready = await new Promise<unknown>((resolve, reject) => {
        socket.on('session:ready', resolve);
        socket.on('connect_error', reject);
      });
      expect(ready).toMatchObject({ tenantId: expect.any(String) as unknown });
      expect(socket.io.engine.transport.name).toBe('websocket');
    } finally {
      socket.close();
    }
  });

  it('stores a reading from a device with its own certificate, over TLS only', async () => {
    const [device] = devices;
    if (!device) throw new Error('no device');
    expect(server.mqttPort).toBeNull();
    const client = await mqttTls({
      clientId: device.id,
      username: device.id,
      password: device.secret,
      ...(await clientCertificate(certificates, device.id)),
    });
    await client.publishAsync(
      `devices/${device.id}/telemetry`,
      JSON.stringify({ values: { level_cm: 141.25 } }),
      { qos: 1 },
    );
    const rows = await adminQuery<{ value: number }>('SELECT value FROM telemetry WHERE series_id = $1', [
      device.series.level_cm,
    ]);
    expect(rows.map((row) => row.value)).toEqual([141.25]);
  });

  it('refuses, and counts, a device without a certificate, with a foreign one, or with another device’s', async () => {
    const [device, other] = devices;
    if (!device || !other) throw new Error('no devices');
    const metricsBefore = (await httpsRequest(`${server.url}/metrics`, ca)).body;
    const credentials = { clientId: device.id, username: device.id, password: device.secret };

    await expect(mqttTls(credentials)).rejects.toThrow(/Not authorized/);
    await expect(
      mqttTls({ ...credentials, ...(await clientCertificate(foreign, device.id)) }),
    ).rejects.toThrow(/Not authorized/);
    await expect(
      mqttTls({ ...credentials, ...(await clientCertificate(certificates, other.id)) }),
    ).rejects.toThrow(/Not authorized/);

    const metricsAfter = (await httpsRequest(`${server.url}/metrics`, ca)).body;
    expect(
      refusedCount(metricsAfter, 'client_certificate') - refusedCount(metricsBefore, 'client_certificate'),
    ).toBe(3);
  });

  it('takes new certificates on reload for new connections, and keeps the old ones when the new are broken', async () => {
    expect((await httpsRequest(`${server.url}/health/live`, ca)).servedCn).toBe('tidewatch-one');
    const renewed = await certificates.server('tidewatch-two');
    await copyFile(renewed.certFile, served.certFile);
    await copyFile(renewed.keyFile, served.keyFile);

    await server.reloadCertificates();

    expect((await httpsRequest(`${server.url}/health/live`, ca)).servedCn).toBe('tidewatch-two');
    const [device] = devices;
    if (!device) throw new Error('no device');
    const client = await mqttTls({
      clientId: device.id,
      username: device.id,
      password: device.secret,
      ...(await clientCertificate(certificates, device.id)),
    });
    expect(client.connected).toBe(true);

    // A key that does not match the certificate: the reload fails and nothing changes.
    const unrelated = await certificates.server('tidewatch-three');
    await copyFile(unrelated.keyFile, served.keyFile);
    await expect(server.reloadCertificates()).rejects.toThrow(/key values mismatch|private key/i);
    expect((await httpsRequest(`${server.url}/health/live`, ca)).servedCn).toBe('tidewatch-two');
    await writeFile(served.keyFile, await readFile(renewed.keyFile));
  });
});

describe('MQTT over TLS beside the plain port, without device certificates', () => {
  let certificates: TestCertificates;
  let server: RunningServer;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    certificates = await createTestCertificates();
    const served = await certificates.server('tidewatch');
    server = await startTestServer({
      TLS_CERT_FILE: served.certFile,
      TLS_KEY_FILE: served.keyFile,
      MQTT_TLS_PORT: '0',
      MQTT_HOST: '127.0.0.1',
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await server.close();
    await certificates.remove();
  });

  it('lets a device in with its id and secret on either port', async () => {
    const [device] = await provisionDevices(inject('adminUrl'), {
      tenantSlug: tenantA.slug,
      count: 1,
      metricKeys: ['level_cm'],
      secret: 'tls-test-device-secret',
      label: 'TLS and plain node',
    });
    if (!device) throw new Error('no device');
    const credentials = {
      clientId: device.id,
      username: device.id,
      password: device.secret,
      reconnectPeriod: 0,
    };
    // One after the other: a second connection with the same client id takes the first one's place.
    const plain = await mqtt.connectAsync(`mqtt://127.0.0.1:${String(server.mqttPort)}`, credentials);
    expect(plain.connected).toBe(true);
    await plain.endAsync();
    const tls = await mqtt.connectAsync(`mqtts://127.0.0.1:${String(server.mqttTlsPort)}`, {
      ...credentials,
      ca: await readFile(certificates.caFile),
    });
    clients.push(tls);
    expect(tls.connected).toBe(true);
  });
});
