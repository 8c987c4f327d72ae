import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { accessToken, adminRows, replaceTemporaryPassword } from '../src/api.ts';
import { screenshot } from '../src/browser.ts';
import { consoleSuite } from '../src/console-suite.ts';
import { DEMO_PASSWORD, signIn } from '../src/console.ts';

const [hyderabad] = demoTenants;

/** One REST call as a signed-in user: the status, and the body when it is JSON. */
async function callAs(
  serverUrl: string,
  token: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${serverUrl}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
}

/** The zone of the tenant with the most open alerts, so that "only this zone" is not true of nothing. */
async function busiestZone(): Promise<{ id: string; name: string }> {
  const [zone] = await adminRows<{ id: string; name: string }>(
    `SELECT z.id, z.name FROM zones z JOIN tenants t ON t.id = z.tenant_id
       JOIN alerts a ON a.zone_id = z.id AND a.closed_at IS NULL
      WHERE t.slug = $1 GROUP BY z.id, z.name ORDER BY count(*) DESC, z.name LIMIT 1`,
    [hyderabad.slug],
  );
  if (!zone) throw new Error('the seed left no open alert in a zone');
  return zone;
}

const userRow = (page: Page, email: string) => page.locator(`tr[data-user-email="${email}"]`);
const auditRows = (page: Page) => page.getByTestId('audit-log').locator('tbody tr[data-audit-id]');

/** The actions of the audit rows on screen, once the log has answered. */
async function shownActions(page: Page): Promise<string[]> {
  await page.getByTestId('audit-log').locator('tbody tr[data-audit-id]').first().waitFor();
  return auditRows(page).evaluateAll((rows) => rows.map((row) => row.getAttribute('data-action') ?? ''));
}

describe('tenant users and the audit log', () => {
  const suite = consoleSuite();

  it('an admin creates a zone-limited operator, changes their role, disables them, and reads it all in the audit log', async () => {
    const url = suite.server.url;
    const zone = await busiestZone();
    const email = `e2e-zone-operator@${hyderabad.slug}.example`;
    const admin = await signIn(suite.browser, url, demoEmail('admin', hyderabad));
    await admin.goto(`${url}/?view=admin`);
    // The first tab is still the devices and the asset import, as before the tabs.
    await admin.getByLabel('Device name').waitFor();
    expect(await admin.getByLabel('GeoJSON file').count()).toBe(1);
    await admin.getByRole('tab', { name: 'Users' }).click();

    // Create the operator, limited to one zone; the password is the demo one so the console helper signs in.
    const form = admin.getByRole('form', { name: 'New user' });
    const fillForm = async () => {
      await form.getByLabel('E-mail').fill(email);
      await form.getByLabel('Name').fill('Zed Zone');
      await form.getByLabel('Role').selectOption('operator');
      await form.getByLabel('Temporary password').fill(DEMO_PASSWORD);
      await form.getByRole('checkbox', { name: zone.name }).check();
      await form.getByRole('button', { name: 'Create user' }).click();
    };
    await fillForm();
    const row = userRow(admin, email);
    await row.waitFor();
    expect(await row.getAttribute('data-user-role')).toBe('operator');
    expect(await row.getAttribute('data-user-state')).toBe('active');
    expect(await row.locator('td').nth(3).textContent()).toBe(zone.name);

    // The server's refusal reaches the admin in words.
    await fillForm();
    const refusal = admin.getByTestId('user-create-error');
    await refusal.waitFor();
    expect(await refusal.getAttribute('data-code')).toBe('conflict');
    expect(await refusal.textContent()).toContain('A user of this tenant has this e-mail');

    // The new operator replaces the temporary password, signs in to the console and sees their zone only.
    const own = 'zed zone chose this one';
    await replaceTemporaryPassword(url, email, DEMO_PASSWORD, own);
    const operator = await signIn(suite.browser, url, email, own);
    await expect
      .poll(() => operator.getByRole('combobox', { name: 'Zone' }).locator('option').allTextContents())
      .toEqual(['Any zone', zone.name]);
    expect(await operator.getByRole('button', { name: 'Alarm management' }).count()).toBe(0);
    const token = await accessToken(url, email, own);
    const adminToken = await accessToken(url, demoEmail('admin', hyderabad));
    const alerts = (await callAs(url, token, 'GET', '/alerts?open=true&limit=500')).body as {
      items: { zoneId: string }[];
    };
    const allAlerts = (await callAs(url, adminToken, 'GET', '/alerts?open=true&limit=500')).body as {
      items: unknown[];
    };
    const assets = (await callAs(url, token, 'GET', '/assets?limit=500')).body as {
      features: { properties: { zoneId: string | null } }[];
    };
    expect(alerts.items.length).toBeGreaterThan(0);
    expect(alerts.items.length).toBeLessThan(allAlerts.items.length);
    expect(new Set(alerts.items.map((alert) => alert.zoneId))).toEqual(new Set([zone.id]));
    expect(assets.features.length).toBeGreaterThan(0);
    expect(new Set(assets.features.map((asset) => asset.properties.zoneId))).toEqual(new Set([zone.id]));
    // An operator may not write alert rules: refused before the (empty) body is even read.
    expect((await callAs(url, token, 'POST', '/alert-rules', {})).status).toBe(403);

    // Promoted to supervisor: the same token may now write rules (the empty body is then what is wrong),
    // and a fresh sign-in shows the supervisor's screens.
    await row.getByRole('button', { name: 'Edit' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Edit Zed Zone' });
    await dialog.getByLabel('Role').selectOption('supervisor');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => row.getAttribute('data-user-role')).toBe('supervisor');
    expect(await dialog.count()).toBe(0);
    expect((await callAs(url, token, 'POST', '/alert-rules', {})).status).toBe(400);
    await operator.context().close();
    const supervisor = await signIn(suite.browser, url, email, own);
    await supervisor.getByRole('button', { name: 'Alarm management' }).waitFor();
    await supervisor.context().close();

    // Disabled: the token stops working at once and the console refuses the sign-in.
    admin.once('dialog', (confirm) => void confirm.accept());
    await row.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => row.getAttribute('data-user-state')).toBe('disabled');
    expect((await callAs(url, token, 'GET', '/alerts')).status).toBe(401);
    const lockedOut = await suite.browser.newContext();
    const login = await lockedOut.newPage();
    await login.goto(url);
    await login.getByLabel('E-mail').fill(email);
    await login.getByLabel('Password').fill(own);
    await login.getByRole('button', { name: 'Sign in' }).click();
    await login.getByRole('alert').filter({ hasText: 'E-mail or password is wrong' }).waitFor();
    await lockedOut.close();

    // The audit log: the creation is there, and filtering by action leaves only creations.
    await admin.getByRole('tab', { name: 'Audit log' }).click();
    const everything = await shownActions(admin);
    expect(new Set(everything).size).toBeGreaterThan(1);
    expect(everything).toContain('user.create');
    await admin.getByLabel('Action').selectOption('user.create');
    await admin.getByRole('button', { name: 'Apply filters' }).click();
    await expect
      .poll(async () => (await shownActions(admin)).every((action) => action === 'user.create'))
      .toBe(true);
    const creations = await shownActions(admin);
    expect(creations.length).toBeLessThan(everything.length);
    const creation = auditRows(admin).filter({ hasText: email });
    expect(await creation.count()).toBe(1);
    expect(await creation.locator('td').nth(2).textContent()).toBe('User created');

    await creation.getByRole('button', { name: 'Details' }).click();
    const details = admin.getByTestId('audit-entry-details');
    expect(await details.locator('pre').textContent()).toContain(zone.id);
    await screenshot(admin, 'admin-audit-log-user-created');

    // The user's history: created, their own password chosen, changed twice (role, then disabled), and the
    // refused sign-in; the successful sign-ins are recorded against their sessions.
    await details.getByRole('button', { name: 'Show this entity’s history' }).click();
    await expect
      .poll(async () => (await shownActions(admin)).sort())
      .toEqual(['account.password_change', 'auth.login', 'user.create', 'user.update', 'user.update']);
    expect(
      await auditRows(admin).and(admin.locator('[data-outcome="failure"]')).getAttribute('data-action'),
    ).toBe('auth.login');
    await admin.context().close();
  });
});
