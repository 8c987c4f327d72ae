import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import { ServerProcess } from '@tidewatch/server/testing/server-process';
import type { Browser } from 'playwright-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, screenshot } from '../src/browser.ts';
import { alertRows, signIn } from '../src/console.ts';
import { freePort } from '../src/ports.ts';

const [hyderabad, pune] = demoTenants;

async function adminRows<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: inject('adminUrl') });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('the web console: sign-in, seeded alerts, roles and tenants', () => {
  let server: ServerProcess;
  let browser: Browser;

  beforeAll(async () => {
    server = new ServerProcess({
      port: await freePort(),
      mqttPort: await freePort(),
      databaseUrl: inject('appUrl'),
    });
    await server.start();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
    await server.stop();
  });

  it('signs an operator in and lists the seeded open alerts', async () => {
    const page = await signIn(browser, server.url, demoEmail('operator', pune));
    const open = await adminRows<{ count: string }>(
      `SELECT count(*) FROM alerts a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = $1 AND a.closed_at IS NULL`,
      [pune.slug],
    );
    await expect.poll(() => alertRows(page).count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(Number(open[0]?.count)).toBeGreaterThan(0);
    await page.getByText(pune.name).first().waitFor();
    await screenshot(page, 'operator-alert-console');
    await page.context().close();
  });

  it('offers a viewer no acknowledge action, and the API refuses it anyway', async () => {
    const page = await signIn(browser, server.url, demoEmail('viewer', pune));
    await expect.poll(() => alertRows(page).count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await alertRows(page).first().click();
    expect(await page.getByRole('button', { name: /acknowledge/i }).count()).toBe(0);
    await screenshot(page, 'viewer-no-acknowledge');
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: demoEmail('viewer', pune), password: 'tidewatch-demo' }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const [alert] = await adminRows<{ id: string }>(
      `SELECT a.id FROM alerts a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = $1 AND a.closed_at IS NULL LIMIT 1`,
      [pune.slug],
    );
    const refused = await fetch(`${server.url}/api/v1/alerts/${String(alert?.id)}/acknowledge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ comment: 'not mine to acknowledge' }),
    });
    expect(refused.status).toBe(403);
    await page.context().close();
  });

  it("never shows another tenant's alerts", async () => {
    const page = await signIn(browser, server.url, demoEmail('operator', hyderabad));
    await expect.poll(() => alertRows(page).count(), { timeout: 15_000 }).toBeGreaterThan(0);
    const puneAssets = await adminRows<{ name: string }>(
      `SELECT DISTINCT s.name FROM alerts a JOIN assets s ON s.id = a.asset_id JOIN tenants t ON t.id = a.tenant_id
        WHERE t.slug = $1 AND a.closed_at IS NULL`,
      [pune.slug],
    );
    const text = await page.getByRole('grid', { name: 'Alerts' }).innerText();
    for (const asset of puneAssets) expect(text).not.toContain(asset.name);
    await page.context().close();
  });
});
