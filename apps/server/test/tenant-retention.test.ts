import { DEMO_SUPER_ADMIN_EMAIL } from '@tidewatch/db/testing';
import type { TenantRetention } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantId } from './harness.ts';

describe("a tenant's retention", () => {
  let server: RunningServer;
  let api: Api;
  let superAdmin: string;
  let pune: string;
  const path = () => `/api/v1/tenants/${pune}/retention`;

  beforeAll(async () => {
    // The server accepts readings 20 days old, so no tenant may keep raw readings for less.
    server = await startTestServer({ INGEST_MAX_AGE_DAYS: '20', RETENTION_RAW_DAYS: '60' });
    api = new Api(server.url);
    superAdmin = await api.tokenFor(DEMO_SUPER_ADMIN_EMAIL);
    pune = await tenantId(tenantA.slug);
  });
  afterAll(async () => {
    await adminQuery(
      `UPDATE tenants SET raw_retention_days = NULL, minute_retention_days = NULL, hour_retention_days = NULL,
                          retention_cut_pending = false WHERE id = $1`,
      [pune],
    );
    await server.close();
  });

  it("follows the server's settings until a super_admin sets its own", async () => {
    const admin = await api.tokenFor(tenantA.email('admin'));

    const read = await api.request<TenantRetention>('GET', path(), { token: admin });

    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      settings: { rawDays: null, minuteDays: null, hourDays: null },
      effective: { rawDays: 60, minuteDays: 400, hourDays: null },
      serverDefaults: { rawDays: 60, minuteDays: 400, hourDays: null },
      cutPending: false,
    });
    expect((await api.request('PUT', path(), { token: admin, body: read.body.settings })).status).toBe(403);
  });

  it('a shorter setting is marked as meant and audited; a longer one is not a cut', async () => {
    const shorter = await api.request<TenantRetention>('PUT', path(), {
      token: superAdmin,
      body: { rawDays: 30, minuteDays: null, hourDays: 400 },
    });

    expect(shorter.status).toBe(200);
    expect(shorter.body.effective).toEqual({ rawDays: 30, minuteDays: 400, hourDays: 400 });
    expect(shorter.body.cutPending).toBe(true);
    const [audit] = await adminQuery<{ details: { shortened: boolean } }>(
      `SELECT details FROM audit_log WHERE action = 'tenant.retention_update' AND resource_id = $1
        ORDER BY id DESC LIMIT 1`,
      [pune],
    );
    expect(audit?.details.shortened).toBe(true);

    await adminQuery('UPDATE tenants SET retention_cut_pending = false WHERE id = $1', [pune]);
    const longer = await api.request<TenantRetention>('PUT', path(), {
      token: superAdmin,
      body: { rawDays: 120, minuteDays: null, hourDays: null },
    });

    expect(longer.body.effective).toEqual({ rawDays: 120, minuteDays: 400, hourDays: null });
    expect(longer.body.cutPending).toBe(false);
  });

  it('refuses days below a floor, below the age of accepted readings, or out of order', async () => {
    const attempts = [
      { rawDays: 6, minuteDays: null, hourDays: null },
      { rawDays: 10, minuteDays: null, hourDays: null },
      { rawDays: 90, minuteDays: 60, hourDays: null },
      { rawDays: null, minuteDays: 30, hourDays: null },
      { rawDays: null, minuteDays: null, hourDays: 364 },
    ];
    const before = await adminQuery<{ row: string }>('SELECT t::text AS row FROM tenants t WHERE id = $1', [
      pune,
    ]);

    const answers = [];
    for (const body of attempts) {
      const answer = await api.request<{ type: string; errors: { path: string }[] }>('PUT', path(), {
        token: superAdmin,
        body,
      });
      answers.push([answer.status, answer.body.type, answer.body.errors.map((e) => e.path).join()]);
    }

    const refused = 'urn:tidewatch:problem:validation_failed';
    expect(answers).toEqual([
      [400, refused, 'rawDays'],
      [400, refused, 'rawDays'],
      [400, refused, 'minuteDays'],
      [400, refused, 'minuteDays'],
      [400, refused, 'hourDays'],
    ]);
    expect(await adminQuery('SELECT t::text AS row FROM tenants t WHERE id = $1', [pune])).toEqual(before);
  });
});
