import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import { describe, expect, it } from 'vitest';
import { screenshot } from '../src/browser.ts';
import { adminRows } from '../src/api.ts';
import { consoleSuite } from '../src/console-suite.ts';
import { alertRows, signIn } from '../src/console.ts';

const [hyderabad, pune] = demoTenants;

describe('the web console: sign-in, seeded alerts, roles and tenants', () => {
  const suite = consoleSuite();

  it('signs an operator in and lists the seeded open alerts', async () => {
    const page = await signIn(suite.browser, suite.server.url, demoEmail('operator', pune));
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
    const page = await signIn(suite.browser, suite.server.url, demoEmail('viewer', pune));
    await expect.poll(() => alertRows(page).count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await alertRows(page).first().click();
    expect(await page.getByRole('button', { name: /acknowledge/i }).count()).toBe(0);
    await screenshot(page, 'viewer-no-acknowledge');
    const login = await fetch(`${suite.server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: demoEmail('viewer', pune), password: 'tidewatch-demo' }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const [alert] = await adminRows<{ id: string }>(
      `SELECT a.id FROM alerts a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = $1 AND a.closed_at IS NULL LIMIT 1`,
      [pune.slug],
    );
    const refused = await fetch(`${suite.server.url}/api/v1/alerts/${String(alert?.id)}/acknowledge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ comment: 'not mine to acknowledge' }),
    });
    expect(refused.status).toBe(403);
    await page.context().close();
  });

  it("never shows another tenant's alerts", async () => {
    const page = await signIn(suite.browser, suite.server.url, demoEmail('operator', hyderabad));
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
