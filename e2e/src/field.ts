import { devices, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { DEMO_PASSWORD } from './console.ts';

/** A mid-range Android phone: its viewport, touch, device scale and user agent. */
const { defaultBrowserType: _browserType, ...phone } = devices['Pixel 7'];

/**
 * A phone's browser (its own storage) signed in to the field app. Service workers are blocked unless asked for,
 * so request routing in a test sees every call the app makes.
 */
export async function signInToFieldApp(
  browser: Browser,
  baseUrl: string,
  email: string,
  options: BrowserContextOptions = {},
): Promise<Page> {
  const context = await browser.newContext({ ...phone, serviceWorkers: 'block', ...options });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/field/`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await fieldNav(page).waitFor({ timeout: 30_000 });
  return page;
}

export const fieldNav = (page: Page) => page.getByRole('navigation', { name: 'Field app' });

export const openFieldTab = (page: Page, name: 'Alerts' | 'Incidents' | 'Nearby' | 'Queue') =>
  fieldNav(page).getByRole('link', { name, exact: false }).click();
