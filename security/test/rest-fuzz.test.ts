import { demoTenants } from '@tidewatch/db/testing';
import type { Role } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminDb } from '../src/admin-db.ts';
import { ApiClient } from '../src/api-client.ts';
import {
  createFuzzTenant,
  resourceOf,
  type FuzzTenant,
  type ResourceKind,
} from '../src/fixtures/fuzz-tenant.ts';
import { INVALID_UUIDS } from '../src/fuzz/hostile-values.ts';
import { operationsOf, type OpenApiDocument, type Operation } from '../src/fuzz/openapi.ts';
import type { CaseSources, Sender } from '../src/fuzz/rest-cases.ts';
import { fuzzRest, routeKey, type RestFuzzReport } from '../src/fuzz/rest-fuzzer.ts';
import type { RouteContract } from '../src/fuzz/rest-oracle.ts';
import { SchemaSampler } from '../src/fuzz/schema-sampler.ts';
import { Random, runSeed } from '../src/random.ts';
import { fuzzBudget, reportResults } from '../src/results.ts';
import {
  fingerprint,
  footprintOf,
  sampleIds,
  type TenantFootprint,
  type TenantIds,
} from '../src/tenant-data.ts';
import { startSecurityServer, type RunningServer } from '../src/test-server.ts';

/** Which pool a body or query field's id comes from, by its name. */
const FIELD_KINDS: Record<string, ResourceKind> = {
  zoneId: 'zone',
  zoneIds: 'zone',
  parentId: 'zone',
  assetId: 'asset',
  fromAssetId: 'asset',
  toAssetId: 'asset',
  deviceId: 'device',
  alertId: 'alert',
  alertIds: 'alert',
  addAlertIds: 'alert',
  ids: 'alert',
  assigneeId: 'user',
  actorId: 'user',
};

const ROLES: Record<Sender, Role | null> = {
  admin: 'tenant_admin',
  supervisor: 'supervisor',
  operator: 'operator',
  viewer: 'viewer',
  none: null,
  garbage: null,
};

/** A map tile coordinate: mostly on the grid of a low zoom, sometimes off it or out of range. */
const tileCoordinate = (random: Random): string =>
  random.chance(0.2) ? random.pick(['-1', '23', '1e3', '0x1', '99999999999']) : String(random.int(0, 3));

describe('REST fuzzer', () => {
  const seed = runSeed();
  const budget = fuzzBudget();
  let server: RunningServer;
  let api: ApiClient;
  let db: AdminDb;
  let fuzz: FuzzTenant;
  let operations: Operation[];
  let routes: Map<string, RouteContract>;
  let sources: CaseSources;
  let foreign: TenantFootprint;
  let demoIds: TenantIds;
  const demoTenantIds: string[] = [];
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

  beforeAll(async () => {
    console.log(`[security] REST fuzz seed ${String(seed)} (replay with SECURITY_SEED=${String(seed)})`);
    server = await startSecurityServer({
      // Background jobs off the clock: the only changes to data are the ones requests make.
      ALERT_JOB_INTERVAL_MS: '3600000',
      DEVICE_OFFLINE_AFTER_S: '8640000',
      COMMAND_SWEEP_S: '86400',
    });
    api = new ApiClient(server.url, { connections: 16 });
    db = new AdminDb();
    fuzz = await createFuzzTenant(api, `fuzz-${String(seed)}`);
    for (const tenant of demoTenants) demoTenantIds.push(await db.tenantId(tenant.slug));
    demoIds = await sampleIds(db, demoTenantIds[0] ?? '');
    const [first, second] = await Promise.all(demoTenantIds.map((id) => footprintOf(db, id)));
    // The few demo ids the fuzzer itself sends may come back as its own input (the audit log keeps the
    // filters a caller used); the cross-tenant sweep covers those. Every other demo id is a leak.
    const sentByFuzzer = new Set(Object.values(demoIds).map((id) => String(id).toLowerCase()));
    foreign = {
      uuids: new Map(
        [...(first?.uuids ?? []), ...(second?.uuids ?? [])].filter(([id]) => !sentByFuzzer.has(id)),
      ),
      series: new Set(
        [...(first?.series ?? []), ...(second?.series ?? [])].filter((id) => id !== demoIds.series),
      ),
    };
    const document = await api.expect<OpenApiDocument>(200, 'GET', '/api/v1/openapi.json');
    operations = operationsOf(document);
    routes = new Map(
      server.routes.map((route) => [routeKey(route.method, route.path), route as unknown as RouteContract]),
    );

    const pick = (kind: ResourceKind, random: Random): string => {
      const pool = fuzz.ids[kind];
      return random.weighted<() => string>([
        [16, () => (pool.length > 0 ? random.pick(pool) : random.uuid())],
        [2, () => demoIds[kind]],
        [2, () => random.uuid()],
      ])();
    };
    const sampler = new SchemaSampler(document, (field, random) => {
      const kind = FIELD_KINDS[field];
      if (kind) return pick(kind, random);
      if (field === 'seriesId') return String(random.chance(0.9) ? random.pick(fuzz.series) : demoIds.series);
      if (field === 'series')
        return random.pick([
          fuzz.series.slice(0, 2).join(','),
          String(demoIds.series),
          String(random.pick(fuzz.series)),
        ]);
      if (field === 'bbox') return '73.7,18.4,74.0,18.7';
      if (field === 'near') return '73.8,18.5';
      return undefined;
    });
    sources = {
      sampler,
      pathId: (operation, random, name) =>
        name !== 'id'
          ? tileCoordinate(random)
          : random.chance(0.1)
            ? random.pick(INVALID_UUIDS.slice(0, 4))
            : pick(resourceOf(operation.routePath), random),
      tokens: {
        ...fuzz.tokens,
        none: null,
        garbage: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.garbage-signature',
      },
      deviceAuthorization: `Basic ${Buffer.from(`${fuzz.device.id}:${fuzz.device.secret}`).toString('base64')}`,
    };
  });

  afterAll(async () => {
    await api.close();
    await db.close();
    await server.close();
  });

  const run = (first: number, count: number, allowValid: boolean): Promise<RestFuzzReport> =>
    fuzzRest({
      http: api.http,
      operations,
      routes,
      sources,
      roles: ROLES,
      random: new Random(seed),
      first,
      count,
      concurrency: 16,
      allowValid,
      foreign,
      healthEvery: 2500,
      healthCheck: async () => {
        const ready = await api.call('GET', '/health/ready');
        if (ready.status !== 200) throw new Error(`not ready after fuzz cases: ${ready.text}`);
      },
      onCreated: (operation, id) => {
        fuzz.ids[resourceOf(`${operation.routePath}/:id`)].push(id);
      },
    });

  const failures = (report: RestFuzzReport): string[] =>
    report.findings.describe([
      'broken',
      'no-answer',
      'leak',
      'accepted-invalid',
      'unexpected-problem',
      'not-stored',
    ]);

  /**
   * Every finding fails the run except `undocumented`: a status whose problem code is in the catalogue but not in
   * the operation's own OpenAPI entry (415 anywhere, 401 on sign-in). Reported in the results instead.
   */
  const failing = (report: RestFuzzReport): Record<string, number> =>
    Object.fromEntries(
      Object.entries(report.findings.counts).filter(([category]) => category !== 'undocumented'),
    );

  it('covers every route of the registry', () => {
    const documented = operations.map((o) => routeKey(o.method, o.routePath)).sort();
    expect(documented).toEqual([...routes.keys()].sort());
  });

  it('answers hostile cases with documented problems and changes nothing', async () => {
    const tenants = [...demoTenantIds, fuzz.id];
    const before = await Promise.all(tenants.map((id) => fingerprint(db, id)));

    const report = await run(0, Math.round(budget.rest * 0.4), false);

    await reportResults('rest-fuzz-hostile', {
      seed,
      ...report,
      findings: report.findings.counts,
      samples: failures(report),
    });
    expect(failures(report)).toEqual([]);
    expect(failing(report)).toEqual({});
    expect(await Promise.all(tenants.map((id) => fingerprint(db, id)))).toEqual(before);
    expect((await api.call('GET', '/health/ready')).status).toBe(200);
  });

  it('stores valid-looking cases as sent, refuses the rest, and never touches the demo tenants', async () => {
    const before = await Promise.all(demoTenantIds.map((id) => fingerprint(db, id)));
    const first = Math.round(budget.rest * 0.4);

    const report = await run(first, budget.rest - first, true);

    await reportResults('rest-fuzz-mixed', {
      seed,
      ...report,
      findings: report.findings.counts,
      samples: failures(report),
    });
    expect(failures(report)).toEqual([]);
    expect(failing(report)).toEqual({});
    expect(report.validAccepted).toBeGreaterThan(0);
    expect(report.storedChecked).toBeGreaterThan(0);
    expect(await Promise.all(demoTenantIds.map((id) => fingerprint(db, id)))).toEqual(before);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
    expect((await api.call('GET', '/health/ready')).status).toBe(200);
  });
});
