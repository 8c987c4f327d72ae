import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { readInContext, readStatement } from '../src/context-read.ts';
import { contextCallSql } from '../src/tenant-context.ts';
import { demoTenantIds, type TenantIds } from './helpers.ts';

const zoneCodes = readStatement(
  'test_zone_codes',
  `SELECT code, current_setting('app.tenant_id') AS context FROM zones
    WHERE ($1::uuid[] IS NULL OR id = ANY($1::uuid[])) AND code <> $2 ORDER BY code`,
);
const echo = readStatement('test_echo', 'SELECT $1::text[] AS list, $2::text AS text');
const contextNow = readStatement(
  'test_context_now',
  `SELECT current_setting('app.tenant_id', true) AS tenant`,
);

describe('readInContext: context and read in one round trip', () => {
  let pool: pg.Pool;
  let admin: pg.Client;
  let tenants: TenantIds;
  const ownZones = new Map<string, string[]>();

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: inject('seededAdminUrl') });
    await admin.connect();
    tenants = await demoTenantIds(admin);
    for (const id of [tenants.a, tenants.b]) {
      const { rows } = await admin.query<{ code: string }>(
        'SELECT code FROM zones WHERE tenant_id = $1 ORDER BY code',
        [id],
      );
      ownZones.set(
        id,
        rows.map((r) => r.code),
      );
    }
    // One connection: the two tenants' reads share it, and with it the prepared statements.
    pool = new pg.Pool({ connectionString: inject('seededAppUrl'), max: 1 });
  });

  afterAll(async () => {
    await pool.end();
    await admin.end();
  });

  it('reads only the context tenant’s rows, alternating tenants on one connection', async () => {
    for (const round of [1, 2]) {
      for (const tenantId of [tenants.a, tenants.b]) {
        const rows = await readInContext<{ code: string; context: string }>(
          pool,
          { tenantId, userId: null, role: 'operator' },
          zoneCodes,
          [null, `no-such-zone-${String(round)}`],
        );
        expect(rows.map((r) => r.code)).toEqual(ownZones.get(tenantId));
        expect(rows.every((r) => r.context === tenantId)).toBe(true);
      }
    }
  });

  it('sees nothing without a tenant, and leaves no context behind on the connection', async () => {
    const none = await readInContext(pool, { tenantId: null, userId: null, role: null }, zoneCodes, [
      null,
      '',
    ]);
    expect(none).toEqual([]);
    await readInContext(pool, { tenantId: tenants.a, userId: null, role: 'operator' }, zoneCodes, [null, '']);
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ tenant: string | null }>(
        `SELECT current_setting('app.tenant_id', true) AS tenant`,
      );
      expect(rows[0]?.tenant ?? '').toBe('');
    } finally {
      client.release();
    }
  });

  it('spans the context over the read of the same message (an implicit transaction)', async () => {
    const rows = await readInContext<{ tenant: string }>(
      pool,
      { tenantId: tenants.b, userId: null, role: 'viewer' },
      contextNow,
      [],
    );
    expect(rows[0]?.tenant).toBe(tenants.b);
    // The function itself is transaction-local.
    const { rows: fn } = await admin.query<{ def: string }>(
      `SELECT pg_get_functiondef('app_set_context(uuid, uuid, text)'::regprocedure) AS def`,
    );
    expect(fn[0]?.def).toMatch(/set_config\('app\.tenant_id',[^)]*\), true\)/);
    expect(contextCallSql({ tenantId: tenants.b, userId: null, role: 'viewer' })).toBe(
      `SELECT app_set_context('${tenants.b}'::uuid, NULL::uuid, 'viewer')`,
    );
  });

  it('escapes values: quotes, backslashes and arrays reach the statement as data', async () => {
    const [zoneId] = (
      await admin.query<{ id: string }>('SELECT id FROM zones WHERE tenant_id = $1 ORDER BY code LIMIT 1', [
        tenants.a,
      ])
    ).rows.map((r) => r.id);
    const hostile = `x'); SELECT app_set_context(NULL, NULL, 'super_admin'); --\\"`;
    const rows = await readInContext<{ code: string }>(
      pool,
      { tenantId: tenants.a, userId: null, role: 'operator' },
      zoneCodes,
      [[zoneId ?? ''], hostile],
    );
    expect(rows.map((r) => r.code)).toEqual(ownZones.get(tenants.a)?.slice(0, 1));
    const list = [hostile, null, 'a,b', '{c}', ''];
    const echoed = await readInContext<{ list: (string | null)[]; text: string }>(
      pool,
      { tenantId: tenants.a, userId: null, role: 'operator' },
      echo,
      [list, hostile],
    );
    expect(echoed[0]).toEqual({ list, text: hostile });
  });
});
