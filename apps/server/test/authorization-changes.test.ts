import type { Page, User } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';

describe('authorization read from the database on every request', () => {
  let server: RunningServer;
  let api: Api;
  let admin: string;

  beforeAll(async () => {
    server = await startTestServer();
    api = new Api(server.url);
    admin = await api.tokenFor(tenantA.email('admin'));
  });
  afterAll(async () => {
    await server.close();
  });

  async function userId(email: string): Promise<string> {
    const rows = await adminQuery<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]);
    return rows[0]?.id ?? '';
  }

  it('a role change takes effect on the next request with the same token', async () => {
    const viewer = await api.login(tenantA.email('viewer'));
    const id = await userId(tenantA.email('viewer'));
    expect((await api.request('GET', '/api/v1/users', { token: viewer.accessToken })).status).toBe(403);

    const promoted = await api.request('PATCH', `/api/v1/users/${id}`, {
      token: admin,
      body: { role: 'tenant_admin' },
    });
    const asAdmin = await api.request<Page<User>>('GET', '/api/v1/users', { token: viewer.accessToken });
    await api.request('PATCH', `/api/v1/users/${id}`, { token: admin, body: { role: 'viewer' } });
    const demoted = await api.request('GET', '/api/v1/users', { token: viewer.accessToken });

    expect(promoted.status).toBe(200);
    expect(asAdmin.status).toBe(200);
    expect(demoted.status).toBe(403);
  });

  it('disabling a user ends their access on the next request with the same token', async () => {
    const operator = await api.login(tenantA.email('operator2'));
    const id = await userId(tenantA.email('operator2'));

    await api.request('PATCH', `/api/v1/users/${id}`, { token: admin, body: { disabled: true } });
    const after = await api.request('GET', '/api/v1/alerts', { token: operator.accessToken });
    const login = await api.request('POST', '/api/v1/auth/login', {
      body: { email: tenantA.email('operator2'), password: 'tidewatch-demo' },
    });
    await api.request('PATCH', `/api/v1/users/${id}`, { token: admin, body: { disabled: false } });

    expect(after.status).toBe(401);
    expect(login.status).toBe(401);
    expect((await api.login(tenantA.email('operator2'))).user.id).toBe(id);
  });

  it('a zone-limited user sees only their zones, their assets and their alerts', async () => {
    const token = await api.tokenFor(tenantA.email('zone-operator'));
    const [limit] = await adminQuery<{ zone_id: string }>(
      `SELECT zone_id FROM user_zones uz JOIN users u ON u.id = uz.user_id WHERE u.email = $1`,
      [tenantA.email('zone-operator')],
    );
    const [elsewhere] = await adminQuery<{ id: string }>(
      `SELECT a.id FROM assets a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = $1 AND a.zone_id <> $2 LIMIT 1`,
      [tenantA.slug, limit?.zone_id],
    );

    const zones = await api.request<{ items: { id: string }[] }>('GET', '/api/v1/zones', { token });
    const assets = await api.request<{ features: { properties: { zoneId: string } }[] }>(
      'GET',
      '/api/v1/assets?limit=500',
      { token },
    );
    const alerts = await api.request<{ items: { zoneId: string }[] }>('GET', '/api/v1/alerts?limit=500', {
      token,
    });
    const other = await api.request('GET', `/api/v1/assets/${elsewhere?.id ?? ''}`, { token });

    expect(zones.body.items.map((z) => z.id)).toEqual([limit?.zone_id]);
    expect(assets.body.features.length).toBeGreaterThan(0);
    expect(new Set(assets.body.features.map((f) => f.properties.zoneId))).toEqual(new Set([limit?.zone_id]));
    expect(alerts.body.items.every((a) => a.zoneId === limit?.zone_id)).toBe(true);
    expect(other.status).toBe(404);
  });
});
