import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminDb } from '../src/admin-db.ts';
import { classifyAnswer } from '../src/answer-check.ts';
import { ApiClient, type ApiAnswer } from '../src/api-client.ts';
import { firstSignIn } from '../src/first-sign-in.ts';
import { createFieldRecords } from '../src/field-records.ts';
import { resourceOf, type ResourceKind } from '../src/fixtures/fuzz-tenant.ts';
import { operationsOf, type OpenApiDocument, type Operation } from '../src/fuzz/openapi.ts';
import { routeKey } from '../src/fuzz/rest-fuzzer.ts';
import type { RouteContract } from '../src/fuzz/rest-oracle.ts';
import { SchemaSampler } from '../src/fuzz/schema-sampler.ts';
import { Random } from '../src/random.ts';
import { reportResults } from '../src/results.ts';
import {
  BODY_REFERENCES,
  HAND_BODIES,
  handMadeBody,
  QUERY_REFERENCES,
  REFERENCE_FIELDS,
} from '../src/sweep-references.ts';
import {
  fingerprint,
  leaksIn,
  NO_SUCH_ID,
  type TenantFootprint,
  type TenantIds,
} from '../src/tenant-data.ts';
import { startSecurityServer, type RunningServer } from '../src/test-server.ts';

const [, tenantA] = demoTenants;
const PASSWORD = 'zone-sweep-password-1';

/**
 * Users, the tenant and its on-call schedules are the tenant's, not a zone's: what a zone-limited admin may give
 * users is swept by body.
 */
const TENANT_WIDE: ReadonlySet<ResourceKind> = new Set(['tenant', 'user', 'session', 'schedule']);

interface Caller {
  readonly name: string;
  readonly id: string;
  readonly token: string;
}

type Side = 'inside' | 'outside';

/**
 * One id of each kind in the home zone (`inside`) or in the tenant's other zones (`outside`), read as the owner.
 * A device, series or command is where its device's asset is; a rule where it watches.
 */
async function zoneIds(db: AdminDb, tenantId: string, home: string, side: Side): Promise<TenantIds> {
  const where = (column: string) =>
    side === 'inside' ? `${column} = $2::uuid` : `(${column} IS DISTINCT FROM $2::uuid)`;
  const one = async (sql: string): Promise<string> =>
    (await db.query<{ id: string }>(sql, [tenantId, home]))[0]?.id ?? NO_SUCH_ID;
  const onDevice = `JOIN devices d ON d.id = x.device_id LEFT JOIN assets a ON a.id = d.asset_id`;
  return {
    tenant: tenantId,
    zone: await one(`SELECT id FROM zones WHERE tenant_id = $1 AND ${where('id')} ORDER BY id LIMIT 1`),
    user: NO_SUCH_ID,
    asset: await one(
      `SELECT id FROM assets WHERE tenant_id = $1 AND ${where('zone_id')} AND archived_at IS NULL
        ORDER BY (kind = 'pipeline') DESC, id LIMIT 1`,
    ),
    device: await one(
      `SELECT x.id FROM devices x LEFT JOIN assets a ON a.id = x.asset_id
        WHERE x.tenant_id = $1 AND x.transport = 'mqtt' AND ${where('a.zone_id')} ORDER BY x.id LIMIT 1`,
    ),
    thingSpeakDevice: await one(
      `SELECT x.device_id AS id FROM thingspeak_bindings x ${onDevice}
        WHERE x.tenant_id = $1 AND ${where('a.zone_id')} LIMIT 1`,
    ),
    // The trust list is the tenant's, not a zone's.
    opcuaCertificate: NO_SUCH_ID,
    // LoRaWAN applications belong to the tenant, not to a zone.
    lorawanApplication: NO_SUCH_ID,
    rule: await one(
      `SELECT r.id FROM alert_rules r
         LEFT JOIN assets a ON a.id = r.asset_id
         LEFT JOIN series s ON s.id = r.series_id LEFT JOIN devices d ON d.id = s.device_id
         LEFT JOIN assets sa ON sa.id = d.asset_id
        WHERE r.tenant_id = $1 AND r.archived_at IS NULL AND NOT (r.scope IN ('asset_kind', 'tag') AND r.zone_id IS NULL)
          AND ${where(`CASE r.scope WHEN 'asset' THEN a.zone_id WHEN 'series' THEN sa.zone_id ELSE r.zone_id END`)}
        ORDER BY r.id LIMIT 1`,
    ),
    alert: await one(
      `SELECT id FROM alerts WHERE tenant_id = $1 AND ${where('zone_id')}
        ORDER BY (state = 'active_unacknowledged') DESC, id LIMIT 1`,
    ),
    notificationRule: NO_SUCH_ID,
    session: NO_SUCH_ID,
    schedule: NO_SUCH_ID,
    // Kept reports are their author's for a user limited to zones: set below, made by someone else and by them.
    report: NO_SUCH_ID,
    incident: await one(
      `SELECT id FROM incidents WHERE tenant_id = $1 AND status <> 'closed' AND ${where('zone_id')} ORDER BY id LIMIT 1`,
    ),
    command: await one(
      `SELECT x.id FROM device_commands x ${onDevice} WHERE x.tenant_id = $1 AND ${where('a.zone_id')}
        ORDER BY x.id LIMIT 1`,
    ),
    attachment: await one(
      `SELECT x.id FROM attachments x JOIN incidents i ON i.id = x.incident_id
        WHERE x.tenant_id = $1 AND ${where('i.zone_id')} ORDER BY x.id LIMIT 1`,
    ),
    maintenanceLog: await one(
      `SELECT x.id FROM maintenance_logs x JOIN assets a ON a.id = x.asset_id
        WHERE x.tenant_id = $1 AND ${where('a.zone_id')} ORDER BY x.id LIMIT 1`,
    ),
    maintenancePlan: await one(
      `SELECT x.id FROM maintenance_plans x JOIN assets a ON a.id = x.asset_id
        WHERE x.tenant_id = $1 AND ${where('a.zone_id')} ORDER BY x.id LIMIT 1`,
    ),
    series: Number(
      await one(
        `SELECT x.id::text AS id FROM series x ${onDevice} WHERE x.tenant_id = $1 AND ${where('a.zone_id')}
          ORDER BY x.id LIMIT 1`,
      ),
    ),
  };
}

/** Every id of the tenant outside the home zone that a zone-limited answer must never show. */
async function outsideFootprint(db: AdminDb, tenantId: string, home: string): Promise<TenantFootprint> {
  const uuids = new Map<string, string>();
  const add = async (table: string, sql: string) => {
    for (const row of await db.query<{ id: string }>(sql, [tenantId, home])) {
      uuids.set(row.id.toLowerCase(), table);
    }
  };
  const outside = (column: string) => `(${column} IS DISTINCT FROM $2::uuid)`;
  await add('zones', `SELECT id FROM zones WHERE tenant_id = $1 AND ${outside('id')}`);
  await add('assets', `SELECT id FROM assets WHERE tenant_id = $1 AND ${outside('zone_id')}`);
  await add(
    'devices',
    `SELECT d.id FROM devices d LEFT JOIN assets a ON a.id = d.asset_id WHERE d.tenant_id = $1 AND ${outside('a.zone_id')}`,
  );
  await add('alerts', `SELECT id FROM alerts WHERE tenant_id = $1 AND ${outside('zone_id')}`);
  await add('incidents', `SELECT id FROM incidents WHERE tenant_id = $1 AND ${outside('zone_id')}`);
  await add(
    'device_commands',
    `SELECT c.id FROM device_commands c JOIN devices d ON d.id = c.device_id LEFT JOIN assets a ON a.id = d.asset_id
      WHERE c.tenant_id = $1 AND ${outside('a.zone_id')}`,
  );
  const series = await db.query<{ id: number }>(
    `SELECT s.id FROM series s JOIN devices d ON d.id = s.device_id LEFT JOIN assets a ON a.id = d.asset_id
      WHERE s.tenant_id = $1 AND ${outside('a.zone_id')}`,
    [tenantId, home],
  );
  return { uuids, series: new Set(series.map((row) => row.id)) };
}

describe("intra-tenant zone sweep: zone-limited users of A against A's other zones", () => {
  let server: RunningServer;
  let api: ApiClient;
  let db: AdminDb;
  let document: OpenApiDocument;
  let operations: Operation[];
  let routes: Map<string, RouteContract>;
  let tenantId: string;
  let home: string;
  let own: TenantIds;
  let other: TenantIds;
  let footprint: TenantFootprint;
  let before: Record<string, string>;
  const callers: Caller[] = [];
  const attempts = { path: 0, query: 0, body: 0 };
  const problems: string[] = [];

  const judge = (label: string, answer: ApiAnswer, allowed: readonly number[], sent: string): void => {
    const verdict = classifyAnswer({ status: answer.status, headers: answer.headers, text: answer.text });
    if (verdict.kind === 'broken') problems.push(`${label}: ${verdict.reason} ${answer.text.slice(0, 160)}`);
    else if (!allowed.includes(answer.status))
      problems.push(`${label}: ${String(answer.status)} ${answer.text.slice(0, 160)}`);
    const leaks = leaksIn(answer.text, footprint, sent);
    if (leaks.length > 0) problems.push(`${label}: shows another zone's ${leaks.slice(0, 3).join(', ')}`);
  };

  beforeAll(async () => {
    server = await startSecurityServer({
      ALERT_JOB_INTERVAL_MS: '3600000',
      DEVICE_OFFLINE_AFTER_S: '8640000',
      COMMAND_SWEEP_S: '86400',
    });
    api = new ApiClient(server.url, { connections: 8 });
    db = new AdminDb();
    tenantId = await db.tenantId(tenantA.slug);
    const zoneOperator = demoEmail('zone-operator', tenantA);
    home = (
      await db.one<{ id: string }>(
        'SELECT z.zone_id AS id FROM user_zones z JOIN users u ON u.id = z.user_id WHERE u.email = $1',
        [zoneOperator],
      )
    ).id;
    const admin = (await api.login(demoEmail('admin', tenantA))).accessToken;

    // Zone-limited users of every role that acts, in the zone of the demo zone operator.
    const operatorLogin = await api.login(zoneOperator);
    callers.push({ name: 'zone-operator', id: operatorLogin.user.id, token: operatorLogin.accessToken });
    const run = Date.now().toString(36);
    for (const role of ['viewer', 'maintenance', 'supervisor', 'tenant_admin']) {
      const email = `zone-sweep-${role.replace('_', '-')}-${run}@pune-east.example`;
      const created = await api.expect<{ id: string }>(201, 'POST', '/api/v1/users', {
        token: admin,
        body: { email, displayName: `Zone ${role}`, role, password: PASSWORD, zoneIds: [home] },
      });
      callers.push({ name: `zone ${role}`, id: created.id, token: await firstSignIn(api, email, PASSWORD) });
    }
    const zoneAdmin = callers.at(-1);

    // One of everything a route can address on both sides of the zone border.
    other = await zoneIds(db, tenantId, home, 'outside');
    if (other.incident === NO_SUCH_ID) {
      await api.expect(201, 'POST', '/api/v1/incidents', {
        token: admin,
        body: { title: 'Elsewhere', priority: 'low', zoneId: other.zone },
      });
    }
    if (other.command === NO_SUCH_ID) {
      await api.expect(202, 'POST', `/api/v1/devices/${other.device}/commands`, {
        token: admin,
        body: { command: 'set_pump', params: { on: false }, ttlS: 86_400 },
      });
    }
    other = await zoneIds(db, tenantId, home, 'outside');
    own = await zoneIds(db, tenantId, home, 'inside');
    // A rule watching one series on each side (disabled: it is there to be addressed, not to raise).
    for (const ids of [other, own]) {
      if (ids.rule !== NO_SUCH_ID) continue;
      await api.expect(201, 'POST', '/api/v1/alert-rules', {
        token: admin,
        body: {
          name: 'Zone sweep rule',
          condition: 'high',
          priority: 'low',
          scope: 'series',
          seriesId: ids.series,
          setpoint: 1e9,
          enabled: false,
        },
      });
    }
    other = await zoneIds(db, tenantId, home, 'outside');
    own = await zoneIds(db, tenantId, home, 'inside');
    if (own.incident === NO_SUCH_ID) {
      await api.expect(201, 'POST', '/api/v1/incidents', {
        token: admin,
        body: { title: 'At home', priority: 'low', zoneId: home },
      });
      own = await zoneIds(db, tenantId, home, 'inside');
    }
    // A photo on an incident, a work log and a plan on an asset, on each side of the border.
    for (const side of ['outside', 'inside'] as const) {
      const ids = side === 'outside' ? other : own;
      if (ids.attachment !== NO_SUCH_ID && ids.maintenancePlan !== NO_SUCH_ID) continue;
      await createFieldRecords(api, { token: admin }, { incident: ids.incident, asset: ids.asset });
    }
    other = await zoneIds(db, tenantId, home, 'outside');
    own = await zoneIds(db, tenantId, home, 'inside');
    // Notification rules are their owner's: another user's is the one out of reach.
    other = {
      ...other,
      notificationRule: (
        await api.expect<{ rule: { id: string } }>(201, 'POST', '/api/v1/notification-rules', {
          token: admin,
          body: { channel: 'email', target: 'elsewhere@pune-east.example' },
        })
      ).rule.id,
    };
    // A handover shows the zones of whoever made it: one made by an unrestricted admin is out of reach.
    other = {
      ...other,
      report: (
        await api.expect<{ id: string }>(201, 'POST', '/api/v1/reports/handover', {
          token: admin,
          body: { hours: 8 },
        })
      ).id,
    };
    own = {
      ...own,
      report: (
        await api.expect<{ id: string }>(201, 'POST', '/api/v1/reports/handover', {
          token: zoneAdmin?.token ?? '',
          body: { hours: 8 },
        })
      ).id,
      notificationRule: (
        await api.expect<{ rule: { id: string } }>(201, 'POST', '/api/v1/notification-rules', {
          token: zoneAdmin?.token ?? '',
          body: { channel: 'email', target: 'home@pune-east.example' },
        })
      ).rule.id,
    };
    const missing = (ids: TenantIds) =>
      Object.entries(ids).filter(
        ([kind, id]) =>
          id === NO_SUCH_ID &&
          ![
            'user',
            'thingSpeakDevice',
            'opcuaCertificate',
            'lorawanApplication',
            'session',
            'schedule',
          ].includes(kind),
      );
    expect(missing(other)).toEqual([]);
    expect(missing(own)).toEqual([]);

    footprint = await outsideFootprint(db, tenantId, home);
    document = await api.expect<OpenApiDocument>(200, 'GET', '/api/v1/openapi.json');
    operations = operationsOf(document);
    routes = new Map(
      server.routes.map((route) => [routeKey(route.method, route.path), route as unknown as RouteContract]),
    );
    before = await fingerprint(db, tenantId);
  });

  afterAll(async () => {
    await reportResults('intra-tenant-zone-sweep', {
      callers: callers.map((c) => c.name),
      attempts,
      crossed: problems.length,
      problems: problems.slice(0, 30),
    });
    await api.close();
    await db.close();
    await server.close();
  });

  /** A body valid for the route, with ids of the home zone in it, so only the path is out of reach. */
  const validBody = (operation: Operation): unknown => {
    if (!operation.body) return undefined;
    const handMade = handMadeBody(operation.routePath, own);
    if (handMade !== undefined) return handMade;
    const byHand = HAND_BODIES[routeKey(operation.method, operation.routePath)];
    if (byHand) return byHand;
    const route = routes.get(routeKey(operation.method, operation.routePath));
    const random = new Random(7);
    const sampler = new SchemaSampler(document, (field) => {
      const kind = REFERENCE_FIELDS[field];
      if (kind === undefined) return undefined;
      return String(kind === 'series' ? own.series : own[kind]);
    });
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const body = sampler.sample(operation.body, random);
      if (route?.body?.safeParse(body).success) return body;
    }
    throw new Error(`no valid body found for ${operation.method} ${operation.routePath}: add one by hand`);
  };

  it("answers every :id route with 404 (403 where the role lacks the right) for another zone's ids, for every role", async () => {
    const withIds = operations.filter(
      (o) => o.pathParams.includes('id') && !TENANT_WIDE.has(resourceOf(o.routePath)),
    );
    expect(withIds.length).toBeGreaterThan(20);
    for (const operation of withIds) {
      const kind = resourceOf(operation.routePath);
      const id = other[kind];
      if (id === NO_SUCH_ID) continue;
      const body = validBody(operation);
      for (const caller of callers) {
        attempts.path += 1;
        const path = `/api/v1${operation.routePath.replace(':id', id)}`;
        const answer = await api.call(operation.method.toUpperCase(), path, {
          token: caller.token,
          ...(body === undefined ? {} : { body }),
        });
        judge(`${caller.name} ${operation.method} ${operation.routePath}`, answer, [403, 404], path);
      }
    }
    expect(problems).toEqual([]);
  });

  it("filters lists by another zone's ids into nothing of that zone", async () => {
    for (const operation of operations.filter((o) => o.method === 'get' && o.pathParams.length === 0)) {
      for (const parameter of operation.query) {
        const kind = QUERY_REFERENCES[parameter.name];
        if (kind === undefined) continue;
        const value = kind === 'series' ? String(other.series) : kind === 'any' ? other.alert : other[kind];
        const extra =
          operation.routePath === '/telemetry'
            ? `&from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date().toISOString()}`
            : '';
        for (const caller of callers) {
          attempts.query += 1;
          const path = `/api/v1${operation.routePath}?${parameter.name}=${encodeURIComponent(value)}${extra}`;
          const answer = await api.call('GET', path, { token: caller.token });
          judge(
            `${caller.name} GET ${operation.routePath}?${parameter.name}=<other zone>`,
            answer,
            [200, 400, 403, 404],
            path,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("refuses another zone's ids inside request bodies (or, for a bulk action, skips them), for every role", async () => {
    for (const [key, fields] of Object.entries(BODY_REFERENCES)) {
      const [method = '', routePath = ''] = key.split(' ');
      const route = routes.get(key);
      expect(route, key).toBeDefined();
      for (const [field, build] of Object.entries(fields)) {
        const kind = REFERENCE_FIELDS[field] ?? 'zone';
        // Giving a user zones: the other zone is out of reach; assignees are any of the tenant's users.
        if (kind === 'user') continue;
        const foreign = kind === 'series' ? other.series : other[kind];
        const body = build(own, foreign);
        expect(route?.body?.safeParse(body).success, `${key} ${field} body`).toBe(true);
        for (const caller of callers) {
          const target = routePath.startsWith('/users') ? caller.id : own[resourceOf(routePath)];
          const path = `/api/v1${routePath.replace(':id', target)}`;
          attempts.body += 1;
          const answer = await api.call(method.toUpperCase(), path, { token: caller.token, body });
          const bulk = key === 'post /alerts/acknowledge';
          judge(
            `${caller.name} ${key} ${field}=<other zone>`,
            answer,
            bulk ? [200, 403] : [400, 403, 404],
            `${path} ${String(foreign)}`,
          );
          if (bulk && answer.status === 200) {
            expect(answer.body, `${caller.name} bulk acknowledge`).toMatchObject({
              acknowledged: [],
              skipped: [{ id: foreign, reason: 'not_found' }],
            });
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('keeps a zone-limited admin from lifting their own limit or handing out every zone', async () => {
    const zoneAdmin = callers.find((c) => c.name === 'zone tenant_admin');
    expect(zoneAdmin).toBeDefined();
    const cleared = await api.call('PATCH', `/api/v1/users/${zoneAdmin?.id ?? ''}`, {
      token: zoneAdmin?.token ?? '',
      body: { zoneIds: [] },
    });
    expect(cleared.status).toBe(403);
    const everyZone = await api.call('POST', '/api/v1/users', {
      token: zoneAdmin?.token ?? '',
      body: {
        email: `zone-sweep-wide-${Date.now().toString(36)}@pune-east.example`,
        displayName: 'Every zone',
        role: 'tenant_admin',
        password: PASSWORD,
        zoneIds: [],
      },
    });
    expect(everyZone.status).toBe(403);
  });

  it('changed nothing of the tenant', async () => {
    expect(await fingerprint(db, tenantId)).toEqual(before);
  });
});
