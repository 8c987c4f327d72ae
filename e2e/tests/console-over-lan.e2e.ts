import { networkInterfaces } from 'node:os';
import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import { ServerProcess } from '@tidewatch/server/testing/server-process';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, screenshot } from '../src/browser.ts';
import { DEMO_PASSWORD } from '../src/console.ts';
import { colourShare } from '../src/map-page.ts';
import { freePort } from '../src/ports.ts';
import { startTileServer, TILE_RGB, type TileServer } from '../src/tile-server.ts';

const [hyderabad] = demoTenants;

/** The machine's first non-loopback IPv4 address: how an operator's browser on the LAN reaches the server. */
function lanAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((entry) => entry?.family === 'IPv4' && !entry.internal)?.address;
  if (!address) throw new Error('this machine has no non-loopback IPv4 address to open the console by');
  return address;
}

/** What the page and its workers said about content security, mixed content or failed scripts. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to|Mixed Content|upgrade/i.test(message.text()))
      problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('requestfailed', (request) => {
    // Requests in flight when the test navigates are aborted; that is not a failure to reach anything.
    const reason = request.failure()?.errorText ?? '';
    if (reason !== 'net::ERR_ABORTED') problems.push(`failed: ${request.url()} ${reason}`);
  });
  return problems;
}

describe('the console opened by the LAN address, with a tile server of its own', () => {
  const host = lanAddress();
  let styles: TileServer;
  let tiles: TileServer;
  let server: ServerProcess;
  let browser: Browser;
  let consoleUrl: string;

  beforeAll(async () => {
    // The style on one origin and its tiles on another, as a hosted tile service often has them.
    tiles = await startTileServer(host);
    styles = await startTileServer(host, tiles.origin);
    const port = await freePort();
    server = new ServerProcess({
      port,
      mqttPort: await freePort(),
      databaseUrl: inject('appUrl'),
      env: {
        HOST: '0.0.0.0',
        // The seeded demo's published logins keep the server on 127.0.0.1 unless a demo on the LAN is meant.
        DEMO_EXPOSE: 'true',
        MAP_STYLE_URL: `${styles.origin}/style.json`,
        MAP_TILE_ORIGINS: tiles.origin,
      },
    });
    await server.start();
    browser = await launchBrowser();
    consoleUrl = `http://${host}:${String(port)}`;
  });
  afterAll(async () => {
    await browser.close();
    await server.stop();
    await styles.close();
    await tiles.close();
  });

  it('renders and signs in over plain HTTP, then draws the tile server’s tiles on the map', async () => {
    const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
    const page = await context.newPage();
    const problems = watchProblems(page);
    const violations: string[] = [];
    await page.exposeFunction('reportCspViolation', (text: string) => violations.push(text));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        void (window as unknown as { reportCspViolation(text: string): Promise<void> }).reportCspViolation(
          `${event.effectiveDirective} ${event.blockedURI} at ${event.sourceFile}:${String(event.lineNumber)}`,
        );
      });
    });

    await page.goto(consoleUrl);
    await page.getByLabel('E-mail').fill(demoEmail('supervisor', hyderabad));
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('grid', { name: 'Alerts' }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'lan-console-signed-in');

    await page.goto(`${consoleUrl}/?view=map`);
    const map = page.getByTestId('tenant-map');
    await map.and(page.locator('[data-map-ready="true"]')).waitFor({ timeout: 60_000 });
    await expect
      .poll(() => tiles.requests.filter((request) => request.path.startsWith('/tiles/')).length, {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
    // Drawn, not only fetched: most of the map is the tiles' colour.
    await expect
      .poll(async () => colourShare(browser, await map.screenshot(), TILE_RGB), { timeout: 30_000 })
      .toBeGreaterThan(0.3);
    await screenshot(page, 'lan-console-tile-server-map');

    expect(styles.requests.map((request) => request.path)).toContain('/style.json');
    expect(styles.requests[0]?.origin).toBe(consoleUrl);
    expect(tiles.requests.find((request) => request.path.startsWith('/tiles/'))?.origin).toBe(consoleUrl);
    expect(violations).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
