import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import { ModbusPeer } from '@tidewatch/server/testing/modbus-peer';
import { ServerProcess } from '@tidewatch/server/testing/server-process';
import { describe, expect, inject, it } from 'vitest';
import { accessToken, adminRows, createDevice } from '../src/api.ts';
import { launchBrowser, screenshot } from '../src/browser.ts';
import { signIn } from '../src/console.ts';
import { freePort } from '../src/ports.ts';

const [hyderabad] = demoTenants;

describe('Modbus administration', () => {
  it('binds a Modbus device to its gateway, reads its registers live, then stores its readings and shows its state', async () => {
    // The gateway: unit 1 holds 3.25 bar as a float32, the low word first, as some RTUs send it.
    const peer = await ModbusPeer.start();
    peer.unit(1).holding.set(0, 0x0000).set(1, 0x4050);
    const server = new ServerProcess({
      port: await freePort(),
      mqttPort: await freePort(),
      databaseUrl: inject('appUrl'),
      env: { MODBUS_ALLOW_NETWORKS: '127.0.0.0/8', MODBUS_TICK_MS: '200' },
    });
    await server.start();
    const browser = await launchBrowser();
    try {
      const email = demoEmail('admin', hyderabad);
      const token = await accessToken(server.url, email);
      const deviceId = await createDevice(server.url, token, {
        name: 'E2E pumping station RTU',
        transport: 'modbus',
        metricKeys: ['pressure_bar'],
      });

      const page = await signIn(browser, server.url, email);
      await page.goto(`${server.url}/?view=admin`);
      await page
        .locator(`[data-device-id="${deviceId}"]`)
        .getByRole('button', { name: 'Modbus binding' })
        .click();
      const editor = page.getByRole('region', { name: 'Modbus binding of E2E pumping station RTU' });
      await editor.getByLabel('Address', { exact: true }).first().fill('127.0.0.1');
      await editor.getByLabel('Port').fill(String(peer.port));
      await editor.getByLabel('Unit id').fill('1');
      const registers = editor.getByRole('table', { name: 'Register map' });
      await registers.getByLabel('Word order').selectOption('little');

      // Read now: the live values, nothing saved yet.
      await editor.getByRole('button', { name: 'Read now' }).click();
      const preview = editor.getByTestId('modbus-preview');
      await expect
        .poll(async () => (await preview.locator('tbody tr').first().textContent()) ?? '', {
          timeout: 15_000,
        })
        .toContain('3.25');
      await screenshot(page, 'admin-modbus-preview');
      expect(await adminRows('SELECT 1 FROM modbus_bindings WHERE device_id = $1', [deviceId])).toHaveLength(
        0,
      );

      // Saved: the poller reads it and stores the pressure; the editor shows the connection.
      await editor.getByRole('button', { name: 'Save' }).click();
      const stored = () =>
        adminRows<{ value: number }>(
          `SELECT t.value FROM telemetry t JOIN series s ON s.id = t.series_id JOIN metrics m ON m.id = s.metric_id
            WHERE s.device_id = $1 AND m.key = 'pressure_bar' ORDER BY t.time DESC LIMIT 1`,
          [deviceId],
        );
      await expect.poll(async () => (await stored())[0]?.value, { timeout: 20_000 }).toBe(3.25);
      await expect
        .poll(async () => (await editor.getByTestId('modbus-state').textContent()) ?? '', { timeout: 20_000 })
        .toMatch(/Connectedyes/);
      await page.context().close();
    } finally {
      await browser.close();
      await server.stop();
      await peer.close();
    }
  });
});
