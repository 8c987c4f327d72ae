import { ServerProcess } from '@tidewatch/server/testing/server-process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, inject } from 'vitest';
import { launchBrowser } from './browser.ts';
import { freePort } from './ports.ts';

export interface ConsoleSuite {
  readonly server: ServerProcess;
  readonly browser: Browser;
}

/**
 * The real server in its own process (embedded broker on a port of its own) and a Chromium, started before a
 * file's tests and stopped after them. Read `server` and `browser` inside tests, once `beforeAll` has run.
 */
export function consoleSuite(): ConsoleSuite {
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
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
    await browser?.close();
    await server?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the console suite has not started');
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get browser() {
      return started(browser);
    },
  };
}
