import { retentionLimits } from '@tidewatch/shared';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDatabase, type Database } from '../src/client.ts';
import {
  defaultRetentionPolicy,
  readRetentionPolicy,
  type RetentionPolicy,
} from '../src/retention-policy.ts';
import { runRetention } from '../src/retention-run.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts';

const DAY_MS = 86_400_000;

/**
 * Retention on a database of its own (migrated, no demo data), so every reading and partition is the test's. The
 * job runs as the application role, exactly as the server runs it.
 */
describe('retention by the database clock', () => {
  let database: TestDatabase;
  let admin: pg.Client;
  let app: Database;
  /** The database's now() when the test began: every date the tests write is relative to it. */
  let dbNow: number;
  const tenants: Record<'a' | 'b', { id: string; series: number }> = {
    a: { id: '', series: 0 },
    b: { id: '', series: 0 },
  };

  beforeAll(async () => {
    database = await createTestDatabase({ migrate: true });
    admin = new pg.Client({ connectionString: database.adminUrl });
    await admin.connect();
    for (const key of ['a', 'b'] as const) {
      const { rows } = await admin.query<{ tenant_id: string; series_id: number }>(
        `WITH t AS (INSERT INTO tenants (slug, name) VALUES ($1, $1) RETURNING id),
              d AS (INSERT INTO devices (tenant_id, name, transport, credential_hash)
                    SELECT id, 'Logger', 'http', 'x' FROM t RETURNING id, tenant_id),
              m AS (INSERT INTO metrics (tenant_id, key, name) SELECT id, 'level_cm', 'Level' FROM t RETURNING id)
         INSERT INTO series (tenant_id, device_id, metric_id) SELECT d.tenant_id, d.id, m.id FROM d, m
         RETURNING tenant_id, id AS series_id`,
        [`retention-${key}`],
      );
      tenants[key] = { id: rows[0]?.tenant_id ?? '', series: rows[0]?.series_id ?? 0 };
    }
    app = createDatabase({ url: database.appUrl, maxConnections: 2 });
  });
  afterAll(async () => {
    await app.close();
    await admin.end();
    await database.drop();
  });
  beforeEach(async () => {
    // Every partition and tenant setting from the previous test goes.
    const { rows } = await admin.query<{ relname: string }>(
      `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent IN ('telemetry'::regclass, 'telemetry_1m'::regclass)`,
    );
    for (const row of rows) await admin.query(`DROP TABLE "${row.relname}"`);
    await admin.query('TRUNCATE telemetry_1h');
    await admin.query(
      `UPDATE tenants SET raw_retention_days = NULL, minute_retention_days = NULL, hour_retention_days = NULL,
                          retention_cut_pending = false`,
    );
    const now = await admin.query<{ now: Date }>('SELECT now()');
    dbNow = now.rows[0]?.now.getTime() ?? 0;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const daysAgo = (days: number): Date => new Date(dbNow - days * DAY_MS);

  /** Stores one reading (and its rollups) of `tenant` `days` ago by the database's clock, making its partitions. */
  async function store(tenant: 'a' | 'b', days: number): Promise<void> {
    const time = daysAgo(days);
    await admin.query('SELECT telemetry_ensure_partitions($1::date, $1::date)', [
      time.toISOString().slice(0, 10),
    ]);
    await admin.query('SELECT telemetry_write($1::int[], $2::timestamptz[], $3::float8[])', [
      [tenants[tenant].series],
      [time],
      [days],
    ]);
    await admin.query('SELECT telemetry_rollup_dirty(100000)');
  }

  /** The ages in days of the readings (or rollups) `tenant` still has in `table`. */
  async function kept(
    tenant: 'a' | 'b',
    table: 'telemetry' | 'telemetry_1m' | 'telemetry_1h' = 'telemetry',
  ): Promise<number[]> {
    const column = table === 'telemetry' ? 'value' : 'first';
    const { rows } = await admin.query<{ age: number }>(
      `SELECT ${column} AS age FROM ${table} WHERE series_id = $1 ORDER BY 1`,
      [tenants[tenant].series],
    );
    return rows.map((row) => row.age);
  }

  const run = (policy: Partial<RetentionPolicy> = {}) =>
    runRetention(app.pool, { ...defaultRetentionPolicy, ...policy });

  it('deletes nothing the database clock keeps, whatever date the application believes it is', async () => {
    for (const days of [1, 30, 80, 89]) await store('a', days);
    vi.useFakeTimers({ now: Date.now() + 365 * DAY_MS, toFake: ['Date'] });

    const result = await run();

    expect(result.dropped).toEqual([]);
    expect(result.refused).toEqual([]);
    expect(await kept('a')).toEqual([1, 30, 80, 89]);
    // The partitions made ahead are a week ahead of the database's today, not the application's.
    const ahead = await admin.query<{ name: string | null }>('SELECT to_regclass($1)::text AS name', [
      `telemetry_p${new Date(dbNow + 7 * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '')}`,
    ]);
    expect(ahead.rows[0]?.name).not.toBeNull();
    expect(new Date(result.reference).getTime()).toBeLessThan(dbNow + DAY_MS);
  });

  it('drops a partition once every tenant is past it, and waits for the tenant that keeps longest', async () => {
    for (const days of [0, 10, 91.5]) {
      await store('a', days);
      await store('b', days);
    }
    await admin.query('UPDATE tenants SET raw_retention_days = 120 WHERE id = $1', [tenants.b.id]);

    const waited = await run();

    // B keeps 120 days: the day-91.5 partition stays for B, and A's rows in it are deleted.
    expect(waited.dropped).toEqual([]);
    expect(waited.deleted.telemetry).toBe(1);
    expect(await kept('a')).toEqual([0, 10]);
    expect(await kept('b')).toEqual([0, 10, 91.5]);

    await admin.query('UPDATE tenants SET raw_retention_days = NULL WHERE id = $1', [tenants.b.id]);
    const dropped = await run();

    expect(dropped.dropped).toEqual([
      `telemetry_p${daysAgo(91.5).toISOString().slice(0, 10).replaceAll('-', '')}`,
    ]);
    expect(await kept('b')).toEqual([0, 10]);
  });

  it('measures from the newest reading when the database clock is ahead of the data', async () => {
    // Nothing newer than 100 days: as if the database's clock had jumped 100 days past the last reading.
    for (const days of [100, 150]) await store('a', days);

    const result = await run({ maxStepDays: 6 });

    expect(new Date(result.reference).getTime()).toBeLessThanOrEqual(daysAgo(99).getTime());
    expect(result.dropped).toEqual([]);
    expect(await kept('a')).toEqual([100, 150]);
  });

  it('refuses a retention below its floor, in the configuration and in the database', async () => {
    await store('a', 8);

    await expect(run({ rawDays: 6 })).rejects.toThrow(/retention "raw" of 6 days is refused/);
    await expect(run({ minuteDays: 30 })).rejects.toThrow(/retention "minute" of 30 days is refused/);
    await expect(run({ sessionsDays: 0 })).rejects.toThrow(/retention "sessions" of 0 days is refused/);
    expect(() => readRetentionPolicy({ RETENTION_RAW_DAYS: '6' })).toThrow(/RETENTION_RAW_DAYS/);
    await expect(
      admin.query('UPDATE tenants SET raw_retention_days = 6 WHERE id = $1', [tenants.a.id]),
    ).rejects.toThrow(/check constraint/);
    expect(await kept('a')).toEqual([8]);
  });

  it('refuses to reach far past its cutoff until a person lets it (a leap of clock or setting)', async () => {
    for (const days of [0, 10, 95, 200]) await store('a', days);
    await admin.query(
      `WITH u AS (INSERT INTO users (tenant_id, email, display_name, role, password_hash)
                  VALUES ($1, 'leap@retention.example', 'Leap', 'viewer', 'x') RETURNING id)
       INSERT INTO sessions (tenant_id, user_id, expires_at) SELECT $1, u.id, now() - interval '400 days' FROM u`,
      [tenants.a.id],
    );

    const refused = await run();

    expect(refused.refused.map((r) => r.scope)).toEqual(['telemetry']);
    expect(refused.dropped).toEqual([]);
    expect(await kept('a')).toEqual([0, 10, 95, 200]);
    // Nothing else is deleted in a run whose drops were refused.
    const sessions = await admin.query(`SELECT 1 FROM sessions WHERE user_agent IS NULL`);
    expect(sessions.rowCount).toBe(1);

    const confirmed = await run({ maxStepDays: 200 });

    expect(confirmed.refused).toEqual([]);
    expect(await kept('a')).toEqual([0, 10]);
    expect(confirmed.deleted.sessions).toBe(1);
  });

  it("applies a tenant's shorter retention to that tenant's rows only", async () => {
    for (const days of [0, 3, 12]) {
      await store('a', days);
      await store('b', days);
    }
    // Rollups only, as if raw readings that old were already gone: 1-minute ones 33 days old, hourly 33 and 366.
    const rollups = [
      ['telemetry_1m', 33],
      ['telemetry_1h', 33],
      ['telemetry_1h', 366],
    ] as const;
    for (const [table, days] of rollups) {
      const time = daysAgo(days);
      await admin.query('SELECT telemetry_ensure_partitions($1::date, $1::date)', [
        time.toISOString().slice(0, 10),
      ]);
      for (const key of ['a', 'b'] as const) {
        await admin.query(
          `INSERT INTO ${table} (series_id, bucket, min, max, sum, count, first, first_time, last, last_time)
           VALUES ($1, date_trunc('minute', $2::timestamptz), $3, $3, $3, 1, $3, $2, $3, $2)`,
          [tenants[key].series, time, days],
        );
      }
    }
    await admin.query(
      `UPDATE tenants SET raw_retention_days = 10, minute_retention_days = 31, hour_retention_days = 365
        WHERE id = $1`,
      [tenants.a.id],
    );

    const result = await run();

    expect(result.refused).toEqual([]);
    expect(await kept('a')).toEqual([0, 3]);
    expect(await kept('a', 'telemetry_1m')).toEqual([0, 3, 12]);
    expect(await kept('a', 'telemetry_1h')).toEqual([0, 3, 12, 33]);
    expect(await kept('b')).toEqual([0, 3, 12]);
    expect(await kept('b', 'telemetry_1m')).toEqual([0, 3, 12, 33]);
    expect(await kept('b', 'telemetry_1h')).toEqual([0, 3, 12, 33, 366]);
  });

  it('applies a much shorter tenant retention only when it was set on purpose', async () => {
    for (const days of [0, 3, 60]) await store('a', days);
    await admin.query('UPDATE tenants SET raw_retention_days = 10 WHERE id = $1', [tenants.a.id]);

    const refused = await run({ batchRows: 1 });

    expect(refused.refused).toEqual([
      expect.objectContaining({ scope: 'telemetry', tenantId: tenants.a.id }),
    ]);
    expect(await kept('a')).toEqual([0, 3, 60]);

    await admin.query('UPDATE tenants SET retention_cut_pending = true WHERE id = $1', [tenants.a.id]);
    const applied = await run({ batchRows: 1 });
    const flag = await admin.query('SELECT retention_cut_pending FROM tenants WHERE id = $1', [tenants.a.id]);

    expect(applied.refused).toEqual([]);
    expect(await kept('a')).toEqual([0, 3]);
    expect(flag.rows[0]).toEqual({ retention_cut_pending: false });
  });

  it('prunes old sessions, deliveries and commands, and nothing newer, pending, or of the alarm history', async () => {
    const tenant = tenants.a.id;
    await store('a', 0);
    const { rows } = await admin.query<{ user_id: string; device_id: string }>(
      `SELECT (SELECT id FROM users WHERE tenant_id = $1 LIMIT 1) AS user_id,
              (SELECT id FROM devices WHERE tenant_id = $1 LIMIT 1) AS device_id`,
      [tenant],
    );
    const userId = rows[0]?.user_id ?? (await makeUser(tenant));
    const deviceId = rows[0]?.device_id;
    await admin.query('DELETE FROM sessions');
    await admin.query(
      `INSERT INTO sessions (tenant_id, user_id, user_agent, expires_at, revoked_at) VALUES
         ($1, $2, 'expired 40 days ago', now() - interval '40 days', NULL),
         ($1, $2, 'revoked 40 days ago', now() + interval '10 days', now() - interval '40 days'),
         ($1, $2, 'expired 20 days ago', now() - interval '20 days', NULL),
         ($1, $2, 'active', now() + interval '10 days', NULL)`,
      [tenant, userId],
    );
    await admin.query(
      `INSERT INTO refresh_tokens (tenant_id, session_id, user_id, token_hash, expires_at)
       SELECT tenant_id, id, user_id, sha256(id::text::bytea), expires_at FROM sessions`,
    );
    await admin.query(
      `INSERT INTO notification_outbox (tenant_id, channel, target, payload, state, created_at) VALUES
         ($1, 'webhook', 'delivered 100 days ago', '{}', 'delivered', now() - interval '100 days'),
         ($1, 'webhook', 'failed 100 days ago', '{}', 'failed', now() - interval '100 days'),
         ($1, 'webhook', 'pending 100 days ago', '{}', 'pending', now() - interval '100 days'),
         ($1, 'webhook', 'delivered 10 days ago', '{}', 'delivered', now() - interval '10 days')`,
      [tenant],
    );
    await admin.query(
      `INSERT INTO device_commands (tenant_id, device_id, command, state, requested_at, expires_at) VALUES
         ($1, $2, 'acknowledged_old', 'acknowledged', now() - interval '400 days', now() - interval '400 days'),
         ($1, $2, 'expired_old', 'expired', now() - interval '400 days', now() - interval '400 days'),
         ($1, $2, 'pending_old', 'pending', now() - interval '400 days', now() - interval '400 days'),
         ($1, $2, 'failed_recent', 'failed', now() - interval '100 days', now() - interval '100 days')`,
      [tenant, deviceId],
    );
    await admin.query(
      `WITH r AS (INSERT INTO alert_rules (tenant_id, name, condition, priority, scope, series_id, setpoint)
                  VALUES ($1, 'Old', 'high', 'low', 'series', $2, 1) RETURNING id),
            a AS (INSERT INTO alerts (tenant_id, rule_id, target_key, state, priority, original_priority, message,
                                      condition_active, raised_at, closed_at)
                  SELECT $1, r.id, 'series:old', 'normal', 'low', 'low', 'old', false,
                         now() - interval '5 years', now() - interval '5 years' FROM r RETURNING id)
       INSERT INTO alert_transitions (tenant_id, alert_id, to_state, at)
       SELECT $1, a.id, 'normal', now() - interval '5 years' FROM a`,
      [tenant, tenants.a.series],
    );
    await admin.query(
      `INSERT INTO audit_log (at, tenant_id, actor_type, action, resource_type)
       VALUES (now() - interval '5 years', $1, 'system', 'retention.test', 'tenant')`,
      [tenant],
    );

    const result = await run();

    const left = async (sql: string): Promise<string[]> =>
      (await admin.query<{ label: string }>(sql)).rows.map((row) => row.label).sort();
    expect(result.deleted).toMatchObject({ sessions: 2, notificationDeliveries: 2, commands: 2 });
    expect(await left('SELECT user_agent AS label FROM sessions')).toEqual(['active', 'expired 20 days ago']);
    expect(await left('SELECT count(*)::text AS label FROM refresh_tokens')).toEqual(['2']);
    expect(await left('SELECT target AS label FROM notification_outbox')).toEqual([
      'delivered 10 days ago',
      'pending 100 days ago',
    ]);
    expect(await left('SELECT command AS label FROM device_commands')).toEqual([
      'failed_recent',
      'pending_old',
    ]);
    expect(await left(`SELECT count(*)::text AS label FROM alert_transitions`)).toEqual(['1']);
    expect(
      await left(`SELECT count(*)::text AS label FROM audit_log WHERE action = 'retention.test'`),
    ).toEqual(['1']);
  });

  it('holds the same floors and ceilings as packages/shared', async () => {
    const { rows } = await admin.query<{ name: string; floor_days: number; ceiling_days: number }>(
      'SELECT * FROM retention_limits()',
    );
    const names: Record<string, keyof typeof retentionLimits> = {
      raw: 'raw',
      minute: 'minute',
      hour: 'hour',
      sessions: 'sessions',
      notification_deliveries: 'notificationDeliveries',
      commands: 'commands',
      max_step: 'maxStep',
    };
    const fromDatabase = Object.fromEntries(
      rows.map((row): [string, { floorDays: number; ceilingDays: number }] => [
        names[row.name] ?? row.name,
        { floorDays: row.floor_days, ceilingDays: row.ceiling_days },
      ]),
    );

    expect(fromDatabase).toEqual(retentionLimits);
  });

  async function makeUser(tenantId: string): Promise<string> {
    const { rows } = await admin.query<{ id: string }>(
      `INSERT INTO users (tenant_id, email, display_name, role, password_hash)
       VALUES ($1, 'pruning@retention.example', 'Pruning', 'viewer', 'x') RETURNING id`,
      [tenantId],
    );
    return rows[0]?.id ?? '';
  }
});
