import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import { LEVEL_NODE, makePeerIdentity, startPeer } from '@tidewatch/server/testing/opcua-peer';
import { ServerProcess } from '@tidewatch/server/testing/server-process';
import { describe, expect, inject, it } from 'vitest';
import { accessToken, adminRows, createDevice } from '../src/api.ts';
import { launchBrowser, screenshot } from '../src/browser.ts';
import { signIn } from '../src/console.ts';
import { freePort } from '../src/ports.ts';

const [hyderabad] = demoTenants;

describe('OPC UA administration', () => {
  it('binds an OPC UA device to a PLC whose certificate the administrator trusts, reads the node live, then stores its value under the PLC’s source time', async () => {
    // The PLC holds a tank level of 1.75 m, stamped a minute ago.
    const sourceTime = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const peer = await startPeer(await freePort(), await makePeerIdentity(), { value: 1.75, sourceTime });
    const server = new ServerProcess({
      port: await freePort(),
      mqttPort: await freePort(),
      databaseUrl: inject('appUrl'),
      env: { OPCUA_ENABLED: 'true', OPCUA_TICK_MS: '200', OPCUA_TIMEOUT_MS: '5000' },
    });
    await server.start();
    const browser = await launchBrowser();
    try {
      const email = demoEmail('admin', hyderabad);
      const token = await accessToken(server.url, email);
      const deviceId = await createDevice(server.url, token, {
        name: 'E2E PLC 7',
        transport: 'opcua',
        metricKeys: [],
      });

      const page = await signIn(browser, server.url, email);
      await page.goto(`${server.url}/?view=admin`);
      await page
        .locator(`[data-device-id="${deviceId}"]`)
        .getByRole('button', { name: 'OPC UA binding' })
        .click();
      const editor = page.locator('[aria-label="OPC UA binding of E2E PLC 7"]');
      await editor.getByLabel('Endpoint').fill(peer.endpointUrl);
      await editor.getByLabel('Node of item 1').fill(LEVEL_NODE);
      await editor.getByLabel('Metric of item 1').selectOption('level_cm');
      await editor.getByLabel('Scale of item 1').fill('100');

      // Signed and encrypted (the default): the PLC's certificate is not trusted yet, so the read is refused and the
      // certificate waits in the trust list, where the administrator trusts it.
      await editor.getByRole('button', { name: 'Read now' }).click();
      await editor.getByText(/is not trusted yet/).waitFor({ timeout: 20_000 });
      const pending = page
        .getByRole('table', { name: 'Server certificates' })
        .getByRole('row')
        .filter({ hasText: 'urn:tidewatch-test:plc-7' });
      await pending.getByRole('button', { name: 'Trust' }).click();
      await pending.getByText('trusted', { exact: true }).waitFor({ timeout: 10_000 });

      // Read now: the node's value as it would be stored (metres × 100), nothing saved yet.
      const preview = editor.getByTestId('opcua-preview');
      await expect
        .poll(
          async () => {
            await editor.getByRole('button', { name: 'Read now' }).click();
            await page.waitForTimeout(1000);
            if ((await preview.count()) === 0) return '';
            return (await preview.locator('tbody tr').first().textContent()) ?? '';
          },
          { timeout: 30_000, interval: 1000 },
        )
        .toContain('175');
      await screenshot(page, 'admin-opcua-preview');
      expect(await adminRows('SELECT 1 FROM opcua_bindings WHERE device_id = $1', [deviceId])).toHaveLength(
        0,
      );

      // Saved: the subscription stores the value under the PLC's source time.
      await editor.getByRole('button', { name: 'Save binding' }).click();
      const stored = () =>
        adminRows<{ time: Date; value: number }>(
          `SELECT t.time, t.value FROM telemetry t JOIN series s ON s.id = t.series_id
            WHERE s.device_id = $1 ORDER BY t.time`,
          [deviceId],
        );
      await expect.poll(async () => (await stored()).length, { timeout: 30_000 }).toBe(1);
      expect((await stored()).map((row) => [row.time.getTime(), row.value])).toEqual([
        [sourceTime.getTime(), 175],
      ]);
      await page.context().close();
    } finally {
      await browser.close();
      await server.stop();
      await peer.stop();
    }
  });
});
