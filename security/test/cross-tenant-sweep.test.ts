import {
  DEFAULT_DEMO_PASSWORD,
  DEMO_SUPER_ADMIN_EMAIL,
  demoEmail,
  demoTenants,
  demoUserRoles,
} from '@tidewatch/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminDb } from '../src/admin-db.ts';
import { classifyAnswer } from '../src/answer-check.ts';
import { ApiClient, type ApiAnswer } from '../src/api-client.ts';
import { addOpcuaCertificate, resourceOf } from '../src/fixtures/fuzz-tenant.ts';
import { operationsOf, type OpenApiDocument, type Operation } from '../src/fuzz/openapi.ts';
import { routeKey } from '../src/fuzz/rest-fuzzer.ts';
import type { RouteContract } from '../src/fuzz/rest-oracle.ts';
import { SchemaSampler } from '../src/fuzz/schema-sampler.ts';
import { Random } from '../src/random.ts';
import { createFieldRecords, openPlaces } from '../src/field-records.ts';
import { reportResults } from '../src/results.ts';
import {
  fingerprint,
  footprintOf,
  leaksIn,
  NO_SUCH_ID,
  sampleIds,
  type TenantFootprint,
  type TenantIds,
} from '../src/tenant-data.ts';
import {
  BODY_REFERENCES,
  expandRefs,
  HAND_BODIES,
  handMadeBody,
  QUERY_REFERENCES,
  REFERENCE_FIELDS,
} from '../src/sweep-references.ts';
import { startSecurityServer, type RunningServer } from '../src/test-server.ts';

const [tenantB, tenantA] = demoTenants;

interface Caller {
  readonly name: string;
  readonly token: string;
  readonly headers: Record<string, string>;
}

describe("cross-tenant sweep: tenant A's users against tenant B's ids", () => {
  let server: RunningServer;
  let api: ApiClient;
  let db: AdminDb;
  let operations: Operation[];
  let routes: Map<string, RouteContract>;
  let document: OpenApiDocument;
  let idsA: TenantIds;
  let idsB: TenantIds;
  let footprintB: TenantFootprint;
  let tenantBId: string;
  let before: Record<string, string>;
  const callers: Caller[] = [];
  const attempts = { path: 0, query: 0, body: 0 };
  const problems: string[] = [];

  const judge = (label: string, answer: ApiAnswer, allowed: readonly number[], sent: string): void => {
    const verdict = classifyAnswer({ status: answer.status, headers: answer.headers, text: answer.text });
    if (verdict.kind === 'broken') problems.push(`${label}: ${verdict.reason} ${answer.text.slice(0, 160)}`);
    else if (!allowed.includes(answer.status))
      problems.push(`${label}: ${String(answer.status)} ${answer.text.slice(0, 160)}`);
    const leaks = leaksIn(answer.text, footprintB, sent);
    if (leaks.length > 0) problems.push(`${label}: shows tenant B's ${leaks.slice(0, 3).join(', ')}`);
  };

  beforeAll(async () => {
    server = await startSecurityServer({
      ALERT_JOB_INTERVAL_MS: '3600000',
      DEVICE_OFFLINE_AFTER_S: '8640000',
      COMMAND_SWEEP_S: '86400',
    });
    api = new ApiClient(server.url, { connections: 8 });
    db = new AdminDb();
    const tenantAId = await db.tenantId(tenantA.slug);
    tenantBId = await db.tenantId(tenantB.slug);
    idsA = await sampleIds(db, tenantAId);
    idsB = await sampleIds(db, tenantBId);
    if (idsB.attachment === NO_SUCH_ID || idsB.maintenancePlan === NO_SUCH_ID) {
      // Photos, work logs and plans: the demo has none of its own.
      const adminB = (await api.login(demoEmail('admin', tenantB))).accessToken;
      await createFieldRecords(api, { token: adminB }, await openPlaces(db, tenantBId, api, adminB));
      idsB = await sampleIds(db, tenantBId);
    }
    if (idsA.attachment === NO_SUCH_ID || idsA.maintenancePlan === NO_SUCH_ID) {
      const adminA = (await api.login(demoEmail('admin', tenantA))).accessToken;
      await createFieldRecords(api, { token: adminA }, await openPlaces(db, tenantAId, api, adminA));
      idsA = await sampleIds(db, tenantAId);
    }
    if (
      idsB.notificationRule === NO_SUCH_ID ||
      idsB.session === NO_SUCH_ID ||
      idsB.schedule === NO_SUCH_ID ||
      idsB.report === NO_SUCH_ID ||
      idsB.opcuaCertificate === NO_SUCH_ID ||
      idsB.lorawanApplication === NO_SUCH_ID
    ) {
      // Give B one of everything a route can address (signing in gives it a session).
      const adminB = (await api.login(demoEmail('admin', tenantB))).accessToken;
      if (idsB.schedule === NO_SUCH_ID) {
        await api.expect(201, 'POST', '/api/v1/on-call-schedules', {
          token: adminB,
          body: { name: 'Night duty', timeZone: 'Asia/Kolkata', shifts: [] },
        });
      }
      if (idsB.report === NO_SUCH_ID) {
        await api.expect(201, 'POST', '/api/v1/reports/handover', { token: adminB, body: { hours: 8 } });
      }
      if (idsB.notificationRule === NO_SUCH_ID) {
        await api.expect(201, 'POST', '/api/v1/notification-rules', {
          token: adminB,
          body: { channel: 'email', target: 'night-shift@hyderabad-west.example' },
        });
      }
      if (idsB.opcuaCertificate === NO_SUCH_ID) await addOpcuaCertificate(api, { token: adminB });
      if (idsB.lorawanApplication === NO_SUCH_ID) {
        await api.expect(201, 'POST', '/api/v1/lorawan-applications', {
          token: adminB,
          body: {
            name: 'B network server',
            format: 'chirpstack',
            brokerUrl: 'mqtt://127.0.0.1:1',
            password: 'b-broker-password',
            networkApplicationId: 'b-application',
            enabled: false,
          },
        });
      }
      idsB = await sampleIds(db, tenantBId);
    }
    expect(Object.entries(idsB).filter(([, id]) => id === NO_SUCH_ID)).toEqual([]);
    footprintB = await footprintOf(db, tenantBId);
    document = await api.expect<OpenApiDocument>(200, 'GET', '/api/v1/openapi.json');
    operations = operationsOf(document);
    routes = new Map(
      server.routes.map((route) => [routeKey(route.method, route.path), route as unknown as RouteContract]),
    );
    for (const local of [...demoUserRoles.map((user) => user.local), 'zone-operator']) {
      const token = (await api.login(demoEmail(local, tenantA))).accessToken;
      callers.push({ name: local, token, headers: {} });
      // X-Tenant-Id is the super_admin's alone: from anyone else it must change nothing.
      if (local === 'admin')
        callers.push({ name: 'admin+X-Tenant-Id:B', token, headers: { 'x-tenant-id': tenantBId } });
    }
    const root = (await api.login(DEMO_SUPER_ADMIN_EMAIL, DEFAULT_DEMO_PASSWORD)).accessToken;
    callers.push({ name: 'super_admin in A', token: root, headers: { 'x-tenant-id': tenantAId } });
    before = await fingerprint(db, tenantBId);
  });

  afterAll(async () => {
    await reportResults('cross-tenant-sweep', {
      callers: callers.map((c) => c.name),
      attempts,
      crossed: problems.length,
      problems: problems.slice(0, 30),
    });
    await api.close();
    await db.close();
    await server.close();
  });

  /** A body valid for the route, with tenant A's ids in it, so only the path is foreign. */
  const validBody = (operation: Operation): unknown => {
    if (!operation.body) return undefined;
    const handMade = handMadeBody(operation.routePath, idsA);
    if (handMade !== undefined) return handMade;
    const byHand = HAND_BODIES[routeKey(operation.method, operation.routePath)];
    if (byHand) return byHand;
    const route = routes.get(routeKey(operation.method, operation.routePath));
    const random = new Random(7);
    const sampler = new SchemaSampler(document, (field) => {
      const kind = REFERENCE_FIELDS[field];
      if (kind === undefined) return undefined;
      return String(kind === 'series' ? idsA.series : idsA[kind]);
    });
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const body = sampler.sample(operation.body, random);
      if (route?.body?.safeParse(body).success) return body;
    }
    throw new Error(`no valid body found for ${operation.method} ${operation.routePath}: add one by hand`);
  };

  it("answers every :id route with 404 (403 where the role lacks the right) for B's ids, for every role of A", async () => {
    const withIds = operations.filter((o) => o.pathParams.includes('id'));
    expect(withIds.length).toBeGreaterThan(20);
    for (const operation of withIds) {
      const kind = resourceOf(operation.routePath);
      const id = idsB[kind];
      const body = validBody(operation);
      const route = routes.get(routeKey(operation.method, operation.routePath));
      for (const caller of callers) {
        // Tenants themselves are the platform's: the super_admin manages all of them by design.
        if (kind === 'tenant' && caller.name.startsWith('super_admin')) continue;
        attempts.path += 1;
        const path = `/api/v1${operation.routePath.replace(':id', id)}`;
        const answer = await api.call(operation.method.toUpperCase(), path, {
          token: caller.token,
          headers: caller.headers,
          ...(body === undefined ? {} : { body }),
        });
        // Tenants are the super_admin's to change: anyone else is forbidden before the id is looked at.
        const allowed = route?.permission === 'tenant:manage' ? [403] : [403, 404];
        judge(`${caller.name} ${operation.method} ${operation.routePath}`, answer, allowed, path);
      }
    }
    expect(problems).toEqual([]);
  });

  it("filters lists by B's ids into nothing of B's", async () => {
    const admin = callers.find((c) => c.name === 'admin');
    for (const operation of operations.filter((o) => o.method === 'get' && o.pathParams.length === 0)) {
      for (const parameter of operation.query) {
        const kind = QUERY_REFERENCES[parameter.name];
        if (kind === undefined) continue;
        const value = kind === 'series' ? String(idsB.series) : kind === 'any' ? idsB.alert : idsB[kind];
        const extra =
          operation.routePath === '/telemetry'
            ? `&from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date().toISOString()}`
            : '';
        for (const caller of callers) {
          attempts.query += 1;
          const path = `/api/v1${operation.routePath}?${parameter.name}=${encodeURIComponent(value)}${extra}`;
          const answer = await api.call('GET', path, { token: caller.token, headers: caller.headers });
          judge(
            `${caller.name} GET ${operation.routePath}?${parameter.name}=<B>`,
            answer,
            [200, 400, 403, 404],
            path,
          );
        }
        expect(admin).toBeDefined();
      }
    }
    expect(problems).toEqual([]);
  });

  it('covers every body field that refers to another resource', () => {
    const missing: string[] = [];
    for (const operation of operations.filter((o) => o.body)) {
      const text = JSON.stringify(operation.body === null ? {} : expandRefs(document, operation.body));
      const key = routeKey(operation.method, operation.routePath);
      for (const field of Object.keys(REFERENCE_FIELDS)) {
        if (
          text.includes(`"${field}"`) &&
          !(field in (BODY_REFERENCES[key] ?? {})) &&
          !(key === 'put /devices/:id/thingspeak')
        ) {
          // Only fields the route's own body declares count (alert `ids` is the bulk acknowledge body).
          if (field === 'ids' && key !== 'post /alerts/acknowledge') continue;
          if (field === 'zoneId' && key === 'post /incidents/:id/close') continue;
          missing.push(`${key} ${field}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("refuses B's ids inside request bodies (or, for a bulk action, skips them) for every role of A", async () => {
    for (const [key, fields] of Object.entries(BODY_REFERENCES)) {
      const [method = '', routePath = ''] = key.split(' ');
      const route = routes.get(key);
      expect(route, key).toBeDefined();
      for (const [field, build] of Object.entries(fields)) {
        const kind = REFERENCE_FIELDS[field] ?? 'zone';
        const foreign = kind === 'series' ? idsB.series : idsB[kind];
        const body = build(idsA, foreign);
        expect(route?.body?.safeParse(body).success, `${key} ${field} body`).toBe(true);
        const path = `/api/v1${routePath.replace(/:id|:zoneId/, routePath.startsWith('/users') ? idsA.user : idsA[resourceOf(routePath)])}`;
        for (const caller of callers) {
          attempts.body += 1;
          const answer = await api.call(method.toUpperCase(), path, {
            token: caller.token,
            headers: caller.headers,
            body,
          });
          const bulk = key === 'post /alerts/acknowledge';
          judge(
            `${caller.name} ${key} ${field}=<B>`,
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

  it('changed nothing of tenant B', async () => {
    expect(await fingerprint(db, tenantBId)).toEqual(before);
  });
});
