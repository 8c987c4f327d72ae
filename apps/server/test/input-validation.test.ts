import type { Problem } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';

/** Row counts of every table the API writes, to prove a refused request changed nothing. */
async function snapshot(): Promise<string> {
  const rows = await adminQuery<{ counts: string }>(`
    SELECT concat_ws(',', (SELECT count(*) FROM tenants), (SELECT count(*) FROM zones), (SELECT count(*) FROM users),
      (SELECT count(*) FROM assets), (SELECT count(*) FROM devices), (SELECT count(*) FROM metrics),
      (SELECT count(*) FROM alert_rules), (SELECT count(*) FROM incidents), (SELECT count(*) FROM device_commands),
      (SELECT md5(string_agg(name, ',' ORDER BY id)) FROM assets)) AS counts`);
  return rows[0]?.counts ?? '';
}

describe('bad input', () => {
  let server: RunningServer;
  let api: Api;
  let admin: string;

  beforeAll(async () => {
    server = await startTestServer({ BODY_LIMIT: '64kb' });
    api = new Api(server.url);
    admin = await api.tokenFor(tenantA.email('admin'));
  });
  afterAll(async () => {
    await server.close();
  });

  const validAsset = {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [73.91, 18.55] },
    properties: { code: 'VAL-TEST-1', name: 'Validation valve', kind: 'valve' },
  };

  const cases: {
    name: string;
    method: string;
    path: string;
    body?: unknown;
    raw?: string;
    type?: string;
    status: number;
    problem: string;
  }[] = [
    {
      name: 'malformed JSON',
      method: 'POST',
      path: '/assets',
      raw: '{"type": "Feature",',
      status: 400,
      problem: 'malformed_json',
    },
    {
      name: 'a JSON string instead of an object',
      method: 'POST',
      path: '/zones',
      raw: '"zone"',
      status: 400,
      problem: 'malformed_json',
    },
    {
      name: 'wrong types',
      method: 'POST',
      path: '/metrics',
      body: { key: 42, name: ['x'], decimals: 'two' },
      status: 400,
      problem: 'validation_failed',
    },
    {
      name: 'an unknown field',
      method: 'POST',
      path: '/metrics',
      body: { key: 'flow_x', name: 'Flow', isAdmin: true },
      status: 400,
      problem: 'validation_failed',
    },
    {
      name: 'NaN smuggled as a string',
      method: 'POST',
      path: '/metrics',
      body: { key: 'nan_x', name: 'NaN', validMin: 'NaN' },
      status: 400,
      problem: 'validation_failed',
    },
    {
      name: 'an oversize body',
      method: 'POST',
      path: '/assets',
      raw: JSON.stringify({ ...validAsset, pad: 'x'.repeat(100_000) }),
      status: 413,
      problem: 'payload_too_large',
    },
    {
      name: 'a body that is not JSON',
      method: 'POST',
      path: '/assets',
      raw: '<feature/>',
      type: 'application/xml',
      status: 415,
      problem: 'unsupported_media_type',
    },
    {
      name: 'SQL injection in a code',
      method: 'POST',
      path: '/assets',
      body: { ...validAsset, properties: { ...validAsset.properties, code: "X'; DROP TABLE assets; --" } },
      status: 400,
      problem: 'validation_failed',
    },
    {
      name: 'HTML in a name',
      method: 'POST',
      path: '/assets',
      body: { ...validAsset, properties: { ...validAsset.properties, name: '<img src=x onerror=alert(1)>' } },
      status: 400,
      problem: 'validation_failed',
    },
    {
      name: 'SQL injection in a path id',
      method: 'GET',
      path: "/assets/1' OR '1'='1",
      status: 400,
      problem: 'validation_failed',
    },
    {
      name: 'SQL injection in a query filter',
      method: 'GET',
      path: "/assets?zoneId=' OR 1=1 --",
      status: 400,
      problem: 'validation_failed',
    },
    {
      name: 'a forged cursor',
      method: 'GET',
      path: '/alerts?cursor=JyBPUiAxPTEgLS0',
      status: 400,
      problem: 'validation_failed',
    },
    {
      name: 'an impossible bbox',
      method: 'GET',
      path: '/assets?bbox=10,10,5,5',
      status: 400,
      problem: 'validation_failed',
    },
    {
      name: 'a point off the globe',
      method: 'POST',
      path: '/assets',
      body: { ...validAsset, geometry: { type: 'Point', coordinates: [200, 95] } },
      status: 400,
      problem: 'validation_failed',
    },
    {
      name: 'a pipeline drawn as a point',
      method: 'POST',
      path: '/assets',
      body: { ...validAsset, properties: { ...validAsset.properties, kind: 'pipeline' } },
      status: 400,
      problem: 'validation_failed',
    },
    {
      name: 'a self-intersecting zone',
      method: 'POST',
      path: '/zones',
      body: {
        code: 'BOWTIE',
        name: 'Bowtie',
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 1],
              [1, 0],
              [0, 1],
              [0, 0],
            ],
          ],
        },
      },
      status: 400,
      problem: 'validation_failed',
    },
  ];

  it('answers each with a problem+json 4xx and changes nothing', async () => {
    const before = await snapshot();
    const wrong: string[] = [];
    for (const c of cases) {
      const response = await api.request<Problem>(c.method, `/api/v1${c.path}`, {
        token: admin,
        ...(c.body !== undefined ? { body: c.body } : {}),
        ...(c.raw !== undefined ? { rawBody: c.raw } : {}),
        ...(c.type ? { headers: { 'content-type': c.type } } : {}),
      });
      const okShape =
        response.headers.get('content-type')?.startsWith('application/problem+json') &&
        response.body.type === `urn:tidewatch:problem:${c.problem}` &&
        response.body.status === c.status &&
        typeof response.body.requestId === 'string';
      if (response.status !== c.status || !okShape)
        wrong.push(`${c.name}: ${String(response.status)} ${JSON.stringify(response.body)}`);
    }

    expect(wrong).toEqual([]);
    expect(await snapshot()).toBe(before);
  });

  it('names each invalid field', async () => {
    const response = await api.request<Problem>('POST', '/api/v1/metrics', {
      token: admin,
      body: { key: 'Bad Key', name: '' },
    });

    expect(response.body.errors?.map((e) => e.path).sort()).toEqual(['key', 'name']);
  });

  it('stores free text with quotes as text, not as SQL', async () => {
    const response = await api.request<{ id: string }>('POST', '/api/v1/incidents', {
      token: admin,
      body: {
        title: "Valve 'V-12'; DROP TABLE incidents; --",
        priority: 'low',
        description: 'pressure < 1 bar & falling',
      },
    });
    const stored = await adminQuery<{ title: string; description: string }>(
      'SELECT title, description FROM incidents WHERE id = $1',
      [response.body.id],
    );

    expect(response.status).toBe(201);
    expect(stored[0]).toEqual({
      title: "Valve 'V-12'; DROP TABLE incidents; --",
      description: 'pressure < 1 bar & falling',
    });
  });
});
