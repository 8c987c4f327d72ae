import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantB, tenantId } from './harness.ts';

type Ids = Record<string, string>;

/** One id of tenant B for each kind of resource a route can address. */
async function idsOfTenantB(): Promise<Ids> {
  const b = await tenantId(tenantB.slug);
  const one = async (sql: string): Promise<string> => {
    const rows = await adminQuery<{ id: string }>(sql, [b]);
    if (!rows[0]) throw new Error(`tenant B has none: ${sql}`);
    return rows[0].id;
  };
  return {
    tenant: b,
    zone: await one('SELECT id FROM zones WHERE tenant_id = $1 LIMIT 1'),
    user: await one(`SELECT id FROM users WHERE tenant_id = $1 AND role = 'operator' LIMIT 1`),
    asset: await one('SELECT id FROM assets WHERE tenant_id = $1 LIMIT 1'),
    pipe: await one(`SELECT id FROM assets WHERE tenant_id = $1 AND kind = 'pipeline' LIMIT 1`),
    device: await one(`SELECT id FROM devices WHERE tenant_id = $1 AND transport = 'mqtt' LIMIT 1`),
    thingSpeakDevice: await one(
      `SELECT device_id AS id FROM thingspeak_bindings WHERE tenant_id = $1 LIMIT 1`,
    ),
    rule: await one('SELECT id FROM alert_rules WHERE tenant_id = $1 LIMIT 1'),
    alert: await one('SELECT id FROM alerts WHERE tenant_id = $1 LIMIT 1'),
    incident: await one('SELECT id FROM incidents WHERE tenant_id = $1 LIMIT 1'),
    command: await one('SELECT id FROM device_commands WHERE tenant_id = $1 LIMIT 1'),
    session: await one(
      `INSERT INTO sessions (tenant_id, user_id, expires_at, user_agent)
       SELECT tenant_id, id, now() + interval '1 day', 'isolation-test' FROM users
        WHERE tenant_id = $1 AND role = 'operator' LIMIT 1 RETURNING id`,
    ),
    notificationRule: await one(
      `INSERT INTO notification_rules (tenant_id, user_id, channel, target)
       SELECT tenant_id, id, 'email', 'duty@example.org' FROM users WHERE tenant_id = $1 AND role = 'supervisor'
        LIMIT 1 RETURNING id`,
    ),
  };
}

/** Every route that addresses a resource by id, with the id it gets and a body that would otherwise be valid. */
const cases: Record<string, { id: keyof Ids; body?: unknown }> = {
  'get /tenants/:id': { id: 'tenant' },
  'patch /tenants/:id': { id: 'tenant', body: { name: 'Taken over' } },
  'get /tenants/:id/retention': { id: 'tenant' },
  'put /tenants/:id/retention': { id: 'tenant', body: { rawDays: 30, minuteDays: null, hourDays: null } },
  'get /zones/:id': { id: 'zone' },
  'patch /zones/:id': { id: 'zone', body: { name: 'Taken over' } },
  'delete /zones/:id': { id: 'zone' },
  'get /users/:id': { id: 'user' },
  'patch /users/:id': { id: 'user', body: { role: 'tenant_admin' } },
  'get /users/:id/sessions': { id: 'user' },
  'post /users/:id/sessions/end': { id: 'user' },
  'post /users/:id/totp/reset': { id: 'user' },
  'delete /me/sessions/:id': { id: 'session' },
  'get /assets/:id': { id: 'asset' },
  'patch /assets/:id': { id: 'asset', body: { name: 'Taken over' } },
  'put /assets/:id/maintenance': { id: 'asset', body: { inMaintenance: true } },
  'delete /assets/:id': { id: 'asset' },
  'get /spatial/pipes/:id/downstream': { id: 'pipe' },
  'get /devices/:id': { id: 'device' },
  'patch /devices/:id': { id: 'device', body: { disabled: true } },
  'post /devices/:id/rotate-secret': { id: 'device' },
  'get /devices/:id/thingspeak': { id: 'thingSpeakDevice' },
  'put /devices/:id/thingspeak': {
    id: 'thingSpeakDevice',
    body: { channelId: 1, fields: [{ field: 1, metricKey: 'level_cm' }] },
  },
  'delete /devices/:id/thingspeak': { id: 'thingSpeakDevice' },
  'post /devices/:id/thingspeak/preview': {
    id: 'thingSpeakDevice',
    body: { channelId: 2417893, readApiKey: null, fields: [{ field: 1, metricKey: 'level_cm' }] },
  },
  'post /devices/:id/commands': { id: 'device', body: { command: 'pump_stop' } },
  'get /alert-rules/:id': { id: 'rule' },
  'patch /alert-rules/:id': { id: 'rule', body: { enabled: false } },
  'delete /alert-rules/:id': { id: 'rule' },
  'get /alerts/:id': { id: 'alert' },
  'post /alerts/:id/acknowledge': { id: 'alert', body: {} },
  'post /alerts/:id/shelve': { id: 'alert', body: { durationS: 600, reason: 'Taken over' } },
  'post /alerts/:id/unshelve': { id: 'alert', body: {} },
  'post /alerts/:id/out-of-service': { id: 'alert', body: { comment: 'Taken over' } },
  'post /alerts/:id/return-to-service': { id: 'alert', body: {} },
  'post /alerts/:id/comments': { id: 'alert', body: { comment: 'Taken over' } },
  'patch /notification-rules/:id': { id: 'notificationRule', body: { enabled: false } },
  'delete /notification-rules/:id': { id: 'notificationRule' },
  'get /incidents/:id': { id: 'incident' },
  'patch /incidents/:id': { id: 'incident', body: { title: 'Taken over' } },
  'post /incidents/:id/notes': { id: 'incident', body: { body: 'Taken over' } },
  'post /incidents/:id/close': {
    id: 'incident',
    body: {
      maintenanceLog: {
        workDone: 'x',
        startedAt: '2026-01-01T00:00:00Z',
        finishedAt: '2026-01-01T01:00:00Z',
      },
    },
  },
  'get /commands/:id': { id: 'command' },
};

const TENANT_B_TABLES = [
  'zones',
  'users',
  'sessions',
  'assets',
  'devices',
  'thingspeak_bindings',
  'thingspeak_field_mappings',
  'alert_rules',
  'alerts',
  'alert_transitions',
  'notification_rules',
  'incidents',
  'incident_notes',
  'maintenance_logs',
  'device_commands',
  'series',
];

/** A fingerprint of tenant B's rows, to prove nothing of B changed. */
async function fingerprint(b: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const table of TENANT_B_TABLES) {
    const rows = await adminQuery<{ digest: string | null }>(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM ${table} t WHERE tenant_id = $1`,
      [b],
    );
    result[table] = rows[0]?.digest ?? '';
  }
  const tenant = await adminQuery<{ row: string }>('SELECT t::text AS row FROM tenants t WHERE id = $1', [b]);
  result.tenant = tenant[0]?.row ?? '';
  return result;
}

describe('tenant isolation through the API', () => {
  let server: RunningServer;
  let api: Api;
  let ids: Ids;
  let adminA: string;

  beforeAll(async () => {
    server = await startTestServer();
    api = new Api(server.url);
    ids = await idsOfTenantB();
    adminA = await api.tokenFor(tenantA.email('admin'));
  });
  afterAll(async () => {
    await server.close();
  });

  it('covers every route that takes an id', () => {
    const routesWithIds = server.routes
      .filter((r) => r.path.includes(':id'))
      .map((r) => `${r.method} ${r.path}`);
    expect(routesWithIds.sort()).toEqual(Object.keys(cases).sort());
  });

  it("answers tenant B's ids with 404 (or 403 where the role lacks the right), leaks nothing and changes nothing", async () => {
    const before = await fingerprint(ids.tenant ?? '');
    const leaks: string[] = [];
    for (const [key, testCase] of Object.entries(cases)) {
      const [method = '', path = ''] = key.split(' ');
      const id = ids[testCase.id] ?? '';
      const response = await api.request(method.toUpperCase(), `/api/v1${path.replace(':id', id)}`, {
        token: adminA,
        ...(testCase.body === undefined ? {} : { body: testCase.body }),
      });
      // `instance` echoes the caller's own request path; anything else mentioning the id would be a leak.
      const { instance: _echo, ...answer } = response.body as Record<string, unknown>;
      const text = JSON.stringify(answer);
      const expected = key.includes('/tenants/') && method !== 'get' ? 403 : 404;
      if (response.status !== expected || text.includes(id))
        leaks.push(`${key}: ${String(response.status)} ${text.slice(0, 120)}`);
    }

    expect(leaks).toEqual([]);
    expect(await fingerprint(ids.tenant ?? '')).toEqual(before);
  });

  it("refuses tenant B's ids inside request bodies", async () => {
    const attempts = [
      await api.request('POST', '/api/v1/devices', {
        token: adminA,
        body: { name: 'Spy', assetId: ids.asset },
      }),
      await api.request('POST', '/api/v1/incidents', {
        token: adminA,
        body: { title: 'Spy', priority: 'low', alertIds: [ids.alert] },
      }),
      await api.request('POST', '/api/v1/users', {
        token: adminA,
        body: {
          email: 'spy@pune-east.example',
          displayName: 'Spy',
          role: 'viewer',
          password: 'a-long-password',
          zoneIds: [ids.zone],
        },
      }),
      await api.request('POST', '/api/v1/assets', {
        token: adminA,
        body: {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [73.9, 18.55] },
          properties: { code: 'SPY-1', name: 'Spy', kind: 'valve', zoneId: ids.zone },
        },
      }),
    ];

    expect(attempts.map((a) => a.status)).toEqual([400, 400, 400, 400]);
  });

  it("never lists tenant B's rows", async () => {
    const lists = [
      '/zones',
      '/users',
      '/assets?limit=500',
      '/devices?limit=500',
      '/alert-rules',
      '/alerts?limit=500',
      '/incidents',
      '/commands',
      '/audit-log?limit=500',
      '/metrics',
      '/tenants',
    ];
    for (const path of lists) {
      const response = await api.request('GET', `/api/v1${path}`, { token: adminA });
      expect(response.status, path).toBe(200);
      const text = JSON.stringify(response.body);
      for (const id of Object.values(ids)) expect(text.includes(id), `${path} shows ${id}`).toBe(false);
    }
  });
});
