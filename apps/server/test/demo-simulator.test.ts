import { hashCredential } from '@tidewatch/db';
import { createTestDatabase, type TestDatabase } from '@tidewatch/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery } from '../src/testing/admin-query.ts';
import { startTestServer } from './harness.ts';

const SECRET = 'simulator-test-device-secret';

/**
 * A database of its own (the run's seeded one stays frozen for every other test) holding one tank as the seed
 * makes them: its node on MQTT with the published demo secret recorded in demo_credentials, and the demo's
 * "Tank overflow" rule for every tank.
 */
async function arrange(adminUrl: string): Promise<{ tankDevice: string; rule: string; series: number }> {
  const hash = await hashCredential(SECRET);
  const [row] = await adminQuery<{ device_id: string; rule_id: string; series_id: number }>(
    adminUrl,
    `WITH tenant AS (
       INSERT INTO tenants (slug, name, time_zone) VALUES ('sim-test', 'Simulator Test Works', 'Asia/Kolkata')
       RETURNING id),
     zone AS (
       INSERT INTO zones (tenant_id, code, name, geom)
       SELECT id, 'DMA-1', 'Zone One', ST_Multi(ST_MakeEnvelope(78.30, 17.40, 78.40, 17.50, 4326)) FROM tenant
       RETURNING id, tenant_id),
     asset AS (
       INSERT INTO assets (tenant_id, zone_id, code, name, kind, geom, properties)
       SELECT tenant_id, id, 'SIM-TNK-001', 'OHT Zone One 1', 'tank', ST_SetSRID(ST_MakePoint(78.35, 17.45), 4326),
              '{"heightCm": 400}'::jsonb FROM zone
       RETURNING id, tenant_id),
     metric AS (
       INSERT INTO metrics (tenant_id, key, name, unit, valid_min, valid_max, decimals)
       SELECT id, 'level_cm', 'Level', 'cm', 0, 1000, 1 FROM tenant
       RETURNING id, tenant_id),
     device AS (
       INSERT INTO devices (tenant_id, asset_id, name, serial_number, transport, credential_hash)
       SELECT tenant_id, id, 'OHT Zone One 1 node', 'SIM-N0001', 'mqtt', $1 FROM asset
       RETURNING id, tenant_id),
     series AS (
       INSERT INTO series (tenant_id, device_id, metric_id)
       SELECT device.tenant_id, device.id, metric.id FROM device, metric
       RETURNING id),
     rule AS (
       INSERT INTO alert_rules (tenant_id, name, condition, priority, scope, asset_kind, metric_id, setpoint, deadband)
       SELECT tenant_id, 'Tank overflow', 'high_high', 'critical', 'asset_kind', 'tank', id, 380, 5 FROM metric
       RETURNING id),
     recorded AS (INSERT INTO demo_credentials (credential_hash, kind) VALUES ($1, 'device_secret'))
     SELECT device.id AS device_id, rule.id AS rule_id, series.id AS series_id FROM device, rule, series`,
    [hash],
  );
  await adminQuery(adminUrl, `SELECT telemetry_ensure_partitions(current_date - 1, current_date + 2)`);
  if (!row) throw new Error('arrangement failed');
  return { tankDevice: row.device_id, rule: row.rule_id, series: row.series_id };
}

async function until<T>(
  what: string,
  probe: () => T | null | Promise<T | null>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the demo simulator', () => {
  let database: TestDatabase;
  let server: RunningServer;
  let fixture: Awaited<ReturnType<typeof arrange>>;

  beforeAll(async () => {
    database = await createTestDatabase({ migrate: true });
    fixture = await arrange(database.adminUrl);
    server = await startTestServer({
      DATABASE_URL: database.appUrl,
      TIDEWATCH_ADMIN_EMAIL: 'root@simulator.example',
      TIDEWATCH_ADMIN_PASSWORD: 'a long enough first password',
      SIMULATOR: 'on',
      DEMO_DEVICE_SECRET: SECRET,
      SIMULATOR_REPORT_MS: '200',
      SIMULATOR_FAST_REPORT_MS: '200',
      // No event on a timer: the test starts the one it watches.
      SIMULATOR_EVENTS: '',
      // An overflow of about eight seconds instead of six and a half minutes.
      SIMULATOR_PACE: '0.02',
      ALERT_JOB_INTERVAL_MS: '200',
    });
  });
  afterAll(async () => {
    await server.close();
    await database.drop();
  });

  it('reports as the demo device over MQTT, and an overflow raises the alarm, which clears on its own', async () => {
    const simulator = server.simulator;
    expect(simulator).not.toBeNull();
    await until('the device to connect', () => ((simulator?.connectedDevices ?? 0) > 0 ? true : null));
    // Readings arrive through the broker, the inbox and ingest, stored under the device's series.
    await until('readings', async () => {
      const [row] = await adminQuery<{ count: number }>(
        database.adminUrl,
        'SELECT count(*)::int AS count FROM telemetry WHERE series_id = $1',
        [fixture.series],
      );
      return (row?.count ?? 0) >= 3 ? true : null;
    });
    const [online] = await adminQuery<{ connectivity: string }>(
      database.adminUrl,
      'SELECT connectivity::text FROM device_states WHERE device_id = $1',
      [fixture.tankDevice],
    );
    expect(online?.connectivity).toBe('online');

    expect(simulator?.trigger('overflow')?.deviceIds).toEqual([fixture.tankDevice]);

    const raised = await until('the overflow alarm', async () => {
      const [alert] = await adminQuery<{ id: string; state: string; raised_value: number }>(
        database.adminUrl,
        'SELECT id, state::text, raised_value FROM alerts WHERE rule_id = $1',
        [fixture.rule],
      );
      return alert ?? null;
    });
    expect(raised.state).toBe('active_unacknowledged');
    expect(raised.raised_value).toBeGreaterThan(380);

    // The pump stops, the level drains: the alarm returns, waiting for an operator to acknowledge it.
    const returned = await until('the alarm to clear', async () => {
      const [alert] = await adminQuery<{ state: string; condition_active: boolean }>(
        database.adminUrl,
        'SELECT state::text, condition_active FROM alerts WHERE id = $1',
        [raised.id],
      );
      return alert && !alert.condition_active ? alert : null;
    });
    expect(returned.state).toBe('returned_unacknowledged');
    const transitions = await adminQuery<{ from_state: string; to_state: string; comment: string | null }>(
      database.adminUrl,
      'SELECT from_state::text, to_state::text, comment FROM alert_transitions WHERE alert_id = $1 ORDER BY sequence',
      [raised.id],
    );
    expect(transitions.map((t) => `${t.from_state}>${t.to_state}`)).toEqual([
      'normal>active_unacknowledged',
      'active_unacknowledged>returned_unacknowledged',
    ]);
  });

  it('stops cleanly: the device disconnects without its last will, so it is not taken offline', async () => {
    await server.simulator?.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const [state] = await adminQuery<{ connectivity: string }>(
      database.adminUrl,
      'SELECT connectivity::text FROM device_states WHERE device_id = $1',
      [fixture.tankDevice],
    );
    expect(state?.connectivity).toBe('online');
  });
});
