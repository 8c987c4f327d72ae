import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import type { RunningServer } from '../src/server.ts';
import { testSecretKeyFile } from '../src/testing/secret-key-file.ts';
import { Api, startTestServer } from './harness.ts';

const STYLE = 'https://tiles.example/styles/basic.json';
const TILE_ORIGINS = ['https://a.tiles.example', 'https://fonts.tiles.example'];
const MAP = ['https://tiles.example', ...TILE_ORIGINS];

/** The directives of a Content-Security-Policy, by name. */
const directives = (policy: string | null): Map<string, string[]> =>
  new Map(
    (policy ?? '').split(';').map((part) => {
      const [name = '', ...sources] = part.trim().split(/\s+/);
      return [name, sources];
    }),
  );

/** A console build as the desktop app's vite config writes it: the policy in a `<meta>`. */
const INDEX_HTML = `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'" /></head><body></body></html>`;

describe('headers that fit how the console is reached', () => {
  let consoleDir: string;
  let direct: RunningServer;
  let behindProxy: RunningServer;

  beforeAll(async () => {
    consoleDir = await mkdtemp(path.join(tmpdir(), 'tidewatch-console-'));
    await writeFile(path.join(consoleDir, 'index.html'), INDEX_HTML);
    await mkdir(path.join(consoleDir, 'field'));
    await writeFile(
      path.join(consoleDir, 'field', 'index.html'),
      INDEX_HTML.replace('<body>', '<body>field'),
    );
    const map = { CONSOLE_DIR: consoleDir, MAP_STYLE_URL: STYLE, MAP_TILE_ORIGINS: TILE_ORIGINS.join(',') };
    direct = await startTestServer({ ...map, NODE_ENV: 'production' });
    behindProxy = await startTestServer({ ...map, TRUST_PROXY: 'loopback' });
  });
  afterAll(async () => {
    await direct.close();
    await behindProxy.close();
    await rm(consoleDir, { recursive: true, force: true });
  });

  it('sends neither HSTS nor upgrade-insecure-requests over plain HTTP, even when a client claims https', async () => {
    const api = new Api(direct.url);
    for (const headers of [{}, { 'x-forwarded-proto': 'https' }]) {
      const page = await api.request('GET', '/', { headers });
      expect(page.status).toBe(200);
      expect(page.headers.get('strict-transport-security')).toBeNull();
      expect(directives(page.headers.get('content-security-policy')).has('upgrade-insecure-requests')).toBe(
        false,
      );
      expect(page.headers.get('cross-origin-opener-policy')).toBeNull();
    }
  });

  it('sends them when a trusted proxy says the client is on https', async () => {
    const api = new Api(behindProxy.url);
    const secure = await api.request('GET', '/', { headers: { 'x-forwarded-proto': 'https' } });
    const plain = await api.request('GET', '/');

    expect(secure.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(directives(secure.headers.get('content-security-policy')).has('upgrade-insecure-requests')).toBe(
      true,
    );
    expect(plain.headers.get('strict-transport-security')).toBeNull();
  });

  it("lets the console and the map worker fetch and draw from the tile server's origins, in header and page", async () => {
    const page = await new Api(direct.url).request<string>('GET', '/');
    const header = directives(page.headers.get('content-security-policy'));
    const meta = directives(
      /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(page.body)?.[1] ?? '',
    );

    for (const policy of [header, meta]) {
      expect(policy.get('connect-src')).toEqual(["'self'", ...MAP]);
      expect(policy.get('img-src')).toEqual(["'self'", 'data:', ...MAP]);
    }
    expect(header.get('default-src')).toEqual(["'self'"]);
  });

  it('serves the field app under /field/ with the same policy, and the console everywhere else', async () => {
    const api = new Api(direct.url);
    for (const where of ['/field', '/field/', '/field/queue']) {
      const page = await api.request<string>('GET', where);
      expect(page.status).toBe(200);
      expect(page.body).toContain('<body>field');
      const meta = directives(
        /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(page.body)?.[1] ?? '',
      );
      expect(meta.get('connect-src')).toEqual(["'self'", ...MAP]);
    }
    for (const where of ['/', '/fieldwork']) {
      expect((await api.request<string>('GET', where)).body).not.toContain('<body>field');
    }
  });

  it('tells anyone, before sign-in, the origins the map loads from', async () => {
    const answer = await new Api(direct.url).request<{ origins: string[] }>('GET', '/api/v1/map/origins');

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ origins: MAP });
  });

  it("answers CORS for the desktop app's origin, and for Vite's dev server only in development", async () => {
    const api = new Api(direct.url);
    const corsFor = async (origin: string) =>
      (await api.request('GET', '/api/v1/map/origins', { headers: { origin } })).headers.get(
        'access-control-allow-origin',
      );

    expect(await corsFor('tidewatch://console')).toBe('tidewatch://console');
    expect(await corsFor('http://localhost:5173')).toBeNull();
    expect(await corsFor('http://127.0.0.1:5173')).toBeNull();

    const base = {
      DATABASE_URL: 'postgresql://tidewatch_app@127.0.0.1/x',
      TIDEWATCH_SECRET_KEY_FILE: await testSecretKeyFile(),
    };
    expect(loadConfig({ ...base, NODE_ENV: 'production' }).CORS_ORIGINS).toEqual(['tidewatch://console']);
    expect(loadConfig({ ...base, NODE_ENV: 'development' }).CORS_ORIGINS).toEqual([
      'http://localhost:5173',
      'http://127.0.0.1:5173',
      'tidewatch://console',
    ]);
  });
});
