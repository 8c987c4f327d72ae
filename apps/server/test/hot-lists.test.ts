import type { Alert, AssetCollection, Page } from '@tidewatch/shared';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantB, tenantId } from './harness.ts';

// Hot lists are served from a cache when the tenant's alert sequence and list version have not moved. These
// tests read each list twice or more so the second answer comes from the cache, and check it against the database.
describe('hot list cache', () => {
  let server: RunningServer;
  let api: Api;
  let tenants: { a: string; b: string };

  const ids = async (sql: string, params: unknown[]): Promise<string[]> =>
    (await adminQuery<{ id: string }>(sql, params)).map((r) => r.id).sort();

  const alertIds = async (token: string, query = 'limit=500'): Promise<string[]> => {
    const page = await api.request<Page<Alert>>('GET', `/api/v1/alerts?${query}`, { token });
    expect(page.status).toBe(200);
    return page.body.items.map((a) => a.id).sort();
  };

  const assetIds = async (token: string, query = 'limit=500'): Promise<string[]> => {
    const page = await api.request<AssetCollection>('GET', `/api/v1/assets?${query}`, { token });
    expect(page.status).toBe(200);
    return page.body.features.map((f) => f.id).sort();
  };

  beforeAll(async () => {
    server = await startTestServer();
    api = new Api(server.url);
    tenants = { a: await tenantId(tenantA.slug), b: await tenantId(tenantB.slug) };
  });
  afterAll(async () => {
    await server.close();
  });

  it('never gives one tenant the page another tenant filled for the same query', async () => {
    const operatorA = await api.tokenFor(tenantA.email('operator'));
    const operatorB = await api.tokenFor(tenantB.email('operator'));
    const expected = {
      alertsA: await ids('SELECT id FROM alerts WHERE tenant_id = $1', [tenants.a]),
      alertsB: await ids('SELECT id FROM alerts WHERE tenant_id = $1', [tenants.b]),
      assetsA: await ids('SELECT id FROM assets WHERE tenant_id = $1 AND archived_at IS NULL', [tenants.a]),
      assetsB: await ids('SELECT id FROM assets WHERE tenant_id = $1 AND archived_at IS NULL', [tenants.b]),
    };
    expect(expected.alertsB.length).toBeGreaterThan(0);

    for (const round of [1, 2]) {
      expect(await alertIds(operatorB), `round ${String(round)}`).toEqual(expected.alertsB);
      expect(await alertIds(operatorA), `round ${String(round)}`).toEqual(expected.alertsA);
      expect(await assetIds(operatorA, 'limit=500&kind=pipeline')).toEqual(
        await ids(
          `SELECT id FROM assets WHERE tenant_id = $1 AND archived_at IS NULL AND kind = 'pipeline'`,
          [tenants.a],
        ),
      );
      expect(await assetIds(operatorB)).toEqual(expected.assetsB.slice(0, 500));
      expect(await assetIds(operatorA)).toEqual(expected.assetsA.slice(0, 500));
    }
  });

  it('never gives a zone-limited user the page an unlimited user filled, nor the reverse', async () => {
    const operator = await api.tokenFor(tenantA.email('operator'));
    const zoneOperator = await api.tokenFor(tenantA.email('zone-operator'));
    const inZones = `JOIN user_zones uz ON uz.zone_id = x.zone_id JOIN users u ON u.id = uz.user_id AND u.email = $2`;
    const limitedAlerts = await ids(`SELECT x.id FROM alerts x ${inZones} WHERE x.tenant_id = $1`, [
      tenants.a,
      tenantA.email('zone-operator'),
    ]);
    const limitedAssets = await ids(
      `SELECT x.id FROM assets x ${inZones} WHERE x.tenant_id = $1 AND x.archived_at IS NULL`,
      [tenants.a, tenantA.email('zone-operator')],
    );
    const allAlerts = await ids('SELECT id FROM alerts WHERE tenant_id = $1', [tenants.a]);
    const allAssets = await ids('SELECT id FROM assets WHERE tenant_id = $1 AND archived_at IS NULL', [
      tenants.a,
    ]);
    expect(limitedAssets.length).toBeLessThan(allAssets.length);

    // Unlimited first for alerts, limited first for assets: each order fills the cache for the other user.
    for (const round of [1, 2]) {
      expect(await alertIds(operator, 'limit=500&open=true'), `round ${String(round)}`).toEqual(
        await ids('SELECT id FROM alerts WHERE tenant_id = $1 AND closed_at IS NULL', [tenants.a]),
      );
      expect(await alertIds(operator)).toEqual(allAlerts);
      expect(await alertIds(zoneOperator)).toEqual(limitedAlerts);
      expect(await assetIds(zoneOperator)).toEqual(limitedAssets.slice(0, 500));
      expect(await assetIds(operator)).toEqual(allAssets.slice(0, 500));
    }
  });

  it('answers 304 to the ETag it gave, and shows a new alert, an acknowledgement and an asset edit at once', async () => {
    const token = await api.tokenFor(tenantB.email('operator'));
    // As a browser revalidates; fetch itself would add `Cache-Control: no-cache`, which asks for the full body.
    const revalidate = (tag: string) => ({ 'if-none-match': tag, 'cache-control': 'max-age=0' });
    const first = await api.request<Page<Alert>>('GET', '/api/v1/alerts?limit=500', { token });
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^".+"$/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    const again = await api.request('GET', '/api/v1/alerts?limit=500', {
      token,
      headers: revalidate(etag),
    });
    expect(again.status).toBe(304);

    // A new alert, written as the engine writes one: the alert and its first transition.
    const [raised] = await adminQuery<{ id: string }>(
      `WITH rule AS (SELECT id, tenant_id FROM alert_rules WHERE tenant_id = $1 ORDER BY id LIMIT 1),
            inserted AS (
              INSERT INTO alerts (tenant_id, rule_id, target_key, state, priority, original_priority, message,
                                  condition_active, raised_value, last_value)
              SELECT tenant_id, id, 'hot-list-test', 'active_unacknowledged', 'high', 'high', 'Hot list test', true, 1, 1
                FROM rule RETURNING id, tenant_id, state, raised_value),
            logged AS (INSERT INTO alert_transitions (tenant_id, alert_id, from_state, to_state, value)
                       SELECT tenant_id, id, 'normal', state, raised_value FROM inserted)
       SELECT id FROM inserted`,
      [tenants.b],
    );
    const raisedId = raised?.id ?? '';
    const afterRaise = await api.request<Page<Alert>>('GET', '/api/v1/alerts?limit=500', {
      token,
      headers: revalidate(etag),
    });
    expect(afterRaise.status).toBe(200);
    expect(afterRaise.headers.get('etag')).not.toBe(etag);
    expect(afterRaise.body.items.find((a) => a.id === raisedId)?.state).toBe('active_unacknowledged');

    const ack = await api.request('POST', `/api/v1/alerts/${raisedId}/acknowledge`, { token, body: {} });
    expect(ack.status).toBe(200);
    const afterAck = await api.request<Page<Alert>>('GET', '/api/v1/alerts?limit=500', { token });
    expect(afterAck.body.items.find((a) => a.id === raisedId)?.state).toBe('active_acknowledged');

    const listed = await api.request<AssetCollection>('GET', '/api/v1/assets?limit=5', { token });
    const asset = listed.body.features[0];
    const renamed = `Renamed ${String(Date.now())}`;
    const patched = await api.request('PATCH', `/api/v1/assets/${asset?.id ?? ''}`, {
      token: await api.tokenFor(tenantB.email('admin')),
      body: { name: renamed },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const afterEdit = await api.request<AssetCollection>('GET', '/api/v1/assets?limit=5', { token });
    expect(afterEdit.body.features[0]?.properties.name).toBe(renamed);
    expect(afterEdit.headers.get('etag')).not.toBe(listed.headers.get('etag'));
  });

  it('sends the gzipped page only to a client that accepts gzip, with its own ETag', async () => {
    const token = await api.tokenFor(tenantB.email('operator'));
    const get = (headers: Record<string, string>) =>
      new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        http
          .get(
            `${server.url}/api/v1/alerts?limit=50`,
            { headers: { authorization: `Bearer ${token}`, ...headers } },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (chunk: Buffer) => chunks.push(chunk));
              res.on('end', () => {
                resolve({ headers: res.headers, body: Buffer.concat(chunks) });
              });
            },
          )
          .on('error', reject);
      });

    const plain = await get({});
    const gzipped = await get({ 'accept-encoding': 'gzip, deflate, br' });

    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toMatch(/Accept-Encoding/i);
    expect(gunzipSync(gzipped.body).toString()).toBe(plain.body.toString());
    expect(gzipped.headers.etag).not.toBe(plain.headers.etag);
    expect(gzipped.body.length).toBeLessThan(plain.body.length / 3);
  });
});
