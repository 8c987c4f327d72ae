import { randomBytes, randomUUID } from 'node:crypto';
import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import { ServerProcess } from '@tidewatch/server/testing/server-process';
import mqtt from 'mqtt';
import { describe, expect, inject, it } from 'vitest';
import { accessToken, adminRows, createDevice } from '../src/api.ts';
import { launchBrowser, screenshot } from '../src/browser.ts';
import { signIn } from '../src/console.ts';
import { freePort } from '../src/ports.ts';

const [hyderabad] = demoTenants;
/** The machine's Mosquitto stands in for the network server's broker. */
const BROKER = process.env.E2E_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

describe('LoRaWAN administration', () => {
  it('binds a ChirpStack application, maps a device by keyboard, previews its uplink and stores the next one once', async () => {
    const server = new ServerProcess({
      port: await freePort(),
      mqttPort: await freePort(),
      databaseUrl: inject('appUrl'),
      env: { LORAWAN_ENABLED: 'true', LORAWAN_TICK_MS: '300' },
    });
    await server.start();
    const browser = await launchBrowser();
    const peer = await mqtt.connectAsync(BROKER, { clientId: `e2e-lorawan-${randomUUID()}` });
    try {
      const email = demoEmail('admin', hyderabad);
      const token = await accessToken(server.url, email);
      const networkApp = randomUUID();
      const devEui = randomBytes(8).toString('hex');
      const deviceId = await createDevice(server.url, token, {
        name: 'E2E pressure logger',
        transport: 'lorawan',
        metricKeys: ['pressure_bar'],
      });

      const page = await signIn(browser, server.url, email);
      await page.goto(`${server.url}/?view=admin`);
      const servers = page.getByRole('region', { name: 'LoRaWAN network servers' });
      await servers.getByLabel('Name').fill('E2E ChirpStack');
      await servers.getByLabel('Broker').fill(BROKER);
      await servers.getByLabel('Application id').fill(networkApp);
      await servers.getByRole('button', { name: 'Bind' }).click();
      const row = servers.getByRole('row').filter({ hasText: 'E2E ChirpStack' });
      await row.getByTestId('lorawan-connected').waitFor({ timeout: 15_000 });

      // An uplink from the DevEUI before it is mapped: kept as unknown, so the preview has something to show.
      const uplink = (fCnt: number, time: Date, pressure: number) =>
        JSON.stringify({
          deduplicationId: randomUUID(),
          time: time.toISOString(),
          deviceInfo: { applicationId: networkApp, devEui, deviceName: 'logger' },
          devAddr: '01020304',
          fCnt,
          fPort: 2,
          data: 'AAE=',
          object: { sensors: { pressure } },
        });
      const topic = `application/${networkApp}/device/${devEui}/event/up`;
      const first = new Date(Date.now() - 120_000);
      const firstUplink = uplink(7, first, 3.25);

      // The editor, driven from the keyboard: focus moves through its fields and Enter saves.
      await page
        .locator(`[data-device-id="${deviceId}"]`)
        .getByRole('button', { name: 'LoRaWAN binding' })
        .focus();
      await page.keyboard.press('Enter');
      const editor = page.getByRole('form', { name: 'LoRaWAN binding of E2E pressure logger' });
      await editor.getByLabel('DevEUI').focus();
      await page.keyboard.type(devEui.toUpperCase());
      await editor.getByLabel('Path of mapping 1').fill('sensors.pressure');
      await editor.getByLabel('Scale of mapping 1').fill('2');
      await editor.getByLabel('Offset of mapping 1').fill('0.5');
      await expect
        .poll(
          async () => {
            // Sent again until seen: the subscription may still be settling just after the connection.
            await peer.publishAsync(topic, firstUplink, { qos: 1 });
            await editor.getByRole('button', { name: 'Preview', exact: true }).click();
            // Each click starts a new preview: wait for its answer (a table, or "nothing yet") before counting.
            await editor.locator('[data-testid^="lorawan-preview"]').waitFor();
            return editor.locator('[data-testid="lorawan-preview"] tbody tr[data-fcnt="7"]').count();
          },
          { timeout: 15_000, interval: 1000 },
        )
        .toBe(1);
      const cell = editor.locator('tbody tr[data-fcnt="7"] td[data-metric="pressure_bar"]');
      // 3.25 bar × 2 + 0.5, inside the metric's valid range.
      expect(await cell.getAttribute('data-stored')).toBe('7');
      await screenshot(page, 'admin-lorawan-preview');
      // Previewing saved nothing.
      expect(await adminRows('SELECT 1 FROM lorawan_devices WHERE device_id = $1', [deviceId])).toHaveLength(
        0,
      );

      await editor.getByLabel('DevEUI').focus();
      await page.keyboard.press('Enter');
      await editor.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
      const [bound] = await adminRows<{ dev_eui: string }>(
        'SELECT dev_eui FROM lorawan_devices WHERE device_id = $1',
        [deviceId],
      );
      expect(bound?.dev_eui).toBe(devEui);

      // The next uplink, sent twice as a network server may: stored once, scaled.
      const second = new Date(Date.now() - 60_000);
      await peer.publishAsync(topic, uplink(8, second, 3.5), { qos: 1 });
      await peer.publishAsync(topic, uplink(8, second, 3.5), { qos: 1 });
      const stored = () =>
        adminRows<{ value: number }>(
          `SELECT t.value FROM telemetry t JOIN series s ON s.id = t.series_id JOIN metrics m ON m.id = s.metric_id
            WHERE s.device_id = $1 AND m.key = 'pressure_bar' AND t.time = $2`,
          [deviceId, second.toISOString()],
        );
      await expect.poll(async () => (await stored()).length, { timeout: 15_000 }).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await stored()).toEqual([{ value: 7.5 }]);
      await editor
        .getByTestId('lorawan-device-state')
        .getByText(/FCnt 8/)
        .waitFor({ timeout: 15_000 });
      await page.context().close();
    } finally {
      await peer.endAsync();
      await browser.close();
      await server.stop();
    }
  });
});
