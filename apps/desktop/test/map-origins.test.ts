import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../src/common/content-security-policy.ts';
import { MapOrigins } from '../src/main/map-origins.ts';

/** A server's `/api/v1/map/origins`, answering whatever the test sets. */
describe('the map origins the desktop app reads from its server', () => {
  let server: Server;
  let serverUrl: string;
  let answer: { status: number; body: unknown } = { status: 200, body: { origins: [] } };
  let asked = 0;
  const warnings: string[] = [];
  let now = 0;
  const origins = () =>
    new MapOrigins(
      (url, init) => fetch(url, init),
      { warn: (message) => warnings.push(message) },
      () => now,
    );

  beforeAll(async () => {
    server = createServer((req, res) => {
      asked += 1;
      if (req.url !== '/api/v1/map/origins') {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.statusCode = answer.status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverUrl = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('names the tile server in the policy before sign-in, asking the server once a minute', async () => {
    answer = {
      status: 200,
      body: { origins: ['https://tiles.example', 'https://fonts.tiles.example/glyphs/{fontstack}'] },
    };
    const cache = origins();
    asked = 0;
    const first = await cache.of(serverUrl);
    expect(first).toEqual(['https://tiles.example', 'https://fonts.tiles.example']);
    await cache.of(serverUrl);
    expect(asked).toBe(1);
    now += 61_000;
    await cache.of(serverUrl);
    expect(asked).toBe(2);

    const policy = contentSecurityPolicy({
      delivery: 'header',
      connectSources: [serverUrl],
      mapSources: first,
    });
    expect(policy).toContain(
      `connect-src 'self' ${serverUrl} https://tiles.example https://fonts.tiles.example;`,
    );
    expect(policy).toContain("img-src 'self' data: https://tiles.example https://fonts.tiles.example;");
    expect(policy).toContain("script-src 'self';");
  });

  it('lets nothing but origins into the policy, and keeps the last answer when the server fails', async () => {
    answer = { status: 200, body: { origins: ['https://tiles.example'] } };
    const cache = origins();
    expect(await cache.of(serverUrl)).toEqual(['https://tiles.example']);
    for (const hostile of [
      { origins: ["https://x.example; script-src 'unsafe-inline'"] },
      { origins: ['javascript:alert(1)'] },
      { origins: ['*'] },
      { origins: Array.from({ length: 33 }, (_, i) => `https://t${String(i)}.example`) },
      'not json at all',
    ]) {
      answer = { status: 200, body: hostile };
      now += 61_000;
      expect(await cache.of(serverUrl), JSON.stringify(hostile)).toEqual(['https://tiles.example']);
    }
    answer = { status: 500, body: {} };
    now += 61_000;
    expect(await cache.of(serverUrl)).toEqual(['https://tiles.example']);
    expect(warnings.length).toBeGreaterThanOrEqual(6);
  });

  it('names none without a server, or when the server was never reached', async () => {
    const cache = origins();
    expect(await cache.of(null)).toEqual([]);
    expect(await cache.of('http://127.0.0.1:1')).toEqual([]);
  });
});
