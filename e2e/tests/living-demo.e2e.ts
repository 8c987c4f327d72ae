import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import { createTestDatabase, type TestDatabase } from '@tidewatch/db/testing';
import { adminQuery } from '@tidewatch/server/testing/admin-query';
import { ServerProcess } from '@tidewatch/server/testing/server-process';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessToken } from '../src/api.ts';
import { launchBrowser, screenshot } from '../src/browser.ts';
import { alertRow, signIn } from '../src/console.ts';
import { freePort } from '../src/ports.ts';
import { SmsGatewayStandIn } from '@tidewatch/server/testing/sms-gateway-stand-in';

const tenants = demoTenants;

// A type, not an interface: rows must be indexable (pg's QueryResultRow).
type SimulatedAlert = {
  id: string;
  slug: string;
  asset: string;
};

/**
 * `npm start`'s living demo in a database of its own (the run's seeded one stays frozen for the other files):
 * the server in development with the simulator on, the scripted events played fast, and an SMS gateway stand-in.
 */
describe('the living demo', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let browser: Browser;
  const gateway = new SmsGatewayStandIn();
  const startedAt = new Date();

  const rows = <T extends Record<string, unknown>>(sql: string, params: unknown[] = []) =>
    adminQuery<T>(database.adminUrl, sql, params);

  async function waitForRow<T extends Record<string, unknown>>(
    what: string,
    sql: string,
    params: unknown[],
    timeoutMs = 120_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [row] = await rows<T>(sql, params);
      if (row) return row;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Signs in as the tenant's operator and narrows the console to the alert's asset. */
  async function consoleFor(alert: SimulatedAlert): Promise<Page> {
    const tenant = tenants.find((t) => t.slug === alert.slug) ?? tenants[0];
    const page = await signIn(browser, server.url, demoEmail('operator', tenant));
    await page.getByLabel('Search alerts').fill(alert.asset);
    return page;
  }

  beforeAll(async () => {
    database = await createTestDatabase({ seed: true });
    const gatewayUrl = await gateway.start();
    server = new ServerProcess({
      port: await freePort(),
      mqttPort: await freePort(),
      databaseUrl: database.appUrl,
      env: {
        NODE_ENV: 'development',
        LOG_LEVEL: 'warn',
        SIMULATOR: 'on',
        SIMULATOR_REPORT_MS: '3000',
        SIMULATOR_FAST_REPORT_MS: '1000',
        SIMULATOR_EVENT_EVERY_S: '5',
        SIMULATOR_PACE: '0.05',
        SIMULATOR_EVENTS: 'overflow,chatter',
        ESCALATION_TICK_MS: '500',
        // A flood of a few alarms, so the flood grouping shows within the test.
        ALERT_FLOOD_THRESHOLD: '3',
        SMS_GATEWAY_URL: `${gatewayUrl}/sms`,
        SMS_GATEWAY_TEMPLATE: '{"phone":"{{to}}","message":"{{body}}","sender":"{{from}}"}',
      },
    });
    await server.start();
    browser = await launchBrowser();
    // Each tenant: its operator on call around the clock, texted for every high or critical alarm until acknowledged.
    for (const tenant of tenants) {
      const admin = await accessToken(server.url, demoEmail('admin', tenant));
      const supervisor = await accessToken(server.url, demoEmail('supervisor', tenant));
      const [operator] = await rows<{ id: string }>('SELECT id::text FROM users WHERE email = $1', [
        demoEmail('operator', tenant),
      ]);
      const call = async (token: string, method: string, path: string, body: unknown) => {
        const response = await fetch(`${server.url}/api/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (!response.ok) throw new Error(`${path}: ${String(response.status)} ${await response.text()}`);
        return (await response.json()) as { id: string };
      };
      await call(admin, 'PUT', `/users/${operator?.id ?? ''}/phone`, { phone: '+919800000001' });
      const schedule = await call(supervisor, 'POST', '/on-call-schedules', {
        name: 'Control room',
        timeZone: tenant.timeZone,
        shifts: [{ userId: operator?.id, weekdays: [1, 2, 3, 4, 5, 6, 7], starts: '00:00', ends: '00:00' }],
      });
      await call(supervisor, 'POST', '/escalation-policies', {
        name: 'High and critical to the on-call operator',
        minPriority: 'high',
        repeats: 10,
        steps: [{ scheduleId: schedule.id, waitS: 4 }],
      });
    }
  });
  afterAll(async () => {
    await browser.close();
    await server.stop();
    await gateway.stop();
    await database.drop();
  });

  it('raises and clears alarms on its own, and the console shows them', async () => {
    const raised = await waitForRow<SimulatedAlert & { state: string }>(
      'a simulated alarm that cleared',
      `SELECT a.id::text, t.slug, s.name AS asset, a.state::text
         FROM alerts a JOIN tenants t ON t.id = a.tenant_id JOIN assets s ON s.id = a.asset_id
        WHERE a.raised_at > $1
          AND EXISTS (SELECT 1 FROM alert_transitions x WHERE x.alert_id = a.id AND x.comment = 'Condition cleared')
        ORDER BY a.raised_at LIMIT 1`,
      [startedAt],
    );
    const page = await consoleFor(raised);
    await expect.poll(() => alertRow(page, raised.id).innerText(), { timeout: 15_000 }).toContain('Returned');
    await screenshot(page, 'living-demo-raised-and-cleared');
    await page.context().close();
  });

  it('flags a chattering alarm', async () => {
    const chattering = await waitForRow<SimulatedAlert>(
      'a chattering alarm',
      `SELECT a.id::text, t.slug, s.name AS asset
         FROM alerts a JOIN tenants t ON t.id = a.tenant_id JOIN assets s ON s.id = a.asset_id
        WHERE a.chattering_since IS NOT NULL ORDER BY a.chattering_since LIMIT 1`,
      [],
    );
    const page = await consoleFor(chattering);
    await expect
      .poll(() => alertRow(page, chattering.id).innerText(), { timeout: 15_000 })
      .toContain('Chattering');
    await screenshot(page, 'living-demo-chattering');
    await page.context().close();
  });

  it('groups a flood by zone and asset, the first alarm marked', async () => {
    const flood = await waitForRow<{ slug: string }>(
      'a flood',
      `SELECT t.slug FROM alert_floods f JOIN tenants t ON t.id = f.tenant_id WHERE f.active LIMIT 1`,
      [],
    );
    const tenant = tenants.find((t) => t.slug === flood.slug) ?? tenants[0];
    const page = await signIn(browser, server.url, demoEmail('operator', tenant));
    const groups = page.getByRole('region', { name: 'Flood by probable cause' });
    await groups.getByText('First').first().waitFor({ timeout: 15_000 });
    expect(await groups.getByTestId('flood-group').count()).toBeGreaterThan(0);
    await screenshot(page, 'living-demo-flood-groups');
    await page.context().close();
  });

  it('texts the on-call operator through the SMS gateway until the alarm is acknowledged in the console', async () => {
    const texted = await waitForRow<SimulatedAlert & { body: string }>(
      'an escalation SMS delivered',
      `SELECT a.id::text, t.slug, s.name AS asset, m.body
         FROM escalation_messages m JOIN alerts a ON a.id = m.alert_id JOIN tenants t ON t.id = a.tenant_id
         JOIN assets s ON s.id = a.asset_id
        WHERE m.state = 'delivered' AND a.closed_at IS NULL
          AND a.state IN ('active_unacknowledged', 'returned_unacknowledged')
        ORDER BY m.id DESC LIMIT 1`,
      [],
    );
    expect(gateway.received.some((sms) => sms.fields.message === texted.body)).toBe(true);
    expect(gateway.received[0]?.fields).toMatchObject({ phone: '+919800000001', sender: 'Tidewatch' });

    const page = await consoleFor(texted);
    await alertRow(page, texted.id).click();
    await page.getByRole('button', { name: 'Acknowledge (a)' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Acknowledge' }).click();
    // The alert's detail shows whom the escalation texted and that it stopped.
    const escalation = page.getByRole('region', { name: 'Escalation' });
    await escalation.getByText(/stopped/).waitFor({ timeout: 15_000 });
    await escalation
      .getByText(/SMS to …0001 .*delivered/)
      .first()
      .waitFor({ timeout: 5000 });
    await waitForRow(
      'the escalation to stop',
      'SELECT 1 AS stopped FROM alert_escalations WHERE alert_id = $1 AND stopped_at IS NOT NULL',
      [texted.id],
      20_000,
    );
    const sentToGateway = () => gateway.received.filter((sms) => sms.fields.message === texted.body).length;
    const atAcknowledgement = sentToGateway();
    // Two waits of the policy's step later, nothing more went out for it.
    await new Promise((resolve) => setTimeout(resolve, 9000));
    expect(sentToGateway()).toBe(atAcknowledgement);
    const [messages] = await rows<{ n: number }>(
      `SELECT count(*)::int AS n FROM escalation_messages WHERE alert_id = $1 AND state = 'delivered'`,
      [texted.id],
    );
    expect(messages?.n).toBe(atAcknowledgement);
    await screenshot(page, 'living-demo-acknowledged');
    await page.context().close();
  });
});
