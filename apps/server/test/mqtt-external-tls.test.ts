import { readFile } from 'node:fs/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import {
  removeMosquitto,
  SERVER_MQTT_PASSWORD,
  startMosquitto,
  type TestMosquitto,
} from '../src/testing/mosquitto.ts';
import { provisionDevices, type ProvisionedDevice } from '../src/testing/provision-devices.ts';
import { createTestCertificates, type TestCertificates } from '../src/testing/test-certificates.ts';
import { adminQuery, startTestServer, tenantA } from './harness.ts';

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Mosquitto configured by our CLI's code with a TLS listener that requires client certificates. */
describe('an external Mosquitto over TLS (mqtts://) with client certificates', () => {
  let certificates: TestCertificates;
  let broker: TestMosquitto;
  let server: RunningServer;
  let device: ProvisionedDevice;
  let ca: Buffer;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    certificates = await createTestCertificates();
    ca = await readFile(certificates.caFile);
    [device] = (await provisionDevices(inject('adminUrl'), {
      tenantSlug: tenantA.slug,
      count: 1,
      metricKeys: ['level_cm'],
      secret: 'mqtts-test-device-secret',
      label: 'Mosquitto TLS node',
    })) as [ProvisionedDevice];
    broker = await startMosquitto(inject('adminUrl'), {
      tls: { ...(await certificates.server('mosquitto')), clientCaFile: certificates.caFile },
    });
    const own = await certificates.client('tidewatch-server');
    server = await startTestServer({
      MQTT_URL: broker.tlsUrl ?? '',
      MQTT_PASSWORD: SERVER_MQTT_PASSWORD,
      MQTT_CLIENT_ID: 'tidewatch-test-external-tls',
      MQTT_BROKER_CA_FILE: certificates.caFile,
      MQTT_CLIENT_CERT_FILE: own.certFile,
      MQTT_CLIENT_KEY_FILE: own.keyFile,
    });
    await until(async () => ((await fetch(`${server.url}/health/ready`)).status === 200 ? true : undefined));
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await server.close();
    await removeMosquitto(broker);
    await certificates.remove();
  });

  it('stores what a device with its certificate publishes, which the server reads over TLS', async () => {
    const files = await certificates.client(device.id);
    const client = await mqtt.connectAsync(broker.tlsUrl ?? '', {
      clientId: device.id,
      username: device.id,
      password: device.secret,
      ca,
      cert: await readFile(files.certFile),
      key: await readFile(files.keyFile),
      reconnectPeriod: 0,
    });
    clients.push(client);
    await client.publishAsync(
      `devices/${device.id}/telemetry`,
      JSON.stringify({ values: { level_cm: 77.5 } }),
      {
        qos: 1,
      },
    );
    const stored = await until(async () => {
      const rows = await adminQuery<{ value: number }>('SELECT value FROM telemetry WHERE series_id = $1', [
        device.series.level_cm,
      ]);
      return rows.length > 0 ? rows.map((row) => row.value) : undefined;
    });
    expect(stored).toEqual([77.5]);
  });

  it('keeps out a device without a client certificate, even with the right secret', async () => {
    await expect(
      mqtt.connectAsync(broker.tlsUrl ?? '', {
        clientId: device.id,
        username: device.id,
        password: device.secret,
        ca,
        reconnectPeriod: 0,
        connectTimeout: 5000,
      }),
    ).rejects.toThrow();
  });
});
