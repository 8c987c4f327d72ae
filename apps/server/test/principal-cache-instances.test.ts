import type { Me, TokenResponse } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { createUser, signInFirstTime } from './account-fixtures.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantId } from './harness.ts';

/**
 * Two instances on one database, each caching principals (the default TTL): whatever changes someone's authority,
 * on the other instance or straight in SQL, holds on the very next request here.
 */
describe('cached principals across instances', () => {
  let one: RunningServer;
  let two: RunningServer;
  let apiOne: Api;
  let apiTwo: Api;
  let adminA: string;

  beforeAll(async () => {
    one = await startTestServer({ PRINCIPAL_CACHE_TTL_MS: '60000' });
    two = await startTestServer({ PRINCIPAL_CACHE_TTL_MS: '60000' });
    apiOne = new Api(one.url);
    apiTwo = new Api(two.url);
    adminA = await apiOne.tokenFor(tenantA.email('admin'));
  });
  afterAll(async () => {
    await one.close();
    await two.close();
  });

  /** A fresh viewer of tenant A, signed in, whose principal instance two has cached. */
  async function viewerCachedOnTwo(): Promise<{ id: string; tokens: TokenResponse }> {
    const account = await createUser(apiOne, adminA, 'viewer');
    const { tokens } = await signInFirstTime(apiOne, account);
    expect((await apiTwo.request('GET', '/api/v1/users', { token: tokens.accessToken })).status).toBe(403);
    expect((await apiTwo.request('GET', '/api/v1/me', { token: tokens.accessToken })).status).toBe(200);
    return { id: account.user.id, tokens };
  }

  it('a role change on one instance, or in SQL, holds on the next request on the other', async () => {
    const { id, tokens } = await viewerCachedOnTwo();
    const cachedBefore = two.principals.size;

    const promoted = await apiOne.request('PATCH', `/api/v1/users/${id}`, {
      token: adminA,
      body: { role: 'tenant_admin' },
    });
    const asAdmin = await apiTwo.request('GET', '/api/v1/users', { token: tokens.accessToken });
    await adminQuery(`UPDATE users SET role = 'viewer' WHERE id = $1`, [id]);
    const demoted = await apiTwo.request('GET', '/api/v1/users', { token: tokens.accessToken });

    expect(cachedBefore).toBeGreaterThan(0);
    expect(promoted.status).toBe(200);
    expect(asAdmin.status).toBe(200);
    expect(demoted.status).toBe(403);
  });

  it('a zone grant made in SQL holds on the next request on the other instance', async () => {
    const { id, tokens } = await viewerCachedOnTwo();
    const [zone] = await adminQuery<{ id: string; tenant_id: string }>(
      'SELECT id, tenant_id FROM zones WHERE tenant_id = $1 ORDER BY code LIMIT 1',
      [await tenantId(tenantA.slug)],
    );

    await adminQuery('INSERT INTO user_zones (tenant_id, user_id, zone_id) VALUES ($1, $2, $3)', [
      zone?.tenant_id,
      id,
      zone?.id,
    ]);
    const limited = await apiTwo.request<Me>('GET', '/api/v1/me', { token: tokens.accessToken });
    await adminQuery('DELETE FROM user_zones WHERE user_id = $1', [id]);
    const everywhere = await apiTwo.request<Me>('GET', '/api/v1/me', { token: tokens.accessToken });

    expect(limited.body.zoneIds).toEqual([zone?.id]);
    expect(everywhere.body.zoneIds).toEqual([]);
  });

  it('signing out on one instance ends the session on the other at once', async () => {
    const { tokens } = await viewerCachedOnTwo();

    const out = await apiOne.request('POST', '/api/v1/auth/logout', { token: tokens.accessToken });
    const after = await apiTwo.request('GET', '/api/v1/me', { token: tokens.accessToken });

    expect(out.status).toBe(204);
    expect(after.status).toBe(401);
  });

  it('disabling a user or suspending their tenant in SQL ends their access on the other instance', async () => {
    const disabled = await viewerCachedOnTwo();
    // Suspended: a tenant of its own, never the demo tenant other test files work in at the same time.
    const [ownTenant] = await adminQuery<{ id: string }>(
      `INSERT INTO tenants (slug, name) VALUES ('suspended-cache', 'Suspended cache') RETURNING id`,
    );
    const tenant = ownTenant?.id;
    await adminQuery(
      `INSERT INTO users (tenant_id, email, display_name, role, password_hash)
       SELECT $1, 'viewer@suspended-cache.example', 'Viewer', 'viewer', password_hash FROM users WHERE email = $2`,
      [tenant, tenantA.email('viewer')],
    );
    const suspended = { tokens: await apiOne.login('viewer@suspended-cache.example') };
    expect((await apiTwo.request('GET', '/api/v1/me', { token: suspended.tokens.accessToken })).status).toBe(
      200,
    );

    await adminQuery('UPDATE users SET disabled_at = now() WHERE id = $1', [disabled.id]);
    const afterDisable = await apiTwo.request('GET', '/api/v1/me', { token: disabled.tokens.accessToken });
    let afterSuspend: number;
    try {
      await adminQuery('UPDATE tenants SET disabled_at = now() WHERE id = $1', [tenant]);
      afterSuspend = (await apiTwo.request('GET', '/api/v1/me', { token: suspended.tokens.accessToken }))
        .status;
    } finally {
      await adminQuery('UPDATE tenants SET disabled_at = NULL WHERE id = $1', [tenant]);
    }
    const afterResume = await apiTwo.request('GET', '/api/v1/me', { token: suspended.tokens.accessToken });

    expect(afterDisable.status).toBe(401);
    expect(afterSuspend).toBe(401);
    expect(afterResume.status).toBe(200);
  });

  it('a session ended without any announcement is still refused by every query of a request', async () => {
    const { tokens } = await viewerCachedOnTwo();

    // The announcement is lost (trigger off): only the transaction's own session check can notice.
    await adminQuery(
      `BEGIN;
       ALTER TABLE sessions DISABLE TRIGGER sessions_access_changed;
       UPDATE sessions SET revoked_at = now(), revoked_reason = 'logout'
        WHERE user_id = '${(await apiTwo.request<Me>('GET', '/api/v1/me', { token: tokens.accessToken })).body.id}';
       ALTER TABLE sessions ENABLE TRIGGER sessions_access_changed;
       COMMIT;`,
    );
    const alerts = await apiTwo.request<{ type: string }>('GET', '/api/v1/alerts', {
      token: tokens.accessToken,
    });

    expect(alerts.status).toBe(401);
    expect(alerts.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('a role or zone change whose announcement is lost still holds on the next request', async () => {
    const { id, tokens } = await viewerCachedOnTwo();
    const [zone] = await adminQuery<{ id: string; tenant_id: string }>(
      'SELECT id, tenant_id FROM zones WHERE tenant_id = $1 ORDER BY code LIMIT 1',
      [await tenantId(tenantA.slug)],
    );
    if (!zone) throw new Error('tenant A has no zone');
    // Announcements off: instance two's cache is not told, as when one is still on its way.
    const quietly = (change: string) =>
      adminQuery(
        `BEGIN;
         ALTER TABLE users DISABLE TRIGGER users_access_changed;
         ALTER TABLE user_zones DISABLE TRIGGER user_zones_access_changed;
         ${change};
         ALTER TABLE users ENABLE TRIGGER users_access_changed;
         ALTER TABLE user_zones ENABLE TRIGGER user_zones_access_changed;
         COMMIT;`,
      );
    const users = () => apiTwo.request('GET', '/api/v1/users', { token: tokens.accessToken });

    await quietly(`UPDATE users SET role = 'tenant_admin' WHERE id = '${id}'`);
    const promoted = await users();
    const cachedAsAdmin = await users();
    await quietly(`UPDATE users SET role = 'viewer' WHERE id = '${id}'`);
    const demoted = await users();
    await quietly(
      `INSERT INTO user_zones (tenant_id, user_id, zone_id) VALUES ('${zone.tenant_id}', '${id}', '${zone.id}')`,
    );
    const assets = await apiTwo.request<{ features: { properties: { zoneId: string | null } }[] }>(
      'GET',
      '/api/v1/assets',
      { token: tokens.accessToken },
    );
    const me = await apiTwo.request<Me>('GET', '/api/v1/me', { token: tokens.accessToken });

    expect(promoted.status).toBe(200);
    expect(cachedAsAdmin.status).toBe(200);
    expect(demoted.status).toBe(403);
    expect(assets.status).toBe(200);
    expect(assets.body.features.length).toBeGreaterThan(0);
    expect(new Set(assets.body.features.map((asset) => asset.properties.zoneId))).toEqual(new Set([zone.id]));
    expect(me.body.zoneIds).toEqual([zone.id]);
  });

  it('drops the whole cache when the listening connection comes back, so changes made meanwhile hold', async () => {
    const { id, tokens } = await viewerCachedOnTwo();
    const pid = await two.accessListener.backendPid();
    expect(pid).not.toBeNull();

    // The listener is gone before the change commits: its announcement reaches no one on instance two, which sees
    // the change only because it stops trusting its cache while down and empties it on reconnecting.
    await adminQuery(
      `BEGIN;
       SELECT pg_terminate_backend(${String(pid)}, 5000);
       UPDATE users SET role = 'tenant_admin' WHERE id = '${id}';
       COMMIT;`,
    );
    const meanwhile = await apiTwo.request('GET', '/api/v1/users', { token: tokens.accessToken });
    let reconnected: number | null = null;
    for (let i = 0; i < 100 && (reconnected === null || reconnected === pid); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      reconnected = await two.accessListener.backendPid().catch(() => null);
    }
    const afterReconnect = await apiTwo.request('GET', '/api/v1/users', { token: tokens.accessToken });
    await adminQuery(`UPDATE users SET role = 'viewer' WHERE id = $1`, [id]);

    expect(meanwhile.status).toBe(200);
    expect(reconnected).not.toBe(pid);
    expect(reconnected).not.toBeNull();
    expect(afterReconnect.status).toBe(200);
  });
});
