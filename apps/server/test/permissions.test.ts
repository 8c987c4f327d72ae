import { can, roles, type Role } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRoute } from '../src/http/route.ts';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantId } from './harness.ts';

const MISSING_ID = '7b0c3c1e-5f5e-4d2a-9a61-0d4f1b2c3d4e';

// Logging out would end the session the next rows use; it has its own test.
const SKIPPED = new Set(['post /auth/logout']);

const emailFor = (role: Role): string =>
  role === 'super_admin'
    ? 'superadmin@tidewatch.example'
    : tenantA.email(role === 'tenant_admin' ? 'admin' : role);

describe('the permission matrix, for every role on every route', () => {
  let server: RunningServer;
  let api: Api;
  let tenant: string;

  beforeAll(async () => {
    server = await startTestServer();
    api = new Api(server.url);
    tenant = await tenantId(tenantA.slug);
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers 403 exactly where the shared matrix denies, and never 401 to a signed-in user', async () => {
    const routes = server.routes.filter((route) => route.access !== 'public');
    const table: { route: string; role: Role; status: number; allowed: boolean }[] = [];
    for (const role of roles) {
      const token = await api.tokenFor(emailFor(role));
      for (const route of routes as AnyRoute[]) {
        const key = `${route.method} ${route.path}`;
        if (SKIPPED.has(key)) continue;
        const permission = route.access === 'public' ? undefined : route.permission;
        const allowed = permission === undefined || can(role, permission);
        const response = await api.request(
          route.method.toUpperCase(),
          `/api/v1${route.path.replaceAll(':id', MISSING_ID)}`,
          {
            token,
            ...(route.method === 'get' || route.method === 'delete' ? {} : { body: {} }),
            ...(role === 'super_admin' ? { headers: { 'x-tenant-id': tenant } } : {}),
          },
        );
        table.push({ route: key, role, status: response.status, allowed });
      }
    }

    const wrong = table.filter((row) => (row.allowed ? [401, 403].includes(row.status) : row.status !== 403));
    expect(wrong).toEqual([]);
    expect(table.length).toBeGreaterThanOrEqual(6 * 45);
    expect(table.filter((row) => !row.allowed).length).toBeGreaterThan(50);
  });

  it('lets a super_admin act in a tenant only once one is chosen', async () => {
    const token = await api.tokenFor(emailFor('super_admin'));

    const without = await api.request('GET', '/api/v1/zones', { token });
    const withTenant = await api.request<{ items: unknown[] }>('GET', '/api/v1/zones', {
      token,
      headers: { 'x-tenant-id': tenant },
    });

    expect(without.status).toBe(400);
    expect(withTenant.status).toBe(200);
    const zones = await adminQuery<{ count: number }>(
      'SELECT count(*)::int AS count FROM zones WHERE tenant_id = $1 AND archived_at IS NULL',
      [tenant],
    );
    expect(withTenant.body.items.length).toBe(zones[0]?.count);
  });
});
