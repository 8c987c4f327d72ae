import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import {
  removeMosquitto,
  SERVER_MQTT_PASSWORD,
  startMosquitto,
  type TestMosquitto,
} from '@tidewatch/server/testing/mosquitto';
import { provisionDevices, type ProvisionedDevice } from '@tidewatch/server/testing/provision-devices';
import { ServerProcess } from '@tidewatch/server/testing/server-process';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { accessToken, createHighRule, openAlertOf } from '../src/api.ts';
import { launchBrowser, screenshot } from '../src/browser.ts';
import { alertRow, alertRows, connectionBanner, signIn } from '../src/console.ts';
import { freePort } from '../src/ports.ts';

const [hyderabad, pune] = demoTenants;
const DEVICE_SECRET = 'e2e-live-device-secret';
/** Every rule's setpoint; each test's device publishes above it. */
const SETPOINT = 400;
const LIVE_WITHIN_MS = 2000;

/** The device's own MQTT connection. */
function connectDevice(broker: TestMosquitto, device: ProvisionedDevice): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(broker.url, {
    clientId: device.id,
    username: device.id,
    password: device.secret,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
}

/** One reading at QoS 1 (the broker has it when this resolves). */
async function publish(client: mqtt.MqttClient, device: ProvisionedDevice, level: number): Promise<void> {
  await client.publishAsync(
    `devices/${device.id}/telemetry`,
    JSON.stringify({ values: { level_cm: level } }),
    {
      qos: 1,
    },
  );
}

/** One reading published over MQTT as the device itself. */
async function publishLevel(broker: TestMosquitto, device: ProvisionedDevice, level: number): Promise<void> {
  const client = await connectDevice(broker, device);
  try {
    await publish(client, device, level);
  } finally {
    await client.endAsync();
  }
}

/** Narrows the console to one alarm by typing its name in the search box, as an operator would. */
async function searchFor(page: Page, text: string): Promise<void> {
  await page.getByLabel('Search alerts').fill(text);
}

describe('the live console: MQTT to screen, operators in step, shelving, and a server restart', () => {
  let broker: TestMosquitto;
  let server: ServerProcess;
  let browser: Browser;
  let devices: ProvisionedDevice[];
  let supervisorToken: string;
  const adminUrl = inject('adminUrl');

  beforeAll(async () => {
    devices = await provisionDevices(adminUrl, {
      tenantSlug: pune.slug,
      count: 4,
      metricKeys: ['level_cm'],
      secret: DEVICE_SECRET,
      label: 'E2E live tank',
    });
    broker = await startMosquitto(adminUrl);
    server = new ServerProcess({
      port: await freePort(),
      databaseUrl: inject('appUrl'),
      env: {
        MQTT_URL: broker.serverUrl,
        MQTT_PASSWORD: SERVER_MQTT_PASSWORD,
        MQTT_CLIENT_ID: 'tidewatch-e2e-live',
        // Shelving expires on the alert jobs' beat: a short beat keeps the expiry test close to its minute.
        ALERT_JOB_INTERVAL_MS: '500',
      },
    });
    await server.start();
    browser = await launchBrowser();
    supervisorToken = await accessToken(server.url, demoEmail('supervisor', pune));
  });
  afterAll(async () => {
    await browser.close();
    await server.stop();
    await removeMosquitto(broker);
  });

  const device = (index: number): ProvisionedDevice => {
    const found = devices[index];
    if (!found) throw new Error(`no device ${String(index)}`);
    return found;
  };
  const seriesOf = (index: number): number => device(index).series.level_cm ?? 0;

  it('shows an alert raised by an MQTT reading within 2 s, without a reload, and never to the other tenant', async () => {
    const operator = await signIn(browser, server.url, demoEmail('operator', pune));
    const otherTenant = await signIn(browser, server.url, demoEmail('operator', hyderabad));
    await expect.poll(() => alertRows(operator).count(), { timeout: 15_000 }).toBeGreaterThan(0);
    const name = 'E2E live tank overflow';
    await createHighRule(server.url, supervisorToken, {
      name,
      seriesId: seriesOf(0),
      setpoint: SETPOINT,
      priority: 'critical',
    });
    // The device is connected and reporting normal levels, as it would be long before its tank overflows.
    const tank = await connectDevice(broker, device(0));
    await publish(tank, device(0), SETPOINT - 100);
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const publishedAt = Date.now();
    await publish(tank, device(0), SETPOINT + 50);
    await operator.getByRole('grid', { name: 'Alerts' }).getByText(name).first().waitFor({ timeout: 10_000 });
    const shownAfterMs = Date.now() - publishedAt;
    await tank.endAsync();
    await screenshot(operator, 'live-alert-from-mqtt');

    expect(shownAfterMs).toBeLessThan(LIVE_WITHIN_MS);
    console.info(`MQTT publish to row on screen: ${String(shownAfterMs)} ms`);
    expect(await otherTenant.getByRole('grid', { name: 'Alerts' }).innerText()).not.toContain(name);
    await screenshot(otherTenant, 'live-alert-other-tenant-unaware');
    await operator.context().close();
    await otherTenant.context().close();
  });

  it("shows one operator's acknowledgement, with its comment, live in a second operator's browser", async () => {
    const name = 'E2E acknowledged tank high';
    const rule = await createHighRule(server.url, supervisorToken, {
      name,
      seriesId: seriesOf(1),
      setpoint: SETPOINT,
      priority: 'high',
    });
    await publishLevel(broker, device(1), SETPOINT + 10);
    const alertId = await openAlertOf(adminUrl, rule.id);
    const first = await signIn(browser, server.url, demoEmail('operator', pune));
    const second = await signIn(browser, server.url, demoEmail('operator2', pune));
    for (const page of [first, second]) {
      await searchFor(page, name);
      await expect
        .poll(() => alertRow(page, alertId).innerText(), { timeout: 10_000 })
        .toContain('Unacknowledged');
    }
    // The second operator has the alert's detail open while the first acts.
    await alertRow(second, alertId).click();
    const comment = 'Crew dispatched to the tank, inlet valve being throttled';

    await alertRow(first, alertId).click();
    await first.getByRole('button', { name: 'Acknowledge (a)' }).click();
    await first.getByLabel('Comment (optional)').fill(comment);
    await first.getByRole('dialog').getByRole('button', { name: 'Acknowledge' }).click();

    await expect
      .poll(() => alertRow(second, alertId).innerText(), { timeout: 5000 })
      .toContain('Acknowledged');
    await second.getByRole('list', { name: 'Alert history' }).getByText(comment).waitFor({ timeout: 5000 });
    await screenshot(first, 'acknowledge-first-operator');
    await screenshot(second, 'acknowledge-seen-live-by-second-operator');
    await first.context().close();
    await second.context().close();
  });

  it('hides a shelved alert, and shows it again when the shelving expires', async () => {
    const name = 'E2E shelved tank high';
    const rule = await createHighRule(server.url, supervisorToken, {
      name,
      seriesId: seriesOf(2),
      setpoint: SETPOINT,
      priority: 'medium',
    });
    await publishLevel(broker, device(2), SETPOINT + 20);
    const alertId = await openAlertOf(adminUrl, rule.id);
    const operator = await signIn(browser, server.url, demoEmail('operator', pune));
    await searchFor(operator, name);
    await alertRow(operator, alertId).waitFor({ timeout: 10_000 });

    await alertRow(operator, alertId).click();
    await operator.getByRole('button', { name: 'Shelve… (s)' }).click();
    await operator.getByLabel('For').selectOption({ label: '1 minute' });
    await operator.getByLabel('Reason').fill('Level sensor being recalibrated');
    const shelvedAt = Date.now();
    await operator.getByRole('dialog').getByRole('button', { name: 'Shelve' }).click();
    await alertRow(operator, alertId).waitFor({ state: 'detached', timeout: 5000 });
    await screenshot(operator, 'shelved-alert-hidden');

    await alertRow(operator, alertId).waitFor({ timeout: 80_000 });
    const returnedAfterS = (Date.now() - shelvedAt) / 1000;
    expect(returnedAfterS).toBeGreaterThanOrEqual(59);
    expect(await alertRow(operator, alertId).innerText()).toContain('Unacknowledged');
    await screenshot(operator, 'shelved-alert-returned-at-expiry');
    await operator.context().close();
  });

  it('shows the offline banner while the server is stopped, then recovers and catches up without a reload', async () => {
    const operator = await signIn(browser, server.url, demoEmail('operator', pune));
    await expect.poll(() => alertRows(operator).count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await operator.evaluate(() => {
      (window as unknown as Record<string, unknown>).e2eSamePage = true;
    });

    await server.stop();
    await connectionBanner(operator).getByText('Offline').waitFor({ timeout: 10_000 });
    await screenshot(operator, 'server-stopped-offline-banner');

    // While it is down, another instance on the same database raises an alert this console has not seen.
    const other = new ServerProcess({
      port: await freePort(),
      mqttPort: await freePort(),
      databaseUrl: inject('appUrl'),
    });
    await other.start();
    const name = 'E2E raised while the console was offline';
    const rule = await createHighRule(
      other.url,
      await accessToken(other.url, demoEmail('supervisor', pune)),
      {
        name,
        seriesId: seriesOf(3),
        setpoint: SETPOINT,
        priority: 'critical',
      },
    );
    const ingest = await fetch(`${other.url}/api/v1/ingest`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${device(3).id}:${DEVICE_SECRET}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ values: { level_cm: SETPOINT + 30 } }),
    });
    expect(ingest.status).toBe(202);
    const alertId = await openAlertOf(adminUrl, rule.id);
    await other.stop();

    await server.start();
    await connectionBanner(operator).waitFor({ state: 'detached', timeout: 20_000 });
    await searchFor(operator, name);
    await alertRow(operator, alertId).waitFor({ timeout: 5000 });
    expect(await operator.evaluate(() => (window as unknown as Record<string, unknown>).e2eSamePage)).toBe(
      true,
    );
    await screenshot(operator, 'server-restarted-console-resynced');
    await operator.context().close();
  });
});
