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
    modbusDevice: await one(`SELECT device_id AS id FROM modbus_bindings WHERE tenant_id = $1 LIMIT 1`),
    rule: await one('SELECT id FROM alert_rules WHERE tenant_id = $1 LIMIT 1'),
    alert: await one('SELECT id FROM alerts WHERE tenant_id = $1 LIMIT 1'),
    incident: await one('SELECT id FROM incidents WHERE tenant_id = $1 LIMIT 1'),
    command: await one('SELECT id FROM device_commands WHERE tenant_id = $1 LIMIT 1'),
    session: await one(
      `INSERT INTO sessions (tenant_id, user_id, expires_at, user_agent)
       SELECT tenant_id, id, now() + interval '1 day', 'isolation-test' FROM users
        WHERE tenant_id = $1 AND role = 'operator' LIMIT 1 RETURNING id`,
    ),
    schedule: await one(
      `INSERT INTO on_call_schedules (tenant_id, name, time_zone)
       VALUES ($1, 'Isolation test ' || gen_random_uuid()::text, 'Asia/Kolkata') RETURNING id`,
    ),
    report: await one(
      `INSERT INTO reports (tenant_id, kind, period_start, period_end, created_by, content, pdf)
       SELECT tenant_id, 'handover', now() - interval '12 hours', now(), id, '{}', '\\x25504446' FROM users
        WHERE tenant_id = $1 AND role = 'operator' LIMIT 1 RETURNING id`,
    ),
    opcuaDevice: await one(
      `WITH d AS (INSERT INTO devices (tenant_id, name, transport) VALUES ($1, 'Isolation OPC UA', 'opcua')
                  RETURNING id, tenant_id)
       INSERT INTO opcua_bindings (tenant_id, device_id, endpoint_url)
       SELECT tenant_id, id, 'opc.tcp://192.0.2.10:4840' FROM d RETURNING device_id AS id`,
    ),
    opcuaCertificate: await one(
      `INSERT INTO opcua_server_certificates (tenant_id, thumbprint, certificate)
       VALUES ($1, repeat('ab', 20), '\\x3082') RETURNING id`,
    ),
    lorawanApplication: await one(
      `INSERT INTO lorawan_applications (tenant_id, name, format, broker_url, network_application_id)
       VALUES ($1, 'Isolation LNS', 'chirpstack', 'mqtt://192.0.2.11:1883', 'isolation') RETURNING id`,
    ),
    lorawanDevice: await one(
      `WITH d AS (INSERT INTO devices (tenant_id, name, transport) VALUES ($1, 'Isolation LoRaWAN', 'lorawan')
                  RETURNING id, tenant_id)
       INSERT INTO lorawan_devices (device_id, tenant_id, application_id, dev_eui)
       SELECT d.id, d.tenant_id, a.id, '70b3d57ed0059999' FROM d
         JOIN lorawan_applications a ON a.tenant_id = d.tenant_id LIMIT 1 RETURNING device_id AS id`,
    ),
    maintenanceLog: await one(
      `INSERT INTO maintenance_logs (tenant_id, asset_id, work_done, started_at)
       SELECT tenant_id, id, 'Isolation test', now() FROM assets WHERE tenant_id = $1 LIMIT 1 RETURNING id`,
    ),
    maintenancePlan: await one(
      `INSERT INTO maintenance_plans (tenant_id, asset_id, title, due_at)
       SELECT tenant_id, id, 'Isolation test', now() + interval '7 days' FROM assets WHERE tenant_id = $1 LIMIT 1
       RETURNING id`,
    ),
    attachment: await one(
      `INSERT INTO attachments (tenant_id, asset_id, file_name, media_type, byte_size, sha256, storage, content)
       SELECT tenant_id, id, 'isolation.pdf', 'application/pdf', 4, repeat('0', 64), 'database', '\\x25504446'
         FROM assets WHERE tenant_id = $1 LIMIT 1 RETURNING id`,
    ),
    notificationRule: await one(
      `INSERT INTO notification_rules (tenant_id, user_id, channel, target)
       SELECT tenant_id, id, 'email', 'duty@example.org' FROM users WHERE tenant_id = $1 AND role = 'supervisor'
        LIMIT 1 RETURNING id`,
    ),
  };
}

/** Every route that addresses a resource by id, with the id it gets and a body that would otherwise be valid. */
const MODBUS_BINDING = {
  host: '127.0.0.1',
  registers: [{ metricKey: 'flow_lpm', function: 4, address: 0, type: 'float32' }],
};

const OPCUA_BINDING = {
  endpointUrl: 'opc.tcp://127.0.0.1:4840/',
  items: [{ nodeId: 'ns=2;s=Tank1.Level', metricKey: 'level_cm' }],
};
const LORAWAN_DEVICE = (application: string) => ({
  lorawanApplicationId: application,
  devEui: '70b3d57ed0051234',
  mappings: [{ path: 'level', metricKey: 'level_cm' }],
});
const PDF = '%PDF-1.4\n%isolation\n';

const cases: Record<
  string,
  { id: keyof Ids; body?: unknown; bodyOf?: (ids: Ids) => unknown; file?: string }
> = {
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
  'get /assets/:id/forecast': { id: 'asset' },
  'get /assets/:id/health': { id: 'asset' },
  'patch /assets/:id': { id: 'asset', body: { name: 'Taken over' } },
  'put /assets/:id/maintenance': { id: 'asset', body: { inMaintenance: true } },
  'delete /assets/:id': { id: 'asset' },
  'get /spatial/pipes/:id/downstream': { id: 'pipe' },
  'get /spatial/pipes/:id/isolation': { id: 'pipe' },
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
  'get /devices/:id/modbus': { id: 'modbusDevice' },
  'put /devices/:id/modbus': { id: 'modbusDevice', body: MODBUS_BINDING },
  'delete /devices/:id/modbus': { id: 'modbusDevice' },
  'post /devices/:id/modbus/preview': { id: 'modbusDevice', body: MODBUS_BINDING },
  'post /devices/:id/commands': { id: 'device', body: { command: 'pump_stop' } },
  'get /devices/:id/opcua': { id: 'opcuaDevice' },
  'put /devices/:id/opcua': { id: 'opcuaDevice', body: OPCUA_BINDING },
  'delete /devices/:id/opcua': { id: 'opcuaDevice' },
  'post /devices/:id/opcua/preview': { id: 'opcuaDevice', body: OPCUA_BINDING },
  'patch /opcua/server-certificates/:id': { id: 'opcuaCertificate', body: { status: 'trusted' } },
  'delete /opcua/server-certificates/:id': { id: 'opcuaCertificate' },
  'get /lorawan-applications/:id': { id: 'lorawanApplication' },
  'patch /lorawan-applications/:id': { id: 'lorawanApplication', body: { name: 'Taken over' } },
  'delete /lorawan-applications/:id': { id: 'lorawanApplication' },
  'get /lorawan-applications/:id/uplinks': { id: 'lorawanApplication' },
  'get /devices/:id/lorawan': { id: 'lorawanDevice' },
  // With an application of tenant B too: the device is what must not be found.
  'put /devices/:id/lorawan': {
    id: 'lorawanDevice',
    bodyOf: (ids) => LORAWAN_DEVICE(ids.lorawanApplication ?? ''),
  },
  'delete /devices/:id/lorawan': { id: 'lorawanDevice' },
  'post /devices/:id/lorawan/preview': {
    id: 'lorawanDevice',
    bodyOf: (ids) => LORAWAN_DEVICE(ids.lorawanApplication ?? ''),
  },
  'get /devices/:id/calibrations': { id: 'device' },
  'post /devices/:id/calibrations': {
    id: 'device',
    body: { seriesId: 1, scale: 2, offset: 0, validFrom: '2026-01-01T00:00:00Z' },
  },
  'get /devices/:id/firmware': { id: 'device' },
  'post /devices/:id/firmware': { id: 'device', body: { version: '9.9.9' } },
  'get /devices/:id/availability': { id: 'device' },
  'get /zones/:id/availability': { id: 'zone' },
  'post /assets/:id/maintenance-logs': {
    id: 'asset',
    body: { workDone: 'Taken over', startedAt: '2026-01-01T00:00:00Z' },
  },
  'get /assets/:id/maintenance-logs': { id: 'asset' },
  'get /maintenance-logs/:id': { id: 'maintenanceLog' },
  'get /assets/:id/timeline': { id: 'asset' },
  'post /assets/:id/maintenance-plans': {
    id: 'asset',
    body: { title: 'Taken over', dueAt: '2027-01-01T00:00:00Z' },
  },
  'get /assets/:id/maintenance-plans': { id: 'asset' },
  'get /maintenance-plans/:id': { id: 'maintenancePlan' },
  'patch /maintenance-plans/:id': { id: 'maintenancePlan', body: { title: 'Taken over' } },
  'post /incidents/:id/attachments': { id: 'incident', file: PDF },
  'get /incidents/:id/attachments': { id: 'incident' },
  'post /maintenance-logs/:id/attachments': { id: 'maintenanceLog', file: PDF },
  'get /maintenance-logs/:id/attachments': { id: 'maintenanceLog' },
  'post /assets/:id/attachments': { id: 'asset', file: PDF },
  'get /assets/:id/attachments': { id: 'asset' },
  'get /attachments/:id': { id: 'attachment' },
  'get /attachments/:id/content': { id: 'attachment' },
  'get /attachments/:id/thumbnail': { id: 'attachment' },
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
  'get /alerts/:id/escalation': { id: 'alert' },
  'put /users/:id/phone': { id: 'user', body: { phone: '+919800000009' } },
  'get /on-call-schedules/:id/on-duty': { id: 'schedule' },
  'get /reports/:id/pdf': { id: 'report' },
  'get /reports/:id/csv': { id: 'report' },
  'post /reports/:id/acknowledge': { id: 'report', body: {} },
  'post /on-call-schedules/:id/overrides': {
    id: 'schedule',
    body: {
      userId: '7b0c3c1e-5f5e-4d2a-9a61-0d4f1b2c3d4e',
      startsAt: '2026-01-01T00:00:00Z',
      endsAt: '2026-01-01T08:00:00Z',
    },
  },
};

const TENANT_B_TABLES = [
  'zones',
  'users',
  'sessions',
  'assets',
  'devices',
  'thingspeak_bindings',
  'thingspeak_field_mappings',
  'modbus_endpoints',
  'modbus_bindings',
  'modbus_registers',
  'alert_rules',
  'alerts',
  'alert_transitions',
  'notification_rules',
  'incidents',
  'incident_notes',
  'maintenance_logs',
  'device_commands',
  'series',
  'on_call_schedules',
  'on_call_overrides',
  'reports',
  'opcua_bindings',
  'opcua_server_certificates',
  'lorawan_applications',
  'lorawan_devices',
  'maintenance_plans',
  'attachments',
  'calibrations',
  'device_firmware',
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
      const body = testCase.bodyOf ? testCase.bodyOf(ids) : testCase.body;
      const response = await api.request(method.toUpperCase(), `/api/v1${path.replace(':id', id)}`, {
        token: adminA,
        ...(body === undefined ? {} : { body }),
        ...(testCase.file === undefined
          ? {}
          : { rawBody: testCase.file, headers: { 'content-type': 'application/pdf' } }),
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
