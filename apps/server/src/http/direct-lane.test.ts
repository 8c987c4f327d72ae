import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { RequestHandler } from 'express';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMetrics } from '../operations/metrics.ts';
import { requestWatcher } from './access-log.ts';
import { AppError } from './app-error.ts';
import { directLane, laneFailure } from './direct-lane.ts';
import { defineRoute, RawBody, type ContextResolver } from './route.ts';

const principal = {
  userId: '00000000-0000-4000-8000-000000000001',
  sessionId: '00000000-0000-4000-8000-000000000002',
  email: 'operator@example.test',
  displayName: 'Operator',
  role: 'operator' as const,
  homeTenantId: '00000000-0000-4000-8000-000000000003',
  zoneIds: [],
  pendingStep: null,
};

const log = pino({ level: 'silent' });

/** A signed-in caller for "Bearer good", an unauthenticated refusal otherwise. */
const resolveContext: ContextResolver = (caller) => {
  if (caller.header('authorization') !== 'Bearer good') {
    return Promise.reject(new AppError('unauthenticated', 'Sign in first'));
  }
  return Promise.resolve({
    requestId: caller.requestId,
    ip: caller.ip,
    userAgent: null,
    log,
    principal,
    tenantId: principal.homeTenantId,
  });
};

const headerMiddleware: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Vary', 'Origin');
  next();
};

interface Harness {
  readonly base: string;
  /** What reached the fallback: the path, and the error the lane left for the stack (if any). */
  readonly fallen: { path: string; error: unknown }[];
  readonly handled: string[];
}

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

async function serve(handler: (query: { fail?: string | undefined }) => Promise<unknown>): Promise<Harness> {
  const fallen: Harness['fallen'] = [];
  const handled: string[] = [];
  const route = defineRoute({
    method: 'get',
    path: '/things',
    summary: 'Things',
    tag: 'things',
    access: 'tenant',
    permission: 'alert:read',
    query: z.object({ fail: z.enum(['refusal', 'crash']).optional() }),
    response: z.unknown(),
    direct: true,
    handler: async ({ query }) => {
      handled.push(JSON.stringify(query));
      return handler(query);
    },
  });
  const fallback = (req: IncomingMessage, res: ServerResponse): void => {
    laneFailure(req as never, res as never, (error?: unknown) => {
      fallen.push({ path: req.url ?? '', error });
      res.writeHead(299).end('stack');
    });
  };
  const listener = directLane(
    {
      routes: [route],
      prefix: '/api/v1',
      resolveContext,
      headerMiddleware: [headerMiddleware],
      watch: requestWatcher(log, { sampleRate: 0, slowMs: 10_000 }),
      metrics: createMetrics({}),
    },
    fallback,
  );
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`, fallen, handled };
}

const good = { authorization: 'Bearer good' };

/**
 * A GET through node:http: fetch decodes bodies (hiding how they came) and adds `Cache-Control: no-cache` to a
 * conditional request, which rightly makes it never fresh.
 */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingMessage['headers']; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(chunks) });
      });
    }).on('error', reject);
  });
}

describe('the direct lane', () => {
  it('answers a same-origin GET of a direct route itself, with the stack’s headers and an ETag it honours', async () => {
    const lane = await serve(() =>
      Promise.resolve(
        new RawBody(Buffer.from('{"items":[]}'), 'application/json; charset=utf-8', {
          ETag: '"v1"',
          'Cache-Control': 'private, no-cache',
        }),
      ),
    );
    const response = await fetch(`${lane.base}/api/v1/things`, { headers: good });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"items":[]}');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('vary')).toBe('Origin');
    expect(response.headers.get('etag')).toBe('"v1"');
    expect(response.headers.get('cache-control')).toBe('private, no-cache');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const again = await rawGet(`${lane.base}/api/v1/things`, { ...good, 'if-none-match': '"v1"' });
    expect(again.status).toBe(304);
    expect(again.bytes.length).toBe(0);
    expect(lane.fallen).toEqual([]);
    expect(lane.handled).toHaveLength(2);
  });

  it('sends gzip to a client that takes it, with the ETag of that encoding', async () => {
    const text = Buffer.from('{"items":[1,2,3]}');
    const lane = await serve(() =>
      Promise.resolve(
        new RawBody(text, 'application/json; charset=utf-8', { ETag: '"v2"' }, undefined, gzipSync(text)),
      ),
    );
    const raw = await rawGet(`${lane.base}/api/v1/things`, { ...good, 'accept-encoding': 'gzip, br' });
    expect(raw.status).toBe(200);
    expect(raw.headers['content-encoding']).toBe('gzip');
    expect(raw.headers.etag).toBe('"v2-gzip"');
    expect(raw.headers.vary).toBe('Origin, Accept-Encoding');
    expect(gunzipSync(raw.bytes).toString()).toBe(text.toString());
  });

  it('leaves to the stack whatever it cannot answer exactly as the stack would', async () => {
    const lane = await serve(() => Promise.resolve({ ok: true }));
    const asked = [
      fetch(`${lane.base}/api/v1/other`, { headers: good }),
      fetch(`${lane.base}/api/v1/things`, { method: 'POST', headers: good, body: '{}' }),
      fetch(`${lane.base}/api/v1/things`, { method: 'HEAD', headers: good }),
      fetch(`${lane.base}/api/v1/things/`, { headers: good }),
      fetch(`${lane.base}/api/v1/things`, { headers: { ...good, origin: 'http://elsewhere.test' } }),
      fetch(`${lane.base}/api/v1/things`, { headers: { ...good, 'x-forwarded-for': '10.0.0.9' } }),
      fetch(`${lane.base}/api/v1/things`, { headers: { ...good, forwarded: 'for=10.0.0.9' } }),
    ];
    for (const response of await Promise.all(asked)) expect(response.status).toBe(299);
    expect(lane.fallen.map((f) => f.error)).toEqual(Array.from({ length: asked.length }, () => undefined));
    expect(lane.handled).toEqual([]);
  });

  it('sends refusals down the full stack to be judged again, and hands any other failure to its error handler', async () => {
    const lane = await serve((query) => {
      if (query.fail === 'refusal') return Promise.reject(new AppError('forbidden', 'not yours'));
      if (query.fail === 'crash') return Promise.reject(new Error('database away'));
      return Promise.resolve({ ok: true });
    });
    const statuses = await Promise.all(
      [
        fetch(`${lane.base}/api/v1/things`),
        fetch(`${lane.base}/api/v1/things?fail=nonsense`, { headers: good }),
        fetch(`${lane.base}/api/v1/things?fail=refusal`, { headers: good }),
        fetch(`${lane.base}/api/v1/things?fail=crash`, { headers: good }),
      ].map(async (p) => (await p).status),
    );
    expect(statuses).toEqual([299, 299, 299, 299]);
    const byPath = new Map(lane.fallen.map((f) => [f.path, f.error]));
    expect(byPath.get('/api/v1/things')).toBeUndefined();
    expect(byPath.get('/api/v1/things?fail=nonsense')).toBeUndefined();
    expect(byPath.get('/api/v1/things?fail=refusal')).toBeUndefined();
    expect(byPath.get('/api/v1/things?fail=crash')).toEqual(new Error('database away'));
  });

  it('refuses at start-up a route that is not a plain GET list', () => {
    const route = defineRoute({
      method: 'get',
      path: '/things/:id',
      summary: 'A thing',
      tag: 'things',
      access: 'tenant',
      permission: 'alert:read',
      response: z.unknown(),
      direct: true,
      handler: () => Promise.resolve({}),
    });
    expect(() =>
      directLane(
        {
          routes: [route],
          prefix: '/api/v1',
          resolveContext,
          headerMiddleware: [],
          watch: requestWatcher(log, { sampleRate: 0, slowMs: 10_000 }),
          metrics: createMetrics({}),
        },
        () => undefined,
      ),
    ).toThrow(/cannot take the direct lane/);
  });
});
