import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICATION_ROLE } from '../src/config.ts';
import { asTenant, connect, demoTenantIds, disconnect, type Connections, type TenantIds } from './helpers.ts';

// Tables the application may read that belong to no tenant.
const PLATFORM_TABLES = new Set(['spatial_ref_sys']);
const TELEMETRY_TABLES = new Set(['telemetry', 'telemetry_dirty', 'telemetry_1m', 'telemetry_1h']);

/** The SQL that counts one tenant's rows of a table, as the owner sees them. */
function ownedRowsSql(table: string): string {
  if (TELEMETRY_TABLES.has(table)) {
    return `SELECT count(*) FROM ${table} WHERE series_id IN (SELECT id FROM series WHERE tenant_id = $1)`;
  }
  if (table === 'tenants') return 'SELECT count(*) FROM tenants WHERE id = $1';
  return `SELECT count(*) FROM ${table} WHERE tenant_id = $1`;
}

/** Sessions, outbox rows, device tags and authenticators only appear at run time; arrange one of each for B. */
async function giveTenantBRowsWhereTheSeedHasNone(db: Connections, tenantB: string): Promise<void> {
  await db.admin.query(
    `WITH u AS (SELECT id FROM users WHERE tenant_id = $1 LIMIT 1),
          s AS (INSERT INTO sessions (tenant_id, user_id, expires_at, user_agent)
                SELECT $1, id, now() + interval '1 day', 'rls-test' FROM u RETURNING id, user_id)
     INSERT INTO refresh_tokens (tenant_id, session_id, user_id, token_hash, expires_at)
     SELECT $1, s.id, s.user_id, sha256('rls-test'::bytea), now() + interval '1 day' FROM s`,
    [tenantB],
  );
  await db.admin.query(
    `INSERT INTO user_totp (user_id, tenant_id, secret_sealed)
     SELECT id, tenant_id, 'rls-test' FROM users WHERE tenant_id = $1 LIMIT 1`,
    [tenantB],
  );
  await db.admin.query(
    `INSERT INTO notification_outbox (tenant_id, channel, target, payload) VALUES ($1, 'email', 'rls-test', '{}')`,
    [tenantB],
  );
  // A bucket waiting for the rollup job.
  await db.admin.query(
    `INSERT INTO telemetry_dirty (series_id, bucket)
     SELECT id, date_trunc('minute', now()) FROM series WHERE tenant_id = $1 LIMIT 1`,
    [tenantB],
  );
  await db.admin.query(
    `INSERT INTO alert_floods (tenant_id, active, count, since) VALUES ($1, false, 0, NULL)
     ON CONFLICT (tenant_id) DO NOTHING`,
    [tenantB],
  );
  await db.admin.query(
    `INSERT INTO alert_rule_states (rule_id, target_key, tenant_id)
     SELECT id, 'rls-test', tenant_id FROM alert_rules WHERE tenant_id = $1 LIMIT 1`,
    [tenantB],
  );
  await db.admin.query(`INSERT INTO alarm_settings (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING`, [
    tenantB,
  ]);
  // An escalation under way: a schedule with a shift and an override, a policy with a step, a message sent.
  await db.admin.query(
    `WITH u AS (SELECT id FROM users WHERE tenant_id = $1 LIMIT 1),
          a AS (SELECT id FROM alerts WHERE tenant_id = $1 LIMIT 1),
          sc AS (INSERT INTO on_call_schedules (tenant_id, name, time_zone) VALUES ($1, 'rls-test', 'UTC') RETURNING id),
          sh AS (INSERT INTO on_call_shifts (tenant_id, schedule_id, user_id, weekdays, starts, ends)
                 SELECT $1, sc.id, u.id, '{1}', '08:00', '20:00' FROM sc, u),
          ov AS (INSERT INTO on_call_overrides (tenant_id, schedule_id, user_id, starts_at, ends_at)
                 SELECT $1, sc.id, u.id, now(), now() + interval '1 hour' FROM sc, u),
          p AS (INSERT INTO escalation_policies (tenant_id, name) VALUES ($1, 'rls-test') RETURNING id),
          st AS (INSERT INTO escalation_steps (tenant_id, policy_id, position, schedule_id, wait_s)
                 SELECT $1, p.id, 0, sc.id, 60 FROM p, sc),
          e AS (INSERT INTO alert_escalations (alert_id, tenant_id, policy_id) SELECT a.id, $1, p.id FROM a, p)
     INSERT INTO escalation_messages (tenant_id, alert_id, cycle, position, phone, body)
     SELECT $1, a.id, 0, 0, '+10000000000', 'rls-test' FROM a`,
    [tenantB],
  );
  await db.admin.query(
    `INSERT INTO reports (tenant_id, kind, period_start, period_end, content, pdf)
     VALUES ($1, 'handover', now() - interval '12 hours', now(), '{}', '\\x25504446')`,
    [tenantB],
  );
  // Field records: a plan and a work log on an asset, a document on it, a firmware entry and an idempotency key.
  await db.admin.query(
    `WITH a AS (SELECT id FROM assets WHERE tenant_id = $1 LIMIT 1),
          p AS (INSERT INTO maintenance_plans (tenant_id, asset_id, title, due_at)
                SELECT $1, id, 'rls-test', now() FROM a RETURNING id)
     INSERT INTO attachments (tenant_id, asset_id, file_name, media_type, byte_size, sha256, storage, content)
     SELECT $1, a.id, 'rls-test.pdf', 'application/pdf', 5, repeat('0', 64), 'database', '%PDF-'::bytea
       FROM a, p`,
    [tenantB],
  );
  await db.admin.query(
    `INSERT INTO device_firmware (tenant_id, device_id, version, installed_at)
     SELECT $1, id, 'rls-test', now() FROM devices WHERE tenant_id = $1 LIMIT 1`,
    [tenantB],
  );
  await db.admin.query(
    `INSERT INTO idempotency_keys (tenant_id, user_id, key, request_hash)
     SELECT $1, id, 'rls-test-key', 'x' FROM users WHERE tenant_id = $1 LIMIT 1`,
    [tenantB],
  );
  // A LoRaWAN application with a device, a mapping and an uplink (the seed has none).
  await db.admin.query(
    `WITH a AS (INSERT INTO lorawan_applications (tenant_id, name, format, broker_url, network_application_id)
                VALUES ($1, 'rls-test', 'chirpstack', 'mqtt://127.0.0.1:1883', 'rls-test') RETURNING id),
          s AS (SELECT id, device_id FROM series WHERE tenant_id = $1 ORDER BY id LIMIT 1),
          l AS (INSERT INTO lorawan_devices (device_id, tenant_id, application_id, dev_eui)
                SELECT s.device_id, $1, a.id, '00000000000000aa' FROM s, a RETURNING device_id, application_id),
          m AS (INSERT INTO lorawan_metric_mappings (tenant_id, device_id, path, series_id)
                SELECT $1, l.device_id, 'rls', s.id FROM l, s)
     INSERT INTO lorawan_uplinks (tenant_id, application_id, dev_eui, f_cnt, time, outcome)
     SELECT $1, a.id, '00000000000000aa', 1, now(), 'unknown_device' FROM a`,
    [tenantB],
  );
  await db.admin.query(
    `WITH t AS (INSERT INTO tags (tenant_id, key) VALUES ($1, 'rls-test') RETURNING id)
     INSERT INTO device_tags (tenant_id, device_id, tag_id)
     SELECT $1, (SELECT id FROM devices WHERE tenant_id = $1 LIMIT 1), t.id FROM t`,
    [tenantB],
  );
  // OPC UA: a binding with an item and a command, the tenant's client certificate and a trust list entry.
  const thumbprint = 'ab'.repeat(20);
  await db.admin.query(
    `WITH d AS (SELECT d.id, (SELECT s.id FROM series s WHERE s.device_id = d.id LIMIT 1) AS series_id
                  FROM devices d WHERE d.tenant_id = $1
                   AND EXISTS (SELECT FROM series s WHERE s.device_id = d.id)
                   AND NOT EXISTS (SELECT FROM opcua_bindings b WHERE b.device_id = d.id) LIMIT 1),
          b AS (INSERT INTO opcua_bindings (tenant_id, device_id, endpoint_url)
                SELECT $1, d.id, 'opc.tcp://rls-test:4840' FROM d RETURNING id),
          i AS (INSERT INTO opcua_monitored_items (tenant_id, binding_id, series_id, node_id)
                SELECT $1, b.id, d.series_id, 'ns=2;s=rls' FROM b, d)
     INSERT INTO opcua_command_mappings (tenant_id, binding_id, command, kind, node_id)
     SELECT $1, b.id, 'rls_test', 'write', 'ns=2;s=rls' FROM b`,
    [tenantB],
  );
  await db.admin.query(
    `INSERT INTO opcua_client_certificates (tenant_id, certificate, private_key, application_uri, thumbprint, not_after)
     VALUES ($1, '\\x30'::bytea, 'tw1.rls-test', 'urn:rls-test', $2, now() + interval '1 day')
     ON CONFLICT (tenant_id) DO NOTHING`,
    [tenantB, thumbprint],
  );
  await db.admin.query(
    `INSERT INTO opcua_server_certificates (tenant_id, thumbprint, certificate, subject)
     VALUES ($1, $2, '\\x30'::bytea, 'rls-test') ON CONFLICT (tenant_id, thumbprint) DO NOTHING`,
    [tenantB, thumbprint],
  );
}

describe('row-level security', () => {
  let db: Connections;
  let tenants: TenantIds;
  let readableTables: string[];

  beforeAll(async () => {
    db = await connect();
    tenants = await demoTenantIds(db.admin);
    const { rows } = await db.admin.query<{ table_name: string }>(
      `SELECT c.relname AS table_name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND has_table_privilege($1, c.oid, 'SELECT')
        ORDER BY 1`,
      [APPLICATION_ROLE],
    );
    readableTables = rows.map((row) => row.table_name).filter((name) => !PLATFORM_TABLES.has(name));
    await giveTenantBRowsWhereTheSeedHasNone(db, tenants.b);
  });
  afterAll(async () => {
    await db.admin.query(`DELETE FROM sessions WHERE user_agent = 'rls-test'`);
    await db.admin.query(`DELETE FROM notification_outbox WHERE target = 'rls-test'`);
    await db.admin.query(`DELETE FROM user_totp WHERE secret_sealed = 'rls-test'`);
    await db.admin.query(
      `DELETE FROM device_tags WHERE tag_id IN (SELECT id FROM tags WHERE key = 'rls-test')`,
    );
    await db.admin.query(`DELETE FROM tags WHERE key = 'rls-test'`);
    await db.admin.query(`DELETE FROM opcua_bindings WHERE endpoint_url = 'opc.tcp://rls-test:4840'`);
    await db.admin.query(`DELETE FROM opcua_client_certificates WHERE private_key = 'tw1.rls-test'`);
    await db.admin.query(`DELETE FROM opcua_server_certificates WHERE subject = 'rls-test'`);
    await db.admin.query(`DELETE FROM lorawan_applications WHERE name = 'rls-test'`);
    await db.admin.query(`DELETE FROM alert_rule_states WHERE target_key = 'rls-test'`);
    await disconnect(db);
  });

  it('the application role owns nothing and cannot bypass it', async () => {
    const role = await db.admin.query<{ rolsuper: boolean; rolbypassrls: boolean }>(
      'SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1',
      [APPLICATION_ROLE],
    );
    const owned = await db.admin.query(
      `SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = $1`,
      [APPLICATION_ROLE],
    );

    expect(role.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false });
    expect(owned.rows).toEqual([]);
  });

  it('is enabled on every table the application can read', async () => {
    const { rows } = await db.admin.query<{ relname: string }>(
      `SELECT relname FROM pg_class WHERE relname = ANY($1) AND NOT relrowsecurity`,
      [readableTables],
    );

    expect(readableTables.length).toBeGreaterThanOrEqual(30);
    expect(rows).toEqual([]);
  });

  it("tenant A's context reads exactly A's rows of every table, even without a WHERE", async () => {
    for (const table of readableTables) {
      const ownA = await db.admin.query<{ count: string }>(ownedRowsSql(table), [tenants.a]);
      const ownB = await db.admin.query<{ count: string }>(ownedRowsSql(table), [tenants.b]);
      const seen = await asTenant(db.app, { tenantId: tenants.a, role: 'tenant_admin' }, async () => {
        const all = await db.app.query<{ count: string }>(`SELECT count(*) FROM ${table}`);
        const ofB = await db.app.query<{ count: string }>(ownedRowsSql(table), [tenants.b]);
        return { all: Number(all.rows[0]?.count), ofB: Number(ofB.rows[0]?.count) };
      });

      expect.soft(seen.ofB, `${table}: rows of tenant B seen from A`).toBe(0);
      expect.soft(seen.all, `${table}: rows seen from A`).toBe(Number(ownA.rows[0]?.count));
      expect.soft(Number(ownB.rows[0]?.count), `${table}: tenant B has rows to hide`).toBeGreaterThan(0);
    }
  });

  it('with no context set, every tenant table reads as empty', async () => {
    for (const table of readableTables) {
      const { rows } = await db.app.query<{ count: string }>(`SELECT count(*) FROM ${table}`);
      expect.soft(Number(rows[0]?.count), table).toBe(0);
    }
  });

  it("refuses to write a row into another tenant from A's context", async () => {
    const attempt = asTenant(db.app, { tenantId: tenants.a, role: 'tenant_admin' }, () =>
      db.app.query(`INSERT INTO tags (tenant_id, key, value) VALUES ($1, 'smuggled', 'x')`, [tenants.b]),
    );

    await expect(attempt).rejects.toThrow(/row-level security/);
  });

  it('cannot move a row of A into B by updating its tenant', async () => {
    const attempt = asTenant(db.app, { tenantId: tenants.a, role: 'tenant_admin' }, () =>
      db.app.query(`UPDATE zones SET tenant_id = $1`, [tenants.b]),
    );

    await expect(attempt).rejects.toThrow(/row-level security/);
  });

  it('keeps the audit log and alert history append-only for the application', async () => {
    for (const statement of [
      'UPDATE audit_log SET action = $1',
      'DELETE FROM audit_log WHERE action = $1',
      'UPDATE alert_transitions SET comment = $1',
      'DELETE FROM alert_transitions WHERE comment = $1',
    ]) {
      const attempt = asTenant(db.app, { tenantId: tenants.a, role: 'super_admin' }, () =>
        db.app.query(statement, ['tampered']),
      );
      await expect(attempt, statement).rejects.toThrow(/permission denied/);
    }
  });

  it('lets the application append to the audit log of its own tenant only', async () => {
    const insert = `INSERT INTO audit_log (tenant_id, actor_type, action, resource_type) VALUES ($1, 'system', 'test.append', 'test')`;

    await asTenant(db.app, { tenantId: tenants.a, role: 'operator' }, () =>
      db.app.query(insert, [tenants.a]),
    );
    await expect(
      asTenant(db.app, { tenantId: tenants.a, role: 'operator' }, () => db.app.query(insert, [tenants.b])),
    ).rejects.toThrow(/row-level security/);
  });
});
