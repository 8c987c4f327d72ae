import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64url');

/** Cursors no route gave out: each once answered 500 or could, as a bad cast or a made-up row. */
const FORGED = {
  dashes: 'LS0t', // "---"
  'hex without the uuid shape': b64('abc'),
  'uppercase uuid': b64('0F0F0F0F-0000-4000-8000-000000000000'),
  'uuid with a trailing byte': b64('0f0f0f0f-0000-4000-8000-000000000000x'),
  'a number with a leading zero': b64('042'),
  'a number past bigint': b64('99999999999999999999'),
  'a negative number': b64('-1'),
  'not base64 of text': 'A',
  // 'MTI' is "12"; 'MTJ' decodes to it as well, but no route spells it so.
  'a number spelled with stray bits': 'MTJ',
};

function isPaged(schema: unknown): boolean {
  return schema instanceof z.ZodObject && 'nextCursor' in schema.shape;
}

describe('forged page cursors', () => {
  let server: RunningServer;
  let api: Api;
  let admin: string;
  let assetId = '';
  let superAdmin: string;

  beforeAll(async () => {
    server = await startTestServer();
    api = new Api(server.url);
    admin = await api.tokenFor(tenantA.email('admin'));
    const assets = await adminQuery<{ id: string }>(
      'SELECT a.id FROM assets a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = $1 LIMIT 1',
      [tenantA.slug],
    );
    assetId = assets[0]?.id ?? '';
    superAdmin = await api.tokenFor('superadmin@tidewatch.example');
  });
  afterAll(async () => {
    await server.close();
  });

  // A list under one resource (an asset's maintenance logs) is read under one of tenant A's assets.
  const pagedPaths = () =>
    server.routes
      .filter((route) => route.method === 'get' && isPaged(route.response))
      .map((route) => route.path.replace('/assets/:id/', `/assets/${assetId}/`));

  it('finds the paginated routes in the registry', () => {
    expect(pagedPaths()).toEqual(
      expect.arrayContaining(['/alerts', '/assets', '/audit-log', '/tenants', '/users', '/zones']),
    );
    expect(pagedPaths().length).toBeGreaterThanOrEqual(10);
  });

  it('answers 400 problem+json on every paginated route for every forged cursor', async () => {
    const answers: string[] = [];
    for (const path of pagedPaths()) {
      const token = path === '/tenants' ? superAdmin : admin;
      for (const [name, cursor] of Object.entries(FORGED)) {
        const response = await api.request<{ type?: string }>('GET', `/api/v1${path}?cursor=${cursor}`, {
          token,
        });
        answers.push(
          `${path} ${name}: ${String(response.status)} ${String(response.headers.get('content-type'))} ${String(response.body.type)}`,
        );
      }
    }

    expect(
      answers.filter(
        (answer) =>
          !/: 400 application\/problem\+json.* urn:tidewatch:problem:validation_failed$/.test(answer),
      ),
    ).toEqual([]);
  });

  it('still follows the cursors the routes give out', async () => {
    for (const path of pagedPaths()) {
      const token = path === '/tenants' ? superAdmin : admin;
      const first = await api.request<{ nextCursor: string | null }>('GET', `/api/v1${path}?limit=1`, {
        token,
      });
      expect(first.status, path).toBe(200);
      if (first.body.nextCursor === null) continue;
      const second = await api.request('GET', `/api/v1${path}?limit=1&cursor=${first.body.nextCursor}`, {
        token,
      });
      expect(second.status, path).toBe(200);
    }
  });
});
