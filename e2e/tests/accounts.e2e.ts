import { randomUUID } from 'node:crypto';
import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import type { User } from '@tidewatch/shared';
import { TOTP } from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { accessToken, adminRows, replaceTemporaryPassword } from '../src/api.ts';
import { screenshot } from '../src/browser.ts';
import { consoleSuite } from '../src/console-suite.ts';
import { signIn } from '../src/console.ts';

const [hyderabad] = demoTenants;

/** A user of Hyderabad an admin made through the API, with the temporary password it was given. */
async function newUser(serverUrl: string, role: User['role']): Promise<{ email: string; temporary: string }> {
  const email = `e2e-${role}-${randomUUID().slice(0, 8)}@${hyderabad.slug}.example`;
  const temporary = `temporary ${randomUUID()}`;
  const admin = await accessToken(serverUrl, demoEmail('admin', hyderabad));
  const response = await fetch(`${serverUrl}/api/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email, displayName: `E2E ${role}`, role, password: temporary }),
  });
  if (response.status !== 201) throw new Error(`user: ${String(response.status)} ${await response.text()}`);
  return { email, temporary };
}

/** The code the user's authenticator app would show, computed apart from the server (otpauth). */
const codeFor = (secret: string, atMs = Date.now()): string =>
  new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: atMs });

/** The sign-in form filled and sent; the page then shows a sign-in step or the console. */
async function submitSignIn(browser: Browser, url: string, email: string, password: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return page;
}

const alertsGrid = (page: Page) => page.getByRole('grid', { name: 'Alerts' });

describe('accounts in the console', () => {
  const suite = consoleSuite();

  it('a new user must replace the temporary password before the console opens', async () => {
    const url = suite.server.url;
    const { email, temporary } = await newUser(url, 'operator');
    const page = await submitSignIn(suite.browser, url, email, temporary);

    const step = page.getByTestId('sign-in-step-password_change');
    await step.waitFor();
    expect(await alertsGrid(page).count()).toBe(0);
    await step.getByLabel('Password you were given').fill(temporary);
    // A common password is refused, with the rule it broke.
    await step.getByLabel('New password', { exact: true }).fill('qwertyuiop123');
    await step.getByLabel('New password again').fill('qwertyuiop123');
    await step.getByRole('button', { name: 'Save and continue' }).click();
    const refusal = page.getByTestId('password-change-error');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('most common passwords');
    await screenshot(page, 'accounts-forced-password-change');

    const own = `my own ${randomUUID()}`;
    await step.getByLabel('New password', { exact: true }).fill(own);
    await step.getByLabel('New password again').fill(own);
    await step.getByRole('button', { name: 'Save and continue' }).click();
    await alertsGrid(page).waitFor();
    const [row] = await adminRows<{ must_change_password: boolean }>(
      'SELECT must_change_password FROM users WHERE email = $1',
      [email],
    );
    expect(row?.must_change_password).toBe(false);
    await page.context().close();
  });

  it('a supervisor sets up two-step verification with the QR code, then signs in with a computed code', async () => {
    const url = suite.server.url;
    const { email, temporary } = await newUser(url, 'supervisor');
    const password = `supervisor ${randomUUID()}`;
    await replaceTemporaryPassword(url, email, temporary, password);
    const page = await signIn(suite.browser, url, email, password);

    await page.getByRole('button', { name: 'Account' }).click();
    const twoStep = page.getByTestId('two-step');
    await twoStep.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await twoStep.getByTestId('totp-qr').waitFor();
    const secret = (await twoStep.getByTestId('totp-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await screenshot(page, 'accounts-totp-enrolment');
    await twoStep.getByLabel('Code from the app').fill(codeFor(secret));
    await twoStep.getByRole('button', { name: 'Turn on two-step verification' }).click();
    await twoStep.getByTestId('recovery-codes').waitFor();
    const codes = await twoStep.getByTestId('recovery-codes').locator('code').allTextContents();
    expect(codes).toHaveLength(10);
    await twoStep.getByRole('button', { name: 'I have saved the codes' }).click();
    await expect
      .poll(() => twoStep.getByTestId('two-step-state').textContent())
      .toContain('10 recovery codes');

    // Signing in again asks for the code after the password; the console opens only once it is right.
    const again = await submitSignIn(suite.browser, url, email, password);
    const step = again.getByTestId('sign-in-step-second_factor');
    await step.waitFor();
    await step.getByLabel('Code from your authenticator app').fill('000000');
    await step.getByRole('button', { name: 'Verify' }).click();
    await step.getByRole('alert').waitFor();
    expect(await alertsGrid(again).count()).toBe(0);
    // The code of the next step (a phone 30 s ahead), since the one that confirmed enrolment is spent.
    await step.getByLabel('Code from your authenticator app').fill(codeFor(secret, Date.now() + 30_000));
    await step.getByRole('button', { name: 'Verify' }).click();
    await alertsGrid(again).waitFor();

    // A recovery code instead of the app, once.
    const third = await submitSignIn(suite.browser, url, email, password);
    const recoveryStep = third.getByTestId('sign-in-step-second_factor');
    await recoveryStep.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await recoveryStep.getByLabel('Recovery code').fill(codes[0] ?? '');
    await recoveryStep.getByRole('button', { name: 'Verify' }).click();
    await alertsGrid(third).waitFor();

    // From the account page: the other sessions are listed and signed out everywhere else, at once.
    await third.getByRole('button', { name: 'Account' }).click();
    const sessions = third.getByRole('table', { name: 'Sessions' });
    // The API's sign-in that replaced the temporary password, and the three consoles.
    await expect.poll(() => sessions.locator('tbody tr').count()).toBe(4);
    await screenshot(third, 'accounts-sessions');
    await third.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await expect.poll(() => sessions.locator('tbody tr').count()).toBe(1);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await again.getByRole('button', { name: 'Sign in' }).waitFor();
    for (const open of [page, again, third]) await open.context().close();
  });

  it('a tenant that requires two-step verification for supervisors has them enrol at sign-in', async () => {
    const url = suite.server.url;
    const admin = await signIn(suite.browser, url, demoEmail('admin', hyderabad));
    await admin.goto(`${url}/?view=admin`);
    await admin.getByRole('tab', { name: 'Sign-in security' }).click();
    const form = admin.getByRole('form', { name: 'Sign-in security' });
    await form.getByRole('checkbox', { name: 'Required for Supervisor' }).check();
    await form.getByRole('button', { name: 'Save' }).click();
    await admin.getByTestId('security-settings-saved').waitFor();
    try {
      const { email, temporary } = await newUser(url, 'supervisor');
      const password = `supervisor ${randomUUID()}`;
      await replaceTemporaryPassword(url, email, temporary, password);
      const page = await submitSignIn(suite.browser, url, email, password);
      const step = page.getByTestId('sign-in-step-second_factor_enrolment');
      await step.getByRole('button', { name: 'Set up an authenticator app' }).click();
      const secret = (await step.getByTestId('totp-secret').textContent()) ?? '';
      await step.getByLabel('Code from the app').fill(codeFor(secret));
      await step.getByRole('button', { name: 'Turn on two-step verification' }).click();
      await step.getByRole('button', { name: 'I have saved the codes' }).click();
      await alertsGrid(page).waitFor();
      await page.context().close();
    } finally {
      await form.getByRole('checkbox', { name: 'Required for Supervisor' }).uncheck();
      await form.getByRole('button', { name: 'Save' }).click();
      await expect
        .poll(async () => {
          const [settings] = await adminRows<{ roles: string[] }>(
            `SELECT totp_required_roles::text[] AS roles FROM tenant_security_settings s
               JOIN tenants t ON t.id = s.tenant_id WHERE t.slug = $1`,
            [hyderabad.slug],
          );
          return settings?.roles;
        })
        .toEqual([]);
      await admin.context().close();
    }
  });
});
