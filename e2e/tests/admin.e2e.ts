import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import mqtt from 'mqtt';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot } from '../src/browser.ts';
import { adminRows } from '../src/api.ts';
import { consoleSuite } from '../src/console-suite.ts';
import { signIn } from '../src/console.ts';

const [hyderabad] = demoTenants;

/** Connects to the broker as the device and publishes one reading (QoS 1); rejects when the broker refuses. */
async function publishAs(brokerUrl: string, deviceId: string, secret: string, level: number): Promise<void> {
  const client = await mqtt.connectAsync(brokerUrl, {
    clientId: deviceId,
    username: deviceId,
    password: secret,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  try {
    await client.publishAsync(
      `devices/${deviceId}/telemetry`,
      JSON.stringify({ values: { level_cm: level } }),
      {
        qos: 1,
      },
    );
  } finally {
    await client.endAsync();
  }
}

/** The secret the admin screen shows once, and the MQTT user it belongs to. */
async function shownSecret(page: Page): Promise<{ deviceId: string; secret: string }> {
  const panel = page.getByTestId('device-secret');
  await panel.waitFor();
  const deviceId = (await panel.getByTestId('device-secret-user').textContent()) ?? '';
  const secret = (await panel.getByTestId('device-secret-value').textContent()) ?? '';
  expect(secret.length).toBeGreaterThan(16);
  return { deviceId, secret };
}

describe('tenant administration', () => {
  const suite = consoleSuite();

  it('provisions a device whose secret works over MQTT, and rotating it locks the old secret out', async () => {
    const page = await signIn(suite.browser, suite.server.url, demoEmail('admin', hyderabad));
    await page.goto(`${suite.server.url}/?view=admin`);
    await page.getByLabel('Device name').fill('E2E admin gauge');
    await page.getByRole('button', { name: 'Provision' }).click();
    const first = await shownSecret(page);
    await screenshot(page, 'admin-device-secret-shown-once');

    await publishAs(suite.server.mqttUrl, first.deviceId, first.secret, 321);
    await expect
      .poll(
        async () =>
          (
            await adminRows<{ n: string }>(
              `SELECT count(*) AS n FROM telemetry t JOIN series s ON s.id = t.series_id
                WHERE s.device_id = $1 AND t.value = 321`,
              [first.deviceId],
            )
          )[0]?.n,
        { timeout: 10_000 },
      )
      .toBe('1');

    await page.getByRole('button', { name: 'I have copied it' }).click();
    await expect.poll(() => page.getByTestId('device-secret').count()).toBe(0);
    page.once('dialog', (dialog) => void dialog.accept());
    await page
      .locator(`[data-device-id="${first.deviceId}"]`)
      .getByRole('button', { name: 'Rotate secret' })
      .click();
    const second = await shownSecret(page);
    expect(second.deviceId).toBe(first.deviceId);
    expect(second.secret).not.toBe(first.secret);

    await expect(publishAs(suite.server.mqttUrl, first.deviceId, first.secret, 322)).rejects.toThrow();
    await publishAs(suite.server.mqttUrl, second.deviceId, second.secret, 323);
    await screenshot(page, 'admin-device-secret-rotated');
    await page.context().close();
  });

  it('imports the assets of a GeoJSON file', async () => {
    const [lng, lat] = hyderabad.center;
    const collection = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [lng + 0.001, lat + 0.001] },
          properties: { code: 'E2E-IMP-TNK-1', name: 'Imported tank', kind: 'tank' },
        },
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [lng + 0.004, lat + 0.002] },
          properties: { code: 'E2E-IMP-VLV-1', name: 'Imported valve', kind: 'valve' },
        },
        {
          type: 'Feature',
          geometry: {
            type: 'LineString',
            coordinates: [
              [lng + 0.001, lat + 0.001],
              [lng + 0.004, lat + 0.002],
            ],
          },
          properties: { code: 'E2E-IMP-PIPE-1', name: 'Imported main', kind: 'pipeline', diameterMm: 150 },
        },
      ],
    };
    const folder = await mkdtemp(path.join(tmpdir(), 'tidewatch-import-'));
    const file = path.join(folder, 'network.geojson');
    await writeFile(file, JSON.stringify(collection));
    try {
      const page = await signIn(suite.browser, suite.server.url, demoEmail('admin', hyderabad));
      await page.goto(`${suite.server.url}/?view=admin`);
      await page.getByLabel('GeoJSON file').setInputFiles(file);
      const result = page.getByTestId('import-result');
      await result.waitFor();
      expect(await result.getAttribute('data-created')).toBe('3');
      await screenshot(page, 'admin-geojson-imported');

      const stored = await adminRows<{ code: string; kind: string }>(
        `SELECT a.code, a.kind::text AS kind FROM assets a JOIN tenants t ON t.id = a.tenant_id
          WHERE t.slug = $1 AND a.code LIKE 'E2E-IMP-%' ORDER BY a.code`,
        [hyderabad.slug],
      );
      expect(stored).toEqual([
        { code: 'E2E-IMP-PIPE-1', kind: 'pipeline' },
        { code: 'E2E-IMP-TNK-1', kind: 'tank' },
        { code: 'E2E-IMP-VLV-1', kind: 'valve' },
      ]);
      await page.context().close();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
