import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyCredential } from '../src/credential-hash.ts';
import { seedDemo } from '../src/seed/seed-database.ts';
import { DEFAULT_DEMO_PASSWORD, demoEmail, demoTenants } from '../src/seed/demo-tenants.ts';
import { connect, disconnect, type Connections } from './helpers.ts';

describe('the demo seed', () => {
  let db: Connections;

  beforeAll(async () => {
    db = await connect();
  });
  afterAll(async () => {
    await disconnect(db);
  });

  async function count(sql: string, params: unknown[] = []): Promise<number> {
    const { rows } = await db.admin.query<{ count: string }>(sql, params);
    return Number(rows[0]?.count);
  }

  it('builds two tenants with at least 300 point assets and 200 pipeline segments', async () => {
    expect(await count('SELECT count(*) FROM tenants')).toBe(2);
    expect(await count(`SELECT count(*) FROM assets WHERE kind <> 'pipeline'`)).toBeGreaterThanOrEqual(300);
    expect(await count(`SELECT count(*) FROM assets WHERE kind = 'pipeline'`)).toBeGreaterThanOrEqual(200);
  });

  it('places every asset inside its zone, near its real municipality', async () => {
    const outside = await count(
      `SELECT count(*) FROM assets a JOIN zones z ON z.id = a.zone_id
        WHERE a.kind <> 'pipeline' AND NOT ST_Covers(z.geom, a.geom)`,
    );
    const { rows } = await db.admin.query<{ slug: string; lng: number; lat: number }>(
      `SELECT t.slug, ST_X(ST_Centroid(ST_Collect(a.geom))) AS lng, ST_Y(ST_Centroid(ST_Collect(a.geom))) AS lat
         FROM assets a JOIN tenants t ON t.id = a.tenant_id GROUP BY t.slug`,
    );

    expect(outside).toBe(0);
    for (const tenant of demoTenants) {
      const centroid = rows.find((row) => row.slug === tenant.slug);
      expect(Math.abs((centroid?.lng ?? 0) - tenant.center[0])).toBeLessThan(0.05);
      expect(Math.abs((centroid?.lat ?? 0) - tenant.center[1])).toBeLessThan(0.05);
    }
  });

  it('connects every point asset to its treatment plant through the pipe network', async () => {
    const unreachable = await count(`
      WITH RECURSIVE reached AS (
        SELECT id FROM assets WHERE kind = 'plant'
        UNION
        SELECT p.to_asset_id FROM assets p JOIN reached r ON p.from_asset_id = r.id WHERE p.kind = 'pipeline'
      )
      SELECT count(*) FROM assets a WHERE a.kind <> 'pipeline' AND a.id NOT IN (SELECT id FROM reached)`);

    expect(unreachable).toBe(0);
  });

  it('holds seven days of readings for every series, with rollups that agree with them', async () => {
    const { rows } = await db.admin.query<{ days: number; series: string; without: string }>(
      `SELECT extract(epoch FROM max(time) - min(time)) / 86400 AS days,
              count(DISTINCT series_id) AS series,
              -- The disabled Modbus demo device has a series and no history: it is never polled.
              (SELECT count(*) FROM series s JOIN devices d ON d.id = s.device_id
                WHERE d.disabled_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM telemetry t WHERE t.series_id = s.id)) AS without
         FROM telemetry`,
    );
    const mismatched = await count(`
      SELECT count(*) FROM (
        SELECT series_id, date_trunc('hour', time) AS bucket, count(*) AS n, min(value) AS lo, max(value) AS hi
          FROM telemetry GROUP BY 1, 2
      ) raw
      FULL JOIN telemetry_1h h ON h.series_id = raw.series_id AND h.bucket = raw.bucket
      WHERE raw.n IS DISTINCT FROM h.count OR raw.lo IS DISTINCT FROM h.min OR raw.hi IS DISTINCT FROM h.max`);

    expect(Number(rows[0]?.days)).toBeGreaterThan(6.9);
    expect(Number(rows[0]?.series)).toBeGreaterThanOrEqual(300);
    expect(Number(rows[0]?.without)).toBe(0);
    expect(mismatched).toBe(0);
  });

  it('shows a daily demand cycle: morning flow well above the night minimum', async () => {
    const { rows } = await db.admin.query<{ night: number; morning: number }>(
      `SELECT avg(value) FILTER (WHERE extract(hour FROM time AT TIME ZONE 'Asia/Kolkata') BETWEEN 2 AND 3) AS night,
              avg(value) FILTER (WHERE extract(hour FROM time AT TIME ZONE 'Asia/Kolkata') BETWEEN 6 AND 7) AS morning
         FROM telemetry t JOIN series s ON s.id = t.series_id JOIN metrics m ON m.id = s.metric_id
         JOIN devices d ON d.id = s.device_id JOIN assets a ON a.id = d.asset_id
        WHERE m.key = 'flow_lpm' AND a.kind = 'flow_meter'`,
    );

    expect(rows[0]?.morning ?? 0).toBeGreaterThan(2 * (rows[0]?.night ?? Infinity));
  });

  it('has rules, past and open alerts with their history, an incident, and faults to find', async () => {
    expect(await count('SELECT count(*) FROM alert_rules')).toBeGreaterThan(10);
    expect(await count('SELECT count(*) FROM alerts WHERE closed_at IS NOT NULL')).toBeGreaterThan(10);
    for (const state of [
      'active_unacknowledged',
      'active_acknowledged',
      'returned_unacknowledged',
      'shelved',
    ]) {
      expect(await count('SELECT count(*) FROM alerts WHERE state = $1', [state]), state).toBeGreaterThan(0);
    }
    expect(
      await count(
        `SELECT count(*) FROM alerts a WHERE NOT EXISTS (SELECT 1 FROM alert_transitions t WHERE t.alert_id = a.id)`,
      ),
    ).toBe(0);
    expect(await count('SELECT count(*) FROM incidents')).toBe(1);
    expect(await count('SELECT count(*) FROM incident_alerts')).toBeGreaterThan(0);
    expect(await count('SELECT count(*) FROM maintenance_logs')).toBeGreaterThan(0);
    expect(await count(`SELECT count(*) FROM device_downtimes WHERE ended_at IS NULL`)).toBe(1);
    expect(await count(`SELECT count(*) FROM device_states WHERE connectivity = 'offline'`)).toBe(1);
  });

  it('has a demo login for every role, hashed with argon2id', async () => {
    const { rows } = await db.admin.query<{ role: string; password_hash: string }>(
      'SELECT DISTINCT ON (role) role, password_hash FROM users ORDER BY role',
    );
    const operator = await db.admin.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE email = $1',
      [demoEmail('operator', demoTenants[0])],
    );

    expect(rows.map((row) => row.role).sort()).toEqual(
      ['maintenance', 'operator', 'super_admin', 'supervisor', 'tenant_admin', 'viewer'].sort(),
    );
    expect(rows.every((row) => row.password_hash.startsWith('$argon2id$'))).toBe(true);
    expect(await verifyCredential(operator.rows[0]?.password_hash ?? '', DEFAULT_DEMO_PASSWORD)).toBe(true);
    expect(await verifyCredential(operator.rows[0]?.password_hash ?? '', 'wrong password')).toBe(false);
  });

  // Reseeding writes 740,000 readings: on a busy machine that takes minutes, and a test cut short would leave the
  // shared database half-seeded for the files after it.
  it(
    'is repeatable: seeding again replaces the demo tenants with the same content',
    { timeout: 600_000 },
    async () => {
      const before = inject('seedCounts');

      const after = await seedDemo({ adminUrl: inject('seededAdminUrl') });

      // What follows the time of day (alerts raised by the daily cycle, hour buckets cut by the 5-minute grid) may
      // shift when the two seedings fall in different windows; everything else is the same to the row. Telemetry
      // written by other tests in this run was removed with the demo tenants.
      const timeOfDay = ['alerts', 'alert_transitions', 'incident_alerts', 'open alerts', 'telemetry_1h'];
      const fixed = (counts: Record<string, number>) =>
        Object.fromEntries(Object.entries(counts).filter(([table]) => !timeOfDay.includes(table)));
      expect(fixed(after)).toEqual(fixed(before));
      for (const table of timeOfDay) {
        expect(after[table], table).toBeGreaterThan(0);
        expect(Math.abs((after[table] ?? 0) - (before[table] ?? 0)), table).toBeLessThanOrEqual(
          (before[table] ?? 0) * 0.2,
        );
      }
    },
  );
});
