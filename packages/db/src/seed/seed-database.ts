import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { brokerPasswordHash } from '../broker-password-hash.ts';
import { hashCredential } from '../credential-hash.ts';
import { demoLifecycle } from './demo-alerts.ts';
import { insertDmas } from './demo-dmas.ts';
import { insertModbusDemo } from './modbus-demo.ts';
import { demoRules, type DemoRule } from './demo-rules.ts';
import {
  DEFAULT_DEMO_PASSWORD,
  DEMO_SUPER_ADMIN_EMAIL,
  demoEmail,
  demoMetrics,
  demoTenants,
  demoUserRoles,
  type DemoTenant,
} from './demo-tenants.ts';
import { silenceEpisodes, thresholdEpisodes, type Episode } from './episodes.ts';
import { planNetwork, type PlannedNetwork, type PlannedPoint } from './network.ts';
import { Random } from './random.ts';
import { HISTORY_STEPS, STEP_MS, scenarios } from './scenario.ts';
import { simulateTenant, type Simulation } from './simulate.ts';
import { annotateDemoAssets } from './demo-annotations.ts';

export interface SeedOptions {
  readonly adminUrl: string;
  readonly demoPassword?: string;
  /** The demo devices' shared MQTT/HTTP secret, so a simulator can publish as any of them. */
  readonly demoDeviceSecret?: string;
  readonly now?: Date;
  readonly log?: (line: string) => void;
}

export type SeedCounts = Record<string, number>;

export const DEFAULT_DEMO_DEVICE_SECRET = 'tidewatch-demo-device';

/** The ThingSpeak channel of ../shared/fixtures/thingspeak, bound to the first Hyderabad tank. */
const FIXTURE_CHANNEL = {
  id: 2_417_893,
  fields: ['level_cm', 'temperature_c', 'tds_ppm', 'battery_v'],
} as const;

/**
 * Replaces the demo tenants with a freshly generated week of history. Other tenants are untouched,
 * so it is safe to run again on a database that also holds real data.
 */
export async function seedDemo(options: SeedOptions): Promise<SeedCounts> {
  const log = options.log ?? (() => undefined);
  const now = options.now ?? new Date();
  const end = Math.floor(now.getTime() / STEP_MS) * STEP_MS;
  const client = new pg.Client({ connectionString: options.adminUrl, application_name: 'tidewatch-seed' });
  await client.connect();
  try {
    const passwordHash = await hashCredential(options.demoPassword ?? DEFAULT_DEMO_PASSWORD);
    const deviceHash = await hashCredential(options.demoDeviceSecret ?? DEFAULT_DEMO_DEVICE_SECRET);
    const deviceBrokerHash = await brokerPasswordHash(options.demoDeviceSecret ?? DEFAULT_DEMO_DEVICE_SECRET);
    await removeDemo(client);
    // Whoever still holds one of these is reachable with the README's credentials: see demo_credentials_in_use().
    // (A schema older than the demo_credentials migration, as upgrade tests seed, has nowhere to record them.)
    const [recorded] = (
      await client.query<{ exists: boolean }>(
        `SELECT to_regclass('public.demo_credentials') IS NOT NULL AS exists`,
      )
    ).rows;
    if (recorded?.exists)
      await client.query(
        `INSERT INTO demo_credentials (credential_hash, kind)
         VALUES ($1, 'password'), ($2, 'device_secret'), ($3, 'broker_password') ON CONFLICT DO NOTHING`,
        [passwordHash, deviceHash, deviceBrokerHash],
      );
    await client.query('SELECT telemetry_ensure_partitions($1::date, $2::date)', [
      new Date(end - (HISTORY_STEPS + 288) * STEP_MS).toISOString().slice(0, 10),
      new Date(end + 7 * 86_400_000).toISOString().slice(0, 10),
    ]);
    // Kept rather than replaced: what the super_admin did in other tenants' history still names this row.
    await client.query(
      `INSERT INTO users (email, display_name, role, password_hash) VALUES ($1, 'Sam Superadmin', 'super_admin', $2)
       ON CONFLICT (email) WHERE tenant_id IS NULL
       DO UPDATE SET display_name = excluded.display_name, password_hash = excluded.password_hash,
         disabled_at = NULL`,
      [DEMO_SUPER_ADMIN_EMAIL, passwordHash],
    );
    for (const tenant of demoTenants) {
      log(`seeding ${tenant.name}`);
      await seedTenant(client, tenant, { end, passwordHash, deviceHash, deviceBrokerHash, log });
    }
    await client.query('ANALYZE');
    return await countRows(client);
  } finally {
    await client.end();
  }
}

async function removeDemo(client: pg.Client): Promise<void> {
  const slugs = demoTenants.map((tenant) => tenant.slug);
  // Telemetry has no foreign key to its series (it would tax every insert), so it goes first by hand.
  const seriesFilter =
    'series_id IN (SELECT s.id FROM series s JOIN tenants t ON t.id = s.tenant_id WHERE t.slug = ANY($1))';
  for (const table of ['telemetry', 'telemetry_dirty', 'telemetry_1m', 'telemetry_1h']) {
    // telemetry_dirty is newer than some schemas the seed still serves (the upgrade tests seed a release before).
    const present = await client.query<{ present: boolean }>(
      'SELECT to_regclass($1) IS NOT NULL AS present',
      [table],
    );
    if (!present.rows[0]?.present) continue;
    await client.query(`DELETE FROM ${table} WHERE ${seriesFilter}`, [slugs]);
  }
  await client.query(
    'DELETE FROM audit_log WHERE tenant_id IN (SELECT id FROM tenants WHERE slug = ANY($1))',
    [slugs],
  );
  // History is never deleted along with what it names (its foreign keys restrict), so removing a tenant
  // means removing its history first, deliberately, as the owner.
  for (const table of [
    'alert_transitions',
    'incident_notes',
    'incident_alerts',
    'maintenance_logs',
    'incidents',
    'notification_outbox',
    'alerts',
    'device_commands',
    'device_downtimes',
  ]) {
    await client.query(
      `DELETE FROM ${table} WHERE tenant_id IN (SELECT id FROM tenants WHERE slug = ANY($1))`,
      [slugs],
    );
  }
  await client.query('DELETE FROM tenants WHERE slug = ANY($1)', [slugs]);
  await client.query(
    `UPDATE sessions SET revoked_at = now(), revoked_reason = 'reseeded'
      WHERE revoked_at IS NULL AND user_id = (SELECT id FROM users WHERE email = $1)`,
    [DEMO_SUPER_ADMIN_EMAIL],
  );
}

interface TenantSeedContext {
  readonly end: number;
  readonly passwordHash: string;
  readonly deviceHash: string;
  /** The same secret in the external broker's format. */
  readonly deviceBrokerHash: string;
  readonly log: (line: string) => void;
}

/** Inserts rows given as objects through one statement, column types taken from the target table. */
async function insertRows(
  client: pg.Client,
  table: string,
  rows: readonly object[],
  returning = 'id',
): Promise<Record<string, unknown>[]> {
  if (rows.length === 0) return [];
  const columns = Object.keys(rows[0] ?? {});
  const list = columns.map((c) => `"${c}"`).join(', ');
  const result = await client.query(
    `INSERT INTO ${table} (${list})
     SELECT ${list} FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)
     RETURNING ${returning}`,
    [JSON.stringify(rows)],
  );
  return result.rows as Record<string, unknown>[];
}

function iso(time: number): string {
  return new Date(time).toISOString();
}

async function seedTenant(client: pg.Client, tenant: DemoTenant, context: TenantSeedContext): Promise<void> {
  const random = new Random(tenant.seed);
  const scenario = scenarios[tenant.slug];
  if (!scenario) throw new Error(`no scenario for ${tenant.slug}`);
  const network = planNetwork(tenant, random);
  const { end } = context;

  const [tenantRow] = await insertRows(client, 'tenants', [
    { slug: tenant.slug, name: tenant.name, time_zone: tenant.timeZone },
  ]);
  const tenantId = String(tenantRow?.id);

  const zoneIds = await insertZones(client, tenantId, network);
  const users = await insertUsers(client, tenant, tenantId, zoneIds, context.passwordHash);
  const assetIds = await insertAssets(client, tenantId, network, zoneIds);
  await annotateDemoAssets(client, network, assetIds, scenario, end);

  const metricRows = await insertRows(
    client,
    'metrics',
    demoMetrics.map((m) => ({
      tenant_id: tenantId,
      key: m.key,
      name: m.name,
      unit: m.unit,
      kind: m.kind,
      valid_min: m.validMin,
      valid_max: m.validMax,
      decimals: m.decimals,
    })),
    'id, key',
  );
  const metricIds = new Map(metricRows.map((row) => [String(row.key), String(row.id)]));

  const simulation = simulateTenant(tenant, network, scenario, end, random);
  const devices = await insertDevices(client, tenant, tenantId, network, assetIds, simulation, context);
  const seriesIds = await insertSeries(client, tenantId, devices, metricIds, simulation);
  await insertThingSpeakBinding(client, tenantId, network, devices, seriesIds);
  await insertModbusDemo(client, tenantId, metricIds);
  await insertDeviceStates(client, tenantId, devices, simulation, end);

  context.log(`  ${simulation.series.length} series, copying telemetry`);
  await copyTelemetry(client, simulation, seriesIds);
  await client.query('SELECT telemetry_rebuild_rollups($1::integer[], $2, $3)', [
    [...seriesIds.values()],
    iso(simulation.start),
    iso(end),
  ]);

  const ruleIds = await insertRules(client, tenantId, metricIds, users.get('supervisor') ?? null);
  const alertIds = await insertAlerts(client, {
    tenant,
    tenantId,
    network,
    assetIds,
    zoneIds,
    devices,
    seriesIds,
    simulation,
    ruleIds,
    users,
    end,
    random,
  });
  await insertIncident(client, tenant, tenantId, network, assetIds, zoneIds, users, alertIds, end);
  await insertOperationsHistory(client, tenantId, network, assetIds, devices, users, seriesIds, end);
  await insertDmas(client, tenantId, zoneIds);
}

async function insertZones(client: pg.Client, tenantId: string, network: PlannedNetwork): Promise<string[]> {
  const ids: string[] = [];
  for (const zone of network.zones) {
    const result = await client.query<{ id: string }>(
      `INSERT INTO zones (tenant_id, code, name, kind, geom)
       VALUES ($1, $2, $3, 'dma', ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($4), 4326))) RETURNING id`,
      [tenantId, zone.code, zone.name, JSON.stringify({ type: 'Polygon', coordinates: [zone.ring] })],
    );
    ids.push(result.rows[0]?.id ?? '');
  }
  return ids;
}

async function insertUsers(
  client: pg.Client,
  tenant: DemoTenant,
  tenantId: string,
  zoneIds: readonly string[],
  passwordHash: string,
): Promise<Map<string, string>> {
  const rows = await insertRows(
    client,
    'users',
    [
      ...demoUserRoles.map((user) => ({
        tenant_id: tenantId,
        email: demoEmail(user.local, tenant),
        display_name: user.name,
        role: user.role,
        password_hash: passwordHash,
      })),
      // An operator who looks after one zone only.
      {
        tenant_id: tenantId,
        email: demoEmail('zone-operator', tenant),
        display_name: 'Zara Zone-Operator',
        role: 'operator',
        password_hash: passwordHash,
      },
    ],
    'id, email',
  );
  const users = new Map(rows.map((row) => [String(row.email).split('@')[0] ?? '', String(row.id)]));
  await insertRows(
    client,
    'user_zones',
    [{ tenant_id: tenantId, user_id: users.get('zone-operator'), zone_id: zoneIds[0] }],
    'user_id',
  );
  await insertRows(client, 'notification_rules', [
    {
      tenant_id: tenantId,
      user_id: users.get('supervisor'),
      channel: 'email',
      target: demoEmail('supervisor', tenant),
      min_priority: 'critical',
    },
  ]);
  return users;
}

async function insertAssets(
  client: pg.Client,
  tenantId: string,
  network: PlannedNetwork,
  zoneIds: readonly string[],
): Promise<Map<string, string>> {
  const points = await client.query<{ id: string; code: string }>(
    `INSERT INTO assets (tenant_id, zone_id, code, name, kind, geom, properties)
     SELECT $1, r.zone_id, r.code, r.name, r.kind::asset_kind, ST_SetSRID(ST_MakePoint(r.lng, r.lat), 4326), r.properties
       FROM jsonb_to_recordset($2::jsonb)
         AS r (zone_id uuid, code text, name text, kind text, lng float8, lat float8, properties jsonb)
     RETURNING id, code`,
    [
      tenantId,
      JSON.stringify(
        network.points.map((p) => ({
          zone_id: zoneIds[p.zoneIndex],
          code: p.code,
          name: p.name,
          kind: p.kind,
          lng: p.position[0],
          lat: p.position[1],
          properties: p.properties,
        })),
      ),
    ],
  );
  const ids = new Map(points.rows.map((row) => [row.code, row.id]));
  const pipes = await client.query<{ id: string; code: string }>(
    `INSERT INTO assets (tenant_id, zone_id, code, name, kind, geom, diameter_mm, material, from_asset_id, to_asset_id,
                         installed_on, properties)
     SELECT $1, r.zone_id, r.code, r.name, 'pipeline', ST_SetSRID(ST_GeomFromGeoJSON(r.geometry), 4326),
            r.diameter_mm, r.material::pipe_material, r.from_id, r.to_id, r.installed_on, '{}'
       FROM jsonb_to_recordset($2::jsonb)
         AS r (zone_id uuid, code text, name text, geometry text, diameter_mm int, material text, from_id uuid,
               to_id uuid, installed_on date)
     RETURNING id, code`,
    [
      tenantId,
      JSON.stringify(
        network.pipes.map((pipe) => ({
          zone_id: zoneIds[pipe.zoneIndex],
          code: pipe.code,
          name: pipe.name,
          geometry: JSON.stringify({ type: 'LineString', coordinates: pipe.path }),
          diameter_mm: pipe.diameterMm,
          material: pipe.material,
          from_id: ids.get(pipe.fromCode),
          to_id: ids.get(pipe.toCode),
          installed_on: pipe.installedOn,
        })),
      ),
    ],
  );
  for (const row of pipes.rows) ids.set(row.code, row.id);
  return ids;
}

interface SeededDevice {
  readonly id: string;
  readonly point: PlannedPoint;
  readonly transport: 'mqtt' | 'http' | 'thingspeak';
}

function isThingSpeakTank(point: PlannedPoint): boolean {
  return point.kind === 'tank' && point.ordinal === 0 && point.code.startsWith('HYD');
}

async function insertDevices(
  client: pg.Client,
  tenant: DemoTenant,
  tenantId: string,
  network: PlannedNetwork,
  assetIds: ReadonlyMap<string, string>,
  simulation: Simulation,
  context: TenantSeedContext,
): Promise<Map<string, SeededDevice>> {
  const withReadings = new Set(simulation.series.map((s) => s.assetCode));
  const points = network.points.filter((p) => withReadings.has(p.code));
  const planned = points.map((point) => {
    const transport = isThingSpeakTank(point)
      ? ('thingspeak' as const)
      : point.kind === 'plant' || point.kind === 'reservoir'
        ? ('http' as const)
        : ('mqtt' as const);
    return { point, transport };
  });
  const rows = await insertRows(
    client,
    'devices',
    planned.map(({ point, transport }, index) => ({
      tenant_id: tenantId,
      asset_id: assetIds.get(point.code),
      name: `${point.name} node`,
      serial_number: `${tenant.codePrefix}-N${String(index + 1).padStart(4, '0')}`,
      transport,
      credential_hash: transport === 'thingspeak' ? null : context.deviceHash,
      broker_password_hash: transport === 'mqtt' ? context.deviceBrokerHash : null,
      firmware_version: transport === 'thingspeak' ? null : index % 5 === 0 ? '2.3.1' : '2.4.0',
    })),
    'id, serial_number',
  );
  const devices = new Map<string, SeededDevice>();
  planned.forEach(({ point, transport }, index) => {
    devices.set(point.code, { id: String(rows[index]?.id), point, transport });
  });
  return devices;
}

/** Series ids keyed by `${assetCode}/${metricKey}`. */
async function insertSeries(
  client: pg.Client,
  tenantId: string,
  devices: ReadonlyMap<string, SeededDevice>,
  metricIds: ReadonlyMap<string, string>,
  simulation: Simulation,
): Promise<Map<string, number>> {
  const rows = await insertRows(
    client,
    'series',
    simulation.series.map((s) => ({
      tenant_id: tenantId,
      device_id: devices.get(s.assetCode)?.id,
      metric_id: metricIds.get(s.metricKey),
    })),
  );
  const ids = new Map<string, number>();
  simulation.series.forEach((s, index) => ids.set(`${s.assetCode}/${s.metricKey}`, Number(rows[index]?.id)));
  return ids;
}

async function insertThingSpeakBinding(
  client: pg.Client,
  tenantId: string,
  network: PlannedNetwork,
  devices: ReadonlyMap<string, SeededDevice>,
  seriesIds: ReadonlyMap<string, number>,
): Promise<void> {
  const tank = network.points.find(isThingSpeakTank);
  const device = tank ? devices.get(tank.code) : undefined;
  if (!tank || !device) return;
  const [binding] = await insertRows(client, 'thingspeak_bindings', [
    {
      tenant_id: tenantId,
      device_id: device.id,
      channel_id: FIXTURE_CHANNEL.id,
      poll_interval_s: 60,
      enabled: false,
    },
  ]);
  await insertRows(
    client,
    'thingspeak_field_mappings',
    FIXTURE_CHANNEL.fields.map((metricKey, index) => ({
      tenant_id: tenantId,
      binding_id: binding?.id,
      field_number: index + 1,
      series_id: seriesIds.get(`${tank.code}/${metricKey}`),
      scale: 1,
      offset: 0,
    })),
  );
}

function lastReadingTime(values: Float64Array, start: number): number | null {
  for (let step = values.length - 1; step >= 0; step -= 1) {
    if (!Number.isNaN(values[step] ?? Number.NaN)) return start + step * STEP_MS;
  }
  return null;
}

async function insertDeviceStates(
  client: pg.Client,
  tenantId: string,
  devices: ReadonlyMap<string, SeededDevice>,
  simulation: Simulation,
  end: number,
): Promise<void> {
  const offlineAfter = 15 * 60_000;
  const states = [...devices.values()].map((device) => {
    const series = simulation.series.filter((s) => s.assetCode === device.point.code);
    const last = Math.max(...series.map((s) => lastReadingTime(s.values, simulation.start) ?? 0));
    const online = end - last < offlineAfter;
    return {
      device_id: device.id,
      tenant_id: tenantId,
      connectivity: online ? 'online' : 'offline',
      last_seen_at: iso(last),
      last_reading_at: iso(last),
      changed_at: iso(online ? simulation.start : last + offlineAfter),
    };
  });
  await insertRows(client, 'device_states', states, 'device_id');

  // Downtime follows the silences in the history: open while the device is still silent.
  const downtimes = [];
  for (const device of devices.values()) {
    const first = simulation.series.find((s) => s.assetCode === device.point.code);
    if (!first) continue;
    for (const episode of silenceEpisodes(first.values, 3)) {
      downtimes.push({
        tenant_id: tenantId,
        device_id: device.id,
        started_at: iso(simulation.start + episode.raiseStep * STEP_MS),
        ended_at: episode.clearStep === null ? null : iso(simulation.start + episode.clearStep * STEP_MS),
        reason: 'No messages received',
      });
    }
  }
  await insertRows(client, 'device_downtimes', downtimes);
}

async function copyTelemetry(
  client: pg.Client,
  simulation: Simulation,
  seriesIds: ReadonlyMap<string, number>,
): Promise<void> {
  function* lines(): Generator<string> {
    for (const series of simulation.series) {
      const id = seriesIds.get(`${series.assetCode}/${series.metricKey}`);
      if (id === undefined) continue;
      let chunk = '';
      for (let step = 0; step < series.values.length; step += 1) {
        const value = series.values[step] ?? Number.NaN;
        if (Number.isNaN(value)) continue;
        chunk += `${id}\t${iso(simulation.start + step * STEP_MS)}\t${value}\n`;
      }
      yield chunk;
    }
  }
  const stream = client.query(copyFrom('COPY telemetry (series_id, time, value) FROM STDIN'));
  await pipeline(Readable.from(lines()), stream);
}

async function insertRules(
  client: pg.Client,
  tenantId: string,
  metricIds: ReadonlyMap<string, string>,
  createdBy: string | null,
): Promise<Map<string, string>> {
  // A database migrated only up to an earlier release (the upgrade tests seed one) lacks the newer conditions.
  const known = await client.query<{ condition: string }>(
    'SELECT unnest(enum_range(NULL::alert_condition))::text AS condition',
  );
  const conditions = new Set(known.rows.map((row) => row.condition));
  const rows = await insertRows(
    client,
    'alert_rules',
    demoRules
      .filter((rule) => conditions.has(rule.condition))
      .map((rule) => ({
        tenant_id: tenantId,
        name: rule.name,
        description: rule.description,
        condition: rule.condition,
        priority: rule.priority,
        scope: 'asset_kind',
        asset_kind: rule.assetKind,
        metric_id: rule.metricKey ? metricIds.get(rule.metricKey) : null,
        setpoint: rule.setpoint,
        deadband: rule.deadband,
        on_delay_s: rule.onDelayS,
        window_s: rule.windowS,
        params: rule.params,
        cooldown_s: rule.cooldownS,
        escalate_after_s: rule.escalateAfterS,
        created_by: createdBy,
      })),
    'id, name',
  );
  return new Map(rows.map((row) => [String(row.name), String(row.id)]));
}

interface AlertSeedInput {
  readonly tenant: DemoTenant;
  readonly tenantId: string;
  readonly network: PlannedNetwork;
  readonly assetIds: ReadonlyMap<string, string>;
  readonly zoneIds: readonly string[];
  readonly devices: ReadonlyMap<string, SeededDevice>;
  readonly seriesIds: ReadonlyMap<string, number>;
  readonly simulation: Simulation;
  readonly ruleIds: ReadonlyMap<string, string>;
  readonly users: ReadonlyMap<string, string>;
  readonly end: number;
  readonly random: Random;
}

interface SeededAlert {
  readonly id: string;
  readonly ruleName: string;
  readonly assetCode: string;
  readonly raisedAt: number;
}

function formatValue(value: number, unit: string): string {
  return `${Number(value.toFixed(2))}${unit === '' ? '' : ` ${unit}`}`;
}

/** Replays each rule over the simulated history and stores the alerts it would have raised. */
async function insertAlerts(client: pg.Client, input: AlertSeedInput): Promise<SeededAlert[]> {
  const { simulation, end, random, users } = input;
  const scenario = scenarios[input.tenant.slug];
  const acknowledgers = [users.get('operator'), users.get('operator2'), users.get('supervisor')].filter(
    (id): id is string => id !== undefined,
  );
  const timeAt = (step: number): number => simulation.start + step * STEP_MS;
  const alerts: {
    row: Record<string, unknown>;
    transitions: Record<string, unknown>[];
    meta: Omit<SeededAlert, 'id'>;
  }[] = [];

  for (const rule of demoRules) {
    const targets = input.network.points.filter(
      (p) => p.kind === rule.assetKind && input.devices.has(p.code),
    );
    for (const point of targets) {
      const episodes = ruleEpisodes(rule, point, simulation);
      episodes.forEach((episode, index) => {
        const raisedAt = timeAt(episode.raiseStep);
        const clearedAt = episode.clearStep === null ? null : timeAt(episode.clearStep);
        const shelveThis =
          clearedAt === null &&
          rule.assetKind === 'tank' &&
          (rule.condition === 'low' || rule.condition === 'low_low') &&
          (scenario?.inletFailures.some((f) => f.tankOrdinal === point.ordinal && f.endStepsAgo === 0) ??
            false);
        const lifecycle = demoLifecycle(
          {
            rule,
            episode,
            raisedAt,
            clearedAt,
            newest: index === episodes.length - 1,
            now: end,
            acknowledgers,
            acknowledgeOpen: rule.condition === 'high' && scenario?.highNowTank === point.ordinal,
            missed:
              rule.assetKind === 'tank' &&
              (scenario?.inletFailures.some((f) => f.tankOrdinal === point.ordinal && f.endStepsAgo > 0) ??
                false),
            shelve: shelveThis
              ? {
                  by: users.get('supervisor') ?? '',
                  until: end + 4 * 3_600_000,
                  reason: 'Inlet valve replacement in progress; crew on site.',
                }
              : null,
          },
          random,
        );
        const device = input.devices.get(point.code);
        const seriesId = rule.metricKey ? input.seriesIds.get(`${point.code}/${rule.metricKey}`) : undefined;
        const unit = demoMetrics.find((m) => m.key === rule.metricKey)?.unit ?? '';
        const message =
          rule.condition === 'device_offline'
            ? `${rule.name}: ${point.name} silent for more than ${String((rule.windowS ?? 0) / 60)} min`
            : `${rule.name}: ${point.name} at ${formatValue(episode.raisedValue, unit)} (limit ${formatValue(rule.setpoint ?? 0, unit)})`;
        alerts.push({
          meta: { ruleName: rule.name, assetCode: point.code, raisedAt },
          row: {
            tenant_id: input.tenantId,
            rule_id: input.ruleIds.get(rule.name),
            target_key: seriesId === undefined ? `device:${device?.id ?? ''}` : `series:${seriesId}`,
            series_id: seriesId ?? null,
            device_id: device?.id ?? null,
            asset_id: input.assetIds.get(point.code),
            zone_id: input.zoneIds[point.zoneIndex],
            state: lifecycle.state,
            priority: rule.priority,
            original_priority: rule.priority,
            message,
            condition_active: lifecycle.conditionActive,
            raised_at: iso(raisedAt),
            raised_value: Number.isNaN(episode.raisedValue) ? null : episode.raisedValue,
            last_value: Number.isNaN(episode.lastValue) ? null : episode.lastValue,
            returned_at: lifecycle.returnedAt === null ? null : iso(lifecycle.returnedAt),
            acknowledged_at: lifecycle.acknowledgedAt === null ? null : iso(lifecycle.acknowledgedAt),
            acknowledged_by: lifecycle.acknowledgedBy,
            shelved_until: lifecycle.shelvedUntil === null ? null : iso(lifecycle.shelvedUntil),
            shelved_by: lifecycle.shelvedBy,
            shelve_reason: lifecycle.shelveReason,
            escalated_at: lifecycle.escalatedAt === null ? null : iso(lifecycle.escalatedAt),
            closed_at: lifecycle.closedAt === null ? null : iso(lifecycle.closedAt),
          },
          transitions: lifecycle.transitions.map((t) => ({
            tenant_id: input.tenantId,
            from_state: t.from,
            to_state: t.to,
            at: iso(t.at),
            user_id: t.userId,
            comment: t.comment,
            value: t.value,
          })),
        });
      });
    }
  }

  alerts.sort((a, b) => a.meta.raisedAt - b.meta.raisedAt);
  const rows = await insertRows(
    client,
    'alerts',
    alerts.map((a) => a.row),
  );
  const transitions = alerts.flatMap((alert, index) =>
    alert.transitions.map((t) => ({ ...t, alert_id: rows[index]?.id })),
  );
  await insertRows(client, 'alert_transitions', transitions);
  return alerts.map((alert, index) => ({ id: String(rows[index]?.id), ...alert.meta }));
}

function ruleEpisodes(rule: DemoRule, point: PlannedPoint, simulation: Simulation): Episode[] {
  const stepsOf = (seconds: number): number => Math.ceil((seconds * 1000) / STEP_MS);
  if (rule.condition === 'device_offline') {
    const first = simulation.series.find((s) => s.assetCode === point.code);
    return first ? silenceEpisodes(first.values, stepsOf(rule.windowS ?? 900)) : [];
  }
  if (rule.setpoint === null || !['high', 'high_high', 'low', 'low_low'].includes(rule.condition)) return [];
  const series = simulation.series.find((s) => s.assetCode === point.code && s.metricKey === rule.metricKey);
  if (!series) return [];
  return thresholdEpisodes(
    series.values,
    rule.condition,
    rule.setpoint,
    rule.deadband,
    stepsOf(rule.onDelayS),
  );
}

/** The burst of the Hyderabad scenario became an incident: opened from its alerts, repaired, not yet closed. */
async function insertIncident(
  client: pg.Client,
  tenant: DemoTenant,
  tenantId: string,
  network: PlannedNetwork,
  assetIds: ReadonlyMap<string, string>,
  zoneIds: readonly string[],
  users: ReadonlyMap<string, string>,
  alerts: readonly SeededAlert[],
  end: number,
): Promise<void> {
  const burst = scenarios[tenant.slug]?.bursts.find((b) => b.endStepsAgo > 0);
  if (!burst) return;
  const zone = network.zones[burst.zoneIndex];
  const burstStart = end - burst.startStepsAgo * STEP_MS;
  const burstEnd = end - burst.endStepsAgo * STEP_MS;
  const linked = alerts.filter(
    (a) =>
      a.ruleName.startsWith('Network pressure') &&
      a.raisedAt >= burstStart &&
      a.raisedAt <= burstEnd &&
      network.points.find((p) => p.code === a.assetCode)?.zoneIndex === burst.zoneIndex,
  );
  const main = network.pipes
    .filter((pipe) => pipe.zoneIndex === burst.zoneIndex)
    .sort((a, b) => b.diameterMm - a.diameterMm)[0];
  const openedAt = burstStart + 20 * 60_000;
  const [incident] = await insertRows(client, 'incidents', [
    {
      tenant_id: tenantId,
      number: 1,
      title: `Trunk main burst, ${zone?.name ?? 'zone'}`,
      description: 'Pressure collapsed across the DMA with a flow surge at the zone meters.',
      status: 'in_progress',
      priority: 'critical',
      zone_id: zoneIds[burst.zoneIndex],
      asset_id: main ? assetIds.get(main.code) : null,
      assignee_id: users.get('maintenance'),
      opened_by: users.get('supervisor'),
      opened_at: iso(openedAt),
    },
  ]);
  const incidentId = incident?.id;
  await insertRows(
    client,
    'incident_alerts',
    linked.map((a) => ({
      tenant_id: tenantId,
      incident_id: incidentId,
      alert_id: a.id,
      linked_at: iso(openedAt),
    })),
    'alert_id',
  );
  const note = (minutes: number, author: string, body: string): Record<string, unknown> => ({
    tenant_id: tenantId,
    incident_id: incidentId,
    author_id: users.get(author),
    body,
    created_at: iso(openedAt + minutes * 60_000),
  });
  await insertRows(client, 'incident_notes', [
    note(
      5,
      'supervisor',
      `Low-low pressure at ${String(linked.length)} loggers; dispatched crew to ${main?.code ?? 'the trunk main'}.`,
    ),
    note(
      55,
      'maintenance',
      'Leak located at the road crossing. Section isolated with the two upstream gate valves.',
    ),
    note(
      170,
      'maintenance',
      'Repair finished, section recharged. Pressure back to normal; monitoring before closing.',
    ),
  ]);
  await insertRows(client, 'maintenance_logs', [
    {
      tenant_id: tenantId,
      incident_id: incidentId,
      asset_id: main ? assetIds.get(main.code) : null,
      performed_by: users.get('maintenance'),
      work_done: `Replaced 2 m of ${String(main?.diameterMm ?? 300)} mm main with a repair clamp and a new spool piece.`,
      parts_used: 'Repair clamp, flanged spool piece, 16 bolts',
      started_at: iso(openedAt + 60 * 60_000),
      finished_at: iso(openedAt + 165 * 60_000),
    },
  ]);
}

async function insertOperationsHistory(
  client: pg.Client,
  tenantId: string,
  network: PlannedNetwork,
  assetIds: ReadonlyMap<string, string>,
  devices: ReadonlyMap<string, SeededDevice>,
  users: ReadonlyMap<string, string>,
  seriesIds: ReadonlyMap<string, number>,
  end: number,
): Promise<void> {
  const pumps = [...devices.values()].filter((d) => d.point.kind === 'pump').slice(0, 3);
  const hour = 3_600_000;
  await insertRows(
    client,
    'device_commands',
    pumps.map((pump, index) => {
      const requestedAt = end - (index + 1) * 20 * hour;
      const failed = index === 2;
      return {
        tenant_id: tenantId,
        device_id: pump.id,
        command: index === 1 ? 'pump_stop' : 'pump_start',
        params: {},
        state: failed ? 'expired' : 'acknowledged',
        requested_by: users.get('supervisor'),
        requested_at: iso(requestedAt),
        expires_at: iso(requestedAt + 5 * 60_000),
        delivered_at: failed ? null : iso(requestedAt + 1_500),
        acknowledged_at: failed ? null : iso(requestedAt + 4_200),
        result: failed ? null : { ok: true },
        failure_reason: failed ? 'Device did not answer before the command expired' : null,
      };
    }),
  );

  const tags = await insertRows(
    client,
    'tags',
    [
      { tenant_id: tenantId, key: 'criticality', value: 'high' },
      { tenant_id: tenantId, key: 'supplies', value: 'hospital' },
      { tenant_id: tenantId, key: 'renewal', value: 'planned' },
    ],
    'id, key, value',
  );
  const tagId = (key: string): string => String(tags.find((t) => t.key === key)?.id);
  const critical = network.points.filter((p) => p.kind === 'plant' || p.kind === 'reservoir');
  const hospitalTank = network.points.find((p) => p.kind === 'tank' && p.ordinal === 4);
  const oldPipes = network.pipes.filter(
    (p) => p.material === 'asbestos_cement' || p.material === 'cast_iron',
  );
  await insertRows(
    client,
    'asset_tags',
    [
      ...critical.map((p) => ({
        tenant_id: tenantId,
        asset_id: assetIds.get(p.code),
        tag_id: tagId('criticality'),
      })),
      ...(hospitalTank
        ? [{ tenant_id: tenantId, asset_id: assetIds.get(hospitalTank.code), tag_id: tagId('supplies') }]
        : []),
      ...oldPipes.map((p) => ({
        tenant_id: tenantId,
        asset_id: assetIds.get(p.code),
        tag_id: tagId('renewal'),
      })),
    ],
    'asset_id',
  );

  // A recalibrated pressure logger: readings after the field check are corrected by -0.05 bar.
  const logger = network.points.find((p) => p.kind === 'pressure_point' && p.ordinal === 0);
  const loggerSeries = logger ? seriesIds.get(`${logger.code}/pressure_bar`) : undefined;
  if (loggerSeries !== undefined) {
    await client.query(
      `INSERT INTO calibrations (tenant_id, series_id, scale, "offset", valid_during, note, created_by)
       VALUES ($1, $2, 1, -0.05, tstzrange($3, NULL), 'Zero offset found at field check', $4)`,
      [tenantId, loggerSeries, iso(end - 30 * 24 * hour), users.get('maintenance')],
    );
  }

  await insertRows(client, 'audit_log', [
    {
      tenant_id: tenantId,
      actor_type: 'system',
      action: 'tenant.seed',
      resource_type: 'tenant',
      resource_id: tenantId,
      details: { note: 'Demo data generated' },
    },
  ]);
}

const countedTables = [
  'tenants',
  'zones',
  'users',
  'user_zones',
  'assets',
  'tags',
  'asset_tags',
  'devices',
  'device_states',
  'device_downtimes',
  'metrics',
  'series',
  'calibrations',
  'thingspeak_bindings',
  'thingspeak_field_mappings',
  'device_commands',
  'alert_rules',
  'alerts',
  'alert_transitions',
  'incidents',
  'incident_alerts',
  'incident_notes',
  'maintenance_logs',
  'notification_rules',
  'audit_log',
  'telemetry',
  'telemetry_1m',
  'telemetry_1h',
];

async function countRows(client: pg.Client): Promise<SeedCounts> {
  const counts: SeedCounts = {};
  for (const table of countedTables) {
    const result = await client.query<{ count: string }>(`SELECT count(*) FROM ${table}`);
    counts[table] = Number(result.rows[0]?.count ?? 0);
  }
  const pipelines = await client.query<{ points: string; pipes: string; open: string }>(
    `SELECT count(*) FILTER (WHERE kind <> 'pipeline') AS points, count(*) FILTER (WHERE kind = 'pipeline') AS pipes,
            (SELECT count(*) FROM alerts WHERE closed_at IS NULL) AS open
       FROM assets`,
  );
  counts['point assets'] = Number(pipelines.rows[0]?.points ?? 0);
  counts['pipeline segments'] = Number(pipelines.rows[0]?.pipes ?? 0);
  counts['open alerts'] = Number(pipelines.rows[0]?.open ?? 0);
  return counts;
}
