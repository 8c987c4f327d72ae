import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { percentile, round } from './stats.ts';

import { createTestDatabase, type TestDatabase } from '@tidewatch/db/testing';
import { freePort } from '@tidewatch/server/testing/ports';
import { ServerProcess } from '@tidewatch/server/testing/server-process';

export { freePort };

// The built web console in headless Chromium, for the benchmarks that time what an operator sees.

const consoleBuild = path.resolve(import.meta.dirname, '../../apps/desktop/out/renderer/index.html');
const DEMO_PASSWORD = 'tidewatch-demo';
/** A frame slower than this is a dropped frame at 60 Hz (with a little slack for timer jitter). */
const DROPPED_FRAME_MS = 20;

export function assertConsoleBuilt(): void {
  if (!existsSync(consoleBuild))
    throw new Error('the console is not built: run `npm run build -w @tidewatch/desktop` first');
}

export interface ConsoleServer {
  readonly database: TestDatabase;
  /** Not started yet: a benchmark may fill the database first. */
  readonly server: ServerProcess;
  readonly stop: () => Promise<void>;
}

/**
 * The built console's server on a fresh seeded database, with the alert engine off: nothing but the page under
 * test should compete for the two cores.
 */
export async function consoleServer(): Promise<ConsoleServer> {
  assertConsoleBuilt();
  const database = await createTestDatabase({ seed: true });
  const server = new ServerProcess({
    port: await freePort(),
    mqttPort: await freePort(),
    databaseUrl: database.appUrl,
    env: { ALERT_ENGINE_ENABLED: 'false' },
  });
  return {
    database,
    server,
    stop: async () => {
      await server.stop();
      await database.drop();
    },
  };
}

/** WebGL2 through SwiftShader (software), so the map's MapLibre and deck.gl layers render without a GPU. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      '--enable-unsafe-swiftshader',
      '--use-angle=swiftshader',
    ],
  });
}

/** A 1600×900 page signed in to the console as `email`, on the alert console it opens with. */
export async function signedInPage(browser: Browser, serverUrl: string, email: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
  const page = await context.newPage();
  await page.goto(serverUrl);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('grid', { name: 'Alerts' }).waitFor({ timeout: 60_000 });
  return page;
}

export interface FrameSample {
  readonly deltas: number[];
  readonly longTasks: number[];
}

/**
 * Runs in the page: requestAnimationFrame deltas and long tasks for `durationMs`, scrolling `scroll.selector` back
 * and forth by `scroll.stepPx` a frame when asked. Plain JavaScript text, because the TypeScript runner's helpers
 * do not exist in the page.
 */
const frameSampler = `async ({ durationMs, scroll }) => {
  const body = scroll ? document.querySelector(scroll.selector) : null;
  if (scroll && !body) throw new Error('nothing to scroll at ' + scroll.selector);
  const deltas = [];
  const longTasks = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push(entry.duration);
  });
  observer.observe({ type: 'longtask' });
  let direction = 1;
  let last = performance.now();
  const end = last + durationMs;
  await new Promise((resolve) => {
    const frame = (now) => {
      deltas.push(now - last);
      last = now;
      if (body) {
        body.scrollTop += direction * scroll.stepPx;
        if (body.scrollTop + body.clientHeight >= body.scrollHeight - 1) direction = -1;
        else if (body.scrollTop <= 0) direction = 1;
      }
      if (now < end) requestAnimationFrame(frame);
      else resolve();
    };
    requestAnimationFrame(frame);
  });
  observer.disconnect();
  return { deltas, longTasks };
}`;

/** requestAnimationFrame deltas and long tasks in the page over the next `durationMs`, optionally scrolling. */
export async function sampleFrames(
  page: Page,
  durationMs: number,
  scroll?: { readonly selector: string; readonly stepPx: number },
): Promise<FrameSample> {
  return page.evaluate<FrameSample>(
    `(${frameSampler})(${JSON.stringify({ durationMs, scroll: scroll ?? null })})`,
  );
}

export function summarizeFrames(sample: FrameSample, durationMs: number) {
  // The first delta spans the set-up before the first frame.
  const deltas = sample.deltas.slice(1).sort((a, b) => a - b);
  const longTasks = [...sample.longTasks].sort((a, b) => a - b);
  return {
    frames: deltas.length,
    fps: round(deltas.length / (durationMs / 1000)),
    frameMs: {
      p50: round(percentile(deltas, 0.5)),
      p95: round(percentile(deltas, 0.95)),
      p99: round(percentile(deltas, 0.99)),
      max: round(deltas.at(-1) ?? Number.NaN),
    },
    droppedFrames: deltas.filter((delta) => delta > DROPPED_FRAME_MS).length,
    longTasks: {
      count: longTasks.length,
      totalMs: round(longTasks.reduce((sum, duration) => sum + duration, 0)),
      maxMs: round(longTasks.at(-1) ?? 0),
    },
  };
}
