import { get, type IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { Api, startTestServer, tenantA } from './harness.ts';

interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A GET through node:http, so conditional requests and encodings go out as written and come back as sent. */
function rawGet(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const gzipped = res.headers['content-encoding'] === 'gzip' && bytes.length > 0;
        const body = gzipped ? gunzipSync(bytes) : bytes;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body.toString() });
      });
    }).on('error', reject);
  });
}

/** What may differ between two answers to the same request: the moment, the request's id, the connection. */
function comparable(answer: Answer): Answer {
  const skipped = new Set(['date', 'x-request-id', 'connection', 'keep-alive']);
  const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !skipped.has(name)));
  const body = answer.body.replace(/"requestId":"[^"]*"/, '"requestId":"…"');
  return { ...answer, headers, body };
}

// The direct lane answers the hottest lists without Express's middleware stack (src/http/direct-lane.ts). A
// `Forwarded` header (which the stack does not read) sends the same request down the stack instead, so each
// request here is answered both ways and the two answers compared whole: status, every header, body.
describe('the direct lane answers as the full stack does', () => {
  let server: RunningServer;
  let api: Api;
  let operator: string;
  let superAdmin: string;

  const both = async (path: string, headers: Record<string, string>): Promise<[Answer, Answer]> => {
    const lane = await rawGet(`${server.url}${path}`, headers);
    const stack = await rawGet(`${server.url}${path}`, { ...headers, forwarded: 'for=127.0.0.1' });
    return [lane, stack];
  };

  beforeAll(async () => {
    server = await startTestServer();
    api = new Api(server.url);
    operator = await api.tokenFor(tenantA.email('operator'));
    superAdmin = await api.tokenFor('superadmin@tidewatch.example');
  });
  afterAll(async () => {
    await server.close();
  });

  it('for lists, in each encoding, and for a client that already has the page', async () => {
    const auth = { authorization: `Bearer ${operator}` };
    for (const path of ['/api/v1/alerts?limit=5', '/api/v1/assets?limit=3&kind=tank', '/api/v1/alerts']) {
      for (const encoding of ['gzip, deflate, br', 'identity', 'br;q=1, gzip;q=0.5']) {
        const [lane, stack] = await both(path, { ...auth, 'accept-encoding': encoding });
        expect(lane.status, path).toBe(200);
        expect(comparable(lane), `${path} ${encoding}`).toEqual(comparable(stack));
        const etag = String(lane.headers.etag);
        const [laneAgain, stackAgain] = await both(path, {
          ...auth,
          'accept-encoding': encoding,
          'if-none-match': etag,
        });
        expect(laneAgain.status, `${path} ${encoding}`).toBe(304);
        expect(comparable(laneAgain)).toEqual(comparable(stackAgain));
      }
    }
  });

  it('for refusals: no token, a bad token, a bad query, a super admin without a tenant', async () => {
    const cases: [string, Record<string, string>][] = [
      ['/api/v1/alerts', {}],
      ['/api/v1/assets', { authorization: 'Bearer not-a-token-at-all' }],
      ['/api/v1/alerts?limit=nonsense', { authorization: `Bearer ${operator}` }],
      ['/api/v1/assets?bbox=1,2', { authorization: `Bearer ${operator}` }],
      ['/api/v1/alerts', { authorization: `Bearer ${superAdmin}` }],
    ];
    for (const [path, headers] of cases) {
      const [lane, stack] = await both(path, headers);
      expect(lane.status, path).toBeGreaterThanOrEqual(400);
      expect(lane.headers['content-type'], path).toMatch(/^application\/problem\+json/);
      expect(comparable(lane), path).toEqual(comparable(stack));
    }
  });
});
