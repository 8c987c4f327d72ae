import type { Browser, Page } from 'playwright-core';

export const DEMO_PASSWORD = 'tidewatch-demo';

/** A fresh browser context (its own storage: one operator at one desk), signed in to the console. */
export async function signIn(
  browser: Browser,
  baseUrl: string,
  email: string,
  password = DEMO_PASSWORD,
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
  const page = await context.newPage();
  await page.goto(baseUrl);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('grid', { name: 'Alerts' }).waitFor({ timeout: 30_000 });
  return page;
}

/** The alert table's rows (header excluded). */
export const alertRows = (page: Page) => page.locator('[data-testid="alert-table-body"] [role="row"]');

/** The row of one alert, by id. */
export const alertRow = (page: Page, alertId: string) =>
  page.locator(`[data-testid="alert-table-body"] [data-alert-id="${alertId}"]`);

/** The banner shown while the server cannot be reached. */
export const connectionBanner = (page: Page) => page.getByTestId('connection-banner');
